/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A VM's vendor:device matches: the node or nodes it lives on, and the free devices it takes
 * there (DESIGN.md "Device matches", "VMs on several nodes"). Runs for each VM after every VM's
 * addresses are claimed. */
#include "plan-id-match.h"
#include "plan-slots.h"
#include "util.h"

/* Node ids as the kernel numbers them (MAX_NUMNODES is at most 1 << 10). */
#define NODE_ID_LIMIT 1024
/* Node sets tried in the search for the fewest nodes, before all nodes are taken. */
#define NODE_SETS_TRIED_MAX 4096

typedef struct NodeSet {
        bool has[NODE_ID_LIMIT];
        size_t n;
} NodeSet;

static void node_set_add(NodeSet *s, int node) {
        if (node >= 0 && node < NODE_ID_LIMIT && !s->has[node]) {
                s->has[node] = true;
                s->n++;
        }
}

static int node_set_first(const NodeSet *s) {
        for (int i = 0; i < NODE_ID_LIMIT; i++)
                if (s->has[i])
                        return i;
        return NODE_NONE;
}

static bool has_id_match(const VmConfig *c) {
        for (size_t i = 0; i < c->n_devices; i++)
                if (!c->devices[i].by_address)
                        return true;
        return false;
}

/* Free devices of id M for VM on the nodes of S. */
static size_t count_free(const Planner *p, size_t vm, const DeviceMatch *m, const NodeSet *s) {
        size_t n = 0;
        for (size_t d = 0; d < p->inv->n_devices; d++) {
                const PciDevice *dev = &p->inv->devices[d];
                if (plan_match_id(dev, m) && dev->numa_node >= 0 && dev->numa_node < NODE_ID_LIMIT &&
                    s->has[dev->numa_node] && plan_device_free_for(p, d, (int) vm))
                        n++;
        }
        return n;
}

/* Whether the nodes of S have free devices for all of the VM's id matches. */
static bool nodes_serve(const Planner *p, size_t vm, const NodeSet *s) {
        const VmConfig *c = &p->config->vms[vm];
        for (size_t i = 0; i < c->n_devices; i++) {
                const DeviceMatch *m = &c->devices[i];
                if (m->by_address)
                        continue;
                /* Several Device= lines may name the same id: they add up. */
                size_t want = 0;
                for (size_t j = 0; j < c->n_devices; j++)
                        if (!c->devices[j].by_address && c->devices[j].vendor == m->vendor &&
                            c->devices[j].device == m->device)
                                want += c->devices[j].count;
                if (count_free(p, vm, m, s) < want)
                        return false;
        }
        return true;
}

/* Moves IDX (K of N, ascending) to the next combination; false after the last. */
static bool next_combination(size_t *idx, size_t k, size_t n) {
        size_t i = k;
        while (i > 0 && idx[i - 1] == n - k + i - 1)
                i--;
        if (i == 0)
                return false;
        idx[i - 1]++;
        for (size_t j = i; j < k; j++)
                idx[j] = idx[j - 1] + 1;
        return true;
}

/* Adds to S the fewest other nodes (then the lowest) with which S's nodes serve all the VM's id
 * matches. Returns false when no set does (a shortage), or after too many tries. */
static bool widen_to_fewest_nodes(const Planner *p, size_t vm, NodeSet *s) {
        const Inventory *inv = p->inv;
        _cleanup_(freep) size_t *others = calloc(MAX(inv->n_nodes, (size_t) 1), sizeof(size_t));
        _cleanup_(freep) size_t *idx = calloc(MAX(inv->n_nodes, (size_t) 1), sizeof(size_t));
        _cleanup_(freep) NodeSet *t = malloc(sizeof(NodeSet));
        size_t n = 0, tries = 0;

        if (!others || !idx || !t) {
                p->plan->diagnostics.oom = true;
                return false;
        }
        for (size_t i = 0; i < inv->n_nodes; i++)
                if (inv->nodes[i].id < NODE_ID_LIMIT && !s->has[inv->nodes[i].id])
                        others[n++] = inv->nodes[i].id;
        for (size_t k = s->n > 0 ? 0 : 1; k <= n; k++) {
                for (size_t i = 0; i < k; i++)
                        idx[i] = i;
                do {
                        *t = *s;
                        for (size_t i = 0; i < k; i++)
                                node_set_add(t, (int) others[idx[i]]);
                        if (nodes_serve(p, vm, t)) {
                                *s = *t;
                                return true;
                        }
                        if (++tries >= NODE_SETS_TRIED_MAX)
                                return false;
                } while (next_combination(idx, k, n));
        }
        return false;
}

