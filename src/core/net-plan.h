/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "plan.h"
#include "tap-name.h"

/* The network side of the plan: each VM's tap name and, for Network=nat, the IPv4 link between
 * host and guest. Pure: decided from the configuration alone, so the generator (the --net
 * option), 'vm prepare' (the seed's network-config) and 'vm net-up' (the masquerade rule)
 * always agree. The host's routes are not an input: at boot, when the generator runs, they do
 * not exist yet; 'vm net-up' checks them before the VM starts (net_subnet_overlaps()). */

/* Network=nat without HostAddress=: one /30 per VM (host .1, guest .2 of its four addresses)
 * from 192.168.240.0/20, away from libvirt's 192.168.122.0/24, Docker's 172.17.0.0/16 and the
 * 10.0.0.0/8 and 172.16.0.0/12 networks clouds give their VMs. A VM's slot follows from a hash
 * of its name, so adding or removing another VM does not move it. */
#define NAT_POOL_ADDRESS UINT32_C(0xc0a8f000)   /* 192.168.240.0 */
#define NAT_POOL_PREFIX 20u
#define NAT_SUBNET_PREFIX 30u

static inline uint32_t prefix_to_mask(unsigned prefix) {
        return prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
}
/* Whether two IPv4 subnets (host byte order) share any address. */
bool net_subnets_overlap(uint32_t a, unsigned a_prefix, uint32_t b, unsigned b_prefix);
/* "192.168.240.1"; buf of at least 16 bytes. */
void net_format_ipv4(uint32_t address, char buf[static 16]);

/* Planner step: tap names and subnets of every VM, conflicts reported at FILE:LINE. */
struct Planner;
void plan_networks(struct Planner *p);
