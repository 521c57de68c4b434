/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "plan-nodes.h"
#include "util.h"

/* The VM's nodes, ascending, into vp->nodes: NUMANode='s list, or with auto those of its devices. */
static int collect_nodes(Planner *p, size_t vm) {
        const VmConfig *c = &p->config->vms[vm];
        VmPlan *vp = &p->plan->vms[vm];

        if (c->n_numa_nodes > 0) {
                vp->nodes = calloc(c->n_numa_nodes, sizeof(VmNode));
                if (!vp->nodes)
                        return -ENOMEM;
                for (size_t i = 0; i < c->n_numa_nodes; i++)
                        vp->nodes[vp->n_nodes++] = (VmNode) { .node = c->numa_nodes[i] };
                return 0;
        }
        if (c->numa_node >= 0)
                return 0;
        for (size_t i = 0; i < vp->n_devices; i++) {
                int n = p->inv->devices[vp->devices[i]].numa_node;
                size_t at = 0;
                if (n < 0)
                        continue;
                while (at < vp->n_nodes && vp->nodes[at].node < (unsigned) n)
                        at++;
                if (at < vp->n_nodes && vp->nodes[at].node == (unsigned) n)
                        continue;
                if (!ARRAY_APPEND(vp->nodes, vp->n_nodes))
                        return -ENOMEM;
                memmove(vp->nodes + at + 1, vp->nodes + at, (vp->n_nodes - 1 - at) * sizeof(VmNode));
                vp->nodes[at] = (VmNode) { .node = (unsigned) n };
        }
        return 0;
}

static void format_nodes(const VmPlan *vp, char *buf, size_t size) {
        *buf = 0;
        for (size_t i = 0; i < vp->n_nodes; i++)
                snprintf(buf + strlen(buf), size - strlen(buf), "%s%u", i ? ", " : "", vp->nodes[i].node);
}

/* Memory= and CPUs= evenly over the nodes, the remainders to the lowest; each node needs 1 GiB
 * and one vCPU. */
static void split(Planner *p, size_t vm, const char *nodes) {
        const VmConfig *c = &p->config->vms[vm];
        VmPlan *vp = &p->plan->vms[vm];
        size_t k = vp->n_nodes;

        if (c->memory_gib < k)
                VM_ERROR(p, vm, c->memory_where, NULL, "Memory=%" PRIu64 "G cannot give each of the VM's %zu NUMA "
                         "nodes (%s) 1 GiB: raise Memory= to at least %zuG, or set NUMANode= to fewer nodes",
                         c->memory_gib, k, nodes, k);
        if (c->cpus < k)
                VM_ERROR(p, vm, c->cpus_where.file ? c->cpus_where : c->where, NULL, "CPUs=%u cannot give each of "
                         "the VM's %zu NUMA nodes (%s) a vCPU: raise CPUs= to at least %zu, or set NUMANode= to "
                         "fewer nodes", c->cpus, k, nodes, k);
        unsigned first = 0;
        for (size_t i = 0; i < k; i++) {
                VmNode *n = &vp->nodes[i];
                n->memory_gib = c->memory_gib / k + (i < c->memory_gib % k);
                n->cpus = (unsigned) (c->cpus / k + (i < c->cpus % k));
                n->first_cpu = first;
                first += n->cpus;
        }
}

/* CPUAffinity=auto: each node's vCPUs on that node's CPUs (DESIGN.md); a node without CPUs
 * cannot take them, and a CPU list cannot say which vCPU belongs to which node. */
static void pin(Planner *p, size_t vm, const char *nodes) {
        const VmConfig *c = &p->config->vms[vm];
        VmPlan *vp = &p->plan->vms[vm];

        if (c->affinity_mode == AFFINITY_LIST) {
                VM_ERROR(p, vm, c->affinity_where, NULL, "CPUAffinity= lists CPUs, but [VM %s] spans NUMA nodes "
                         "%s, whose vCPUs each run on their own node's CPUs; use CPUAffinity=auto or none",
                         c->name, nodes);
                return;
        }
        if (c->affinity_mode == AFFINITY_NONE || !p->inv->has_nodes)
                return;
        for (size_t i = 0; i < vp->n_nodes; i++) {
                const NumaNode *n = inventory_find_node(p->inv, vp->nodes[i].node);
                if (!n)
                        continue;   /* reported with NUMANode= */
                if (cpu_set_count(&n->cpus) == 0) {
                        VM_ERROR(p, vm, c->where, NULL, "node %u has no CPUs to run the vCPUs of the VM's guest "
                                 "node %zu (CPUAffinity=auto); set CPUAffinity=none to leave them unpinned",
                                 n->id, i);
                        continue;
                }
                if (cpu_set_copy(&vp->nodes[i].host_cpus, &n->cpus) < 0)
                        p->plan->diagnostics.oom = true;
        }
}

/* Each device on the segment of its node's guest node; elsewhere, segment 0. */
static int place_devices(Planner *p, size_t vm) {
        const VmConfig *c = &p->config->vms[vm];
        VmPlan *vp = &p->plan->vms[vm];

        vp->segments = calloc(MAX(vp->n_devices, (size_t) 1), sizeof(unsigned));
        if (!vp->segments)
                return -ENOMEM;
        for (size_t i = 0; i < vp->n_devices; i++) {
                const PciDevice *dev = &p->inv->devices[vp->devices[i]];
                for (size_t s = 0; s < vp->n_nodes; s++)
                        if (dev->numa_node == (int) vp->nodes[s].node)
                                vp->segments[i] = (unsigned) s;
                if (dev->numa_node < 0)
                        diag_add(&p->plan->diagnostics, DIAG_WARNING, c->where, c->name, dev->name,
                                 "%s has no NUMA information; it joins PCI segment 0, the guest's node 0",
                                 dev->name);
        }
        return 0;
}

void plan_vm_nodes(Planner *p, size_t vm) {
        VmPlan *vp = &p->plan->vms[vm];
        char nodes[256];

        if (collect_nodes(p, vm) < 0) {
                p->plan->diagnostics.oom = true;
                return;
        }
        if (vp->n_nodes < 2) {
                free(vp->nodes);   /* one node: today's plan, unchanged */
                vp->nodes = NULL;
                vp->n_nodes = 0;
                return;
        }
        vp->numa_node = (int) vp->nodes[0].node;
        format_nodes(vp, nodes, sizeof nodes);
        split(p, vm, nodes);
        pin(p, vm, nodes);
        if (place_devices(p, vm) < 0)
                p->plan->diagnostics.oom = true;
}