static void format_host_nodes(const Inventory *inv, char *buf, size_t size) {
        *buf = 0;
        for (size_t i = 0; i < inv->n_nodes; i++)
                snprintf(buf + strlen(buf), size - strlen(buf), "%s%u", i ? ", " : "", inv->nodes[i].id);
}

/* NUMANode= decides: its nodes must exist; devices named elsewhere are worth a warning. */
static void use_configured_nodes(Planner *p, size_t vm, NodeSet *s) {
        const VmConfig *c = &p->config->vms[vm];
        VmPlan *vp = &p->plan->vms[vm];
        char nodes[128];

        if (c->n_numa_nodes > 0)
                for (size_t i = 0; i < c->n_numa_nodes; i++)
                        node_set_add(s, (int) c->numa_nodes[i]);
        else
                node_set_add(s, c->numa_node);
        vp->numa_node = node_set_first(s);
        format_host_nodes(p->inv, nodes, sizeof nodes);
        for (int n = 0; n < NODE_ID_LIMIT; n++)
                if (s->has[n] && p->inv->has_nodes && !inventory_find_node(p->inv, (unsigned) n)) {
                        if (c->n_numa_nodes == 0)
                                VM_ERROR(p, vm, c->numa_where, NULL, "NUMANode=%d: this machine has no node %d (it "
                                         "has %s); use auto or an existing node", n, n, nodes);
                        else
                                VM_ERROR(p, vm, c->numa_where, NULL, "NUMANode= lists node %d, which this machine "
                                         "does not have (it has %s); use auto or existing nodes", n, nodes);
                        return;
                }
        for (size_t i = 0; i < vp->n_devices; i++) {
                const PciDevice *dev = &p->inv->devices[vp->devices[i]];
                if (dev->numa_node < 0 || s->has[dev->numa_node])
                        continue;
                if (c->n_numa_nodes == 0)
                        diag_add(&p->plan->diagnostics, DIAG_WARNING, c->numa_where, c->name, dev->name,
                                 "%s is on NUMA node %d, but NUMANode=%d puts the VM's memory and vCPUs "
                                 "on node %d; its DMA crosses nodes", dev->name, dev->numa_node,
                                 c->numa_node, c->numa_node);
                else
                        diag_add(&p->plan->diagnostics, DIAG_WARNING, c->numa_where, c->name, dev->name,
                                 "%s is on NUMA node %d, which NUMANode= does not list; it joins PCI segment 0 "
                                 "and its DMA crosses nodes", dev->name, dev->numa_node);
        }
}

/* The nodes whose devices the VM prefers, in S: NUMANode='s, or those of the devices it named,
 * widened to the fewest nodes that serve its id matches. */
static void choose_nodes(Planner *p, size_t vm, NodeSet *s) {
        const VmConfig *c = &p->config->vms[vm];
        const VmPlan *vp = &p->plan->vms[vm];

        if (c->n_numa_nodes > 0 || c->numa_node >= 0) {
                use_configured_nodes(p, vm, s);
                return;
        }
        for (size_t i = 0; i < vp->n_devices; i++)
                node_set_add(s, p->inv->devices[vp->devices[i]].numa_node);
        if (has_id_match(c))
                (void) widen_to_fewest_nodes(p, vm, s);   /* none: a shortage, reported when taking */
}

