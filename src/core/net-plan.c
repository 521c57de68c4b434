/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>

#include "net-plan.h"
#include "parse-values.h"
#include "plan-internal.h"
#include "util.h"

#define NAT_POOL_SLOTS (1u << (NAT_SUBNET_PREFIX - NAT_POOL_PREFIX))

bool net_subnets_overlap(uint32_t a, unsigned a_prefix, uint32_t b, unsigned b_prefix) {
        uint32_t mask = prefix_to_mask(MIN(a_prefix, b_prefix));
        return (a & mask) == (b & mask);
}

void net_format_ipv4(uint32_t address, char buf[static 16]) {
        snprintf(buf, 16, "%u.%u.%u.%u", address >> 24, address >> 16 & 0xff, address >> 8 & 0xff, address & 0xff);
}

static void format_location(Location where, char *buf, size_t size) {
        Diagnostic d = { .where = where };
        diag_format_location(&d, buf, size);
        size_t n = strlen(buf);
        if (n >= 2 && buf[n - 2] == ':')   /* "FILE:LINE: " -> "FILE:LINE" */
                buf[n - 2] = 0;
}

/* HostAddress=: the host's end; the guest takes the first other address of the subnet. */
static void explicit_subnet(Planner *p, size_t vm) {
        const VmConfig *c = &p->config->vms[vm];
        VmNetwork *n = &p->plan->vms[vm].net;
        struct in_addr a;
        unsigned prefix;
        char ip[64], mask[64];

        if (cidr_to_ip_mask(c->host_address.value, ip, mask) < 0 || inet_pton(AF_INET, ip, &a) != 1 ||
            safe_atou(strchr(c->host_address.value, '/') + 1, &prefix) < 0)
                return;   /* the config check reported it */
        n->host = ntohl(a.s_addr);
        n->prefix = prefix;
        n->has_subnet = true;
        uint32_t network = n->host & prefix_to_mask(prefix), broadcast = network | ~prefix_to_mask(prefix);
        if (c->network == NETWORK_NAT && (n->host == network || n->host == broadcast))
                VM_ERROR(p, vm, c->host_address.where, NULL,
                         "HostAddress=%s is the %s address of its subnet; give the host a usable address such "
                         "as the first one (.1)", c->host_address.value, n->host == network ? "network" : "broadcast");
        n->guest = network + 1 == n->host ? network + 2 : network + 1;
}

/* Explicit subnets may not overlap: a route to one guest would take the other's traffic. */
static void check_explicit_subnets(Planner *p) {
        const Config *c = p->config;
        for (size_t j = 0; j < c->n_vms; j++)
                for (size_t i = 0; i < j && p->plan->vms[j].net.has_subnet; i++) {
                        const VmNetwork *a = &p->plan->vms[i].net, *b = &p->plan->vms[j].net;
                        if (!a->has_subnet || !net_subnets_overlap(a->host, a->prefix, b->host, b->prefix))
                                continue;
                        char other[256];
                        format_location(c->vms[i].host_address.where, other, sizeof other);
                        VM_ERROR(p, j, c->vms[j].host_address.where, NULL,
                                 "HostAddress=%s of [VM %s] overlaps HostAddress=%s of [VM %s] (%s); two VMs never "
                                 "share a subnet: give each its own", c->vms[j].host_address.value, c->vms[j].name,
                                 c->vms[i].host_address.value, c->vms[i].name, other);
                        break;
                }
}

static bool slot_is_free(const Planner *p, uint32_t subnet) {
        for (size_t v = 0; v < p->plan->n_vms; v++) {
                const VmNetwork *n = &p->plan->vms[v].net;
                if (n->has_subnet && net_subnets_overlap(n->host, n->prefix, subnet, NAT_SUBNET_PREFIX))
                        return false;
        }
        return true;
}

/* A /30 of the pool, from the hash of the name, the next free one when taken. */
static void default_subnet(Planner *p, size_t vm) {
        const VmConfig *c = &p->config->vms[vm];
        VmNetwork *n = &p->plan->vms[vm].net;
        uint32_t first = (uint32_t) (fnv1a(FNV1A_INIT, c->name, strlen(c->name)) % NAT_POOL_SLOTS);

        for (uint32_t k = 0; k < NAT_POOL_SLOTS; k++) {
                uint32_t subnet = NAT_POOL_ADDRESS + ((first + k) % NAT_POOL_SLOTS) * 4;
                if (!slot_is_free(p, subnet))
                        continue;
                n->has_subnet = n->default_subnet = true;
                n->prefix = NAT_SUBNET_PREFIX;
                n->host = subnet + 1;
                n->guest = subnet + 2;
                return;
        }
        VM_ERROR(p, vm, c->where, NULL, "no free /30 left in 192.168.240.0/20 for Network=nat; set HostAddress=");
}

/* The guest learns its address from the seed's network-config; without a seed it has none. */
static void warn_without_seed(Planner *p, size_t vm) {
        const VmConfig *c = &p->config->vms[vm];
        const VmNetwork *n = &p->plan->vms[vm].net;
        if (c->network != NETWORK_NAT || c->cloud_init.value || !n->has_subnet)
                return;
        char host[16], guest[16];
        net_format_ipv4(n->host, host);
        net_format_ipv4(n->guest, guest);
        diag_add(&p->plan->diagnostics, DIAG_WARNING, c->where, c->name, NULL,
                 "Network=nat writes the guest's address into its cloud-init seed, and [VM %s] has no CloudInit=: "
                 "set it, or configure the guest yourself (address %s/%u, gateway %s)",
                 c->name, guest, n->prefix, host);
}

/* Default subnets in name order, so the result does not depend on the order of the files. */
static int compare_names(const void *a, const void *b, void *userdata) {
        const Config *c = userdata;
        return strcmp(c->vms[*(const size_t *) a].name, c->vms[*(const size_t *) b].name);
}

void plan_networks(Planner *p) {
        const Config *c = p->config;
        _cleanup_(freep) size_t *order = calloc(MAX(c->n_vms, (size_t) 1), sizeof(size_t));
        if (!order) {
                p->plan->diagnostics.oom = true;
                return;
        }

        for (size_t v = 0; v < c->n_vms; v++) {
                order[v] = v;
                if (!vm_has_tap(&c->vms[v]))
                        continue;
                vm_tap_name_format(&c->vms[v], p->plan->vms[v].net.tap);
                if (c->vms[v].host_address.value)
                        explicit_subnet(p, v);
        }
        check_explicit_subnets(p);

        qsort_r(order, c->n_vms, sizeof(size_t), compare_names, (void *) c);
        for (size_t k = 0; k < c->n_vms; k++) {
                size_t v = order[k];
                if (c->vms[v].network == NETWORK_NAT && !c->vms[v].host_address.value)
                        default_subnet(p, v);
        }
        for (size_t v = 0; v < c->n_vms; v++)
                warn_without_seed(p, v);
}
