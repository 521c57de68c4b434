/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* The host side of Network=nat: IPv4 forwarding and one masquerade rule per VM, in the
 * nftables table nestvirt owns ("table ip nestvirt", one base chain "vm-NAME" per VM, so one
 * VM's rules are replaced or removed without touching another's). The tap itself is Cloud
 * Hypervisor's, as with Network=tap: it creates it and sets the host's address from --net. */

#define NAT_TABLE "nestvirt"

typedef struct NatLink {
        const char *vm;
        const char *tap;
        uint32_t host;       /* the host's end, IPv4 in host byte order */
        unsigned prefix;
} NatLink;

/* Refuses a subnet that a route of this host already covers, turns on net.ipv4.ip_forward,
 * and (re)writes the VM's chain: start twice, one rule. Warns when another table's forward
 * chain drops by default. Logs every failure; returns negative errno. */
int nat_up(const NatLink *l);
/* Removes the VM's chain; nothing to remove is fine. Needs only the name, so a broken
 * configuration never leaves a rule behind. Forwarding stays on (other VMs, other services). */
int nat_down(const char *vm);