/* Up to WANT free devices of id M on NODE (any node: NODE_NONE), by address. */
static size_t take_on(Planner *p, size_t vm, const DeviceMatch *m, int node, size_t want) {
        size_t got = 0;
        for (size_t d = 0; d < p->inv->n_devices && got < want; d++) {
                const PciDevice *dev = &p->inv->devices[d];
                if (!plan_match_id(dev, m) || (node != NODE_NONE && dev->numa_node != node) ||
                    !plan_device_free_for(p, d, (int) vm))
                        continue;
                plan_take_device(p, vm, d, m->where);
                got++;
                if (node == NODE_NONE && dev->numa_node >= 0 && p->config->vms[vm].numa_node >= 0) {
                        char what[40];
                        device_match_format(m, what, sizeof what);
                        diag_add(&p->plan->diagnostics, DIAG_WARNING, m->where, p->config->vms[vm].name, dev->name,
                                 "Device=%s: node %d has too few free, took %s from node %d; its DMA crosses "
                                 "nodes", what, p->config->vms[vm].numa_node, dev->name, dev->numa_node);
                }
        }
        return got;
}

/* Devices of one id match: the chosen nodes' first, lowest node first, then any. */
static size_t take_id(Planner *p, size_t vm, const DeviceMatch *m, const NodeSet *s) {
        size_t got = 0;
        for (int n = 0; n < NODE_ID_LIMIT && got < m->count; n++)
                if (s->has[n])
                        got += take_on(p, vm, m, n, m->count - got);
        if (got < m->count)
                got += take_on(p, vm, m, NODE_NONE, m->count - got);
        return got;
}

/* An id match got fewer devices than it wants: say how many this machine has and who holds them. */
static void report_shortage(Planner *p, size_t vm, const DeviceMatch *m) {
        char what[40];
        size_t total = 0, used = 0;

        device_match_format(m, what, sizeof what);
        for (size_t d = 0; d < p->inv->n_devices; d++)
                if (plan_match_id(&p->inv->devices[d], m)) {
                        total++;
                        /* Another VM's, or in an IOMMU group another VM holds. */
                        used += p->slots[d].owner != (int) vm && !plan_device_free_for(p, d, (int) vm);
                }
        if (total == 0)
                /* Another machine type, or the device is gone: say so, not "0 free". */
                VM_ERROR(p, vm, m->where, NULL,
                         "Device=%s: nothing on this machine matches %04x:%04x (%zu wanted); see "
                         "'nestvirt devices' for what it has, and fix or remove the line",
                         what, m->vendor, m->device, (size_t) m->count);
        else
                VM_ERROR(p, vm, m->where, NULL,
                         "Device=%s: %zu wanted, %zu free (this machine has %zu, %zu given to other "
                         "VMs); lower the count or free devices in other VMs",
                         what, (size_t) m->count, total - used, total, used);
}

void plan_take_id_matches(Planner *p, size_t vm) {
        const VmConfig *c = &p->config->vms[vm];
        VmPlan *vp = &p->plan->vms[vm];
        _cleanup_(freep) NodeSet *s = calloc(1, sizeof(NodeSet));

        if (!s) {
                p->plan->diagnostics.oom = true;
                return;
        }
        choose_nodes(p, vm, s);
        for (size_t i = 0; i < c->n_devices; i++) {
                const DeviceMatch *m = &c->devices[i];
                if (!m->by_address && take_id(p, vm, m, s) < m->count)
                        report_shortage(p, vm, m);
        }
        if (c->n_numa_nodes > 0 || c->numa_node >= 0)
                return;
        /* auto: the lowest node of its devices (plan-nodes.c spans the others), else the first;
         * none for a VM that failed without devices. */
        NodeSet *taken = s;
        *taken = (NodeSet) {};
        for (size_t i = 0; i < vp->n_devices; i++)
                node_set_add(taken, p->inv->devices[vp->devices[i]].numa_node);
        vp->numa_node = taken->n > 0 ? node_set_first(taken) : vp->valid ? plan_first_node(p->inv) : NODE_NONE;
}
