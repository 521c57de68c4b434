/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan.h"

/* The network-config that puts a Network=nat guest online at its first boot, with no DHCP
 * server: cloud-init's version 2 format, the interface matched by its MAC, the address and
 * default route from the plan, and DNS servers the guest can reach. */

/* Pure: the file's text for NET and MAC, with NAMESERVERS (may be empty) as its DNS. */
char *seed_network_config(const char *vm, const VmNetwork *net, const char *mac, char *const *nameservers);

/* The host's DNS servers a guest behind NAT can use: the non-loopback IPv4 "nameserver" lines
 * of /etc/resolv.conf or, when it names only loopback addresses (systemd-resolved's stub at
 * 127.0.0.53, which the guest cannot reach), of systemd-resolved's upstream list
 * /run/systemd/resolve/resolv.conf. Both under ROOT. An empty list when neither has one. */
int host_nameservers(const char *root, char ***ret);
