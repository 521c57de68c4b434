/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "plan-host.h"
#include "util.h"

static NodeCount *pages_for(Plan *plan, unsigned node) {
        for (size_t i = 0; i < plan->n_pages; i++)
                if (plan->pages[i].node == node)
                        return &plan->pages[i];
        if (!ARRAY_APPEND(plan->pages, plan->n_pages)) {
                plan->diagnostics.oom = true;
                return NULL;
        }
        /* Keep sorted by node. */
        size_t at = plan->n_pages - 1;
        while (at > 0 && plan->pages[at - 1].node > node) {
                plan->pages[at] = plan->pages[at - 1];
                at--;
        }
        plan->pages[at] = (NodeCount) { node, 0 };
        return &plan->pages[at];
}

/* Spread COUNT pages over the nodes evenly; the lower nodes take the remainder. */
static void spread(Plan *plan, uint64_t count) {
        if (plan->n_pages == 0 || count == 0)
                return;
        uint64_t each = count / plan->n_pages, rest = count % plan->n_pages;
        for (size_t i = 0; i < plan->n_pages; i++)
                plan->pages[i].count += each + (i < rest);
}

/* Below this much memory left beside its pages, a node's host side may run short. */
#define NODE_HOST_RESERVE_MIB 512

/* Every node of the host is in the pool, even with no pages. */
static void add_host_nodes(Planner *p) {
        for (size_t i = 0; i < p->inv->n_nodes; i++)
                (void) pages_for(p->plan, p->inv->nodes[i].id);
        if (p->plan->n_pages == 0)
                (void) pages_for(p->plan, 0);   /* no NUMA information: one pool */
}

/* The pages the valid VMs need on each node of the pool, parallel to plan->pages as it is
 * now; also counts them in plan->pages_needed_total. NULL on OOM. */
static NodeCount *pages_needed(Plan *plan) {
        NodeCount *need = calloc(plan->n_pages, sizeof(NodeCount));
        if (!need)
                return NULL;
        for (size_t i = 0; i < plan->n_pages; i++)
                need[i].node = plan->pages[i].node;
        for (size_t v = 0; v < plan->n_vms; v++) {
                const VmPlan *vp = &plan->vms[v];
                if (!vp->valid)
                        continue;
                for (size_t z = 0; z < MAX(vp->n_nodes, (size_t) 1); z++) {
                        /* One zone per node of a VM on several nodes (Hugepages=auto counts each there). */
                        unsigned node = vm_plan_spans_nodes(vp) ? vp->nodes[z].node
                                        : vp->numa_node >= 0 ? (unsigned) vp->numa_node : plan->pages[0].node;
                        uint64_t gib = vm_plan_spans_nodes(vp) ? vp->nodes[z].memory_gib : vp->config->memory_gib;
                        for (size_t i = 0; i < plan->n_pages; i++)
                                if (need[i].node == node)
                                        need[i].count += gib;
                }
                plan->pages_needed_total += vp->config->memory_gib;
        }
        return need;
}

/* What the VMs need, and EXTRA more spread over the nodes. */
static void pages_for_need(Plan *plan, const NodeCount *need, uint64_t extra) {
        for (size_t i = 0; i < plan->n_pages; i++)
                plan->pages[i].count = need[i].count;
        spread(plan, extra);
}

/* Hugepages=COUNT: the VMs' needs first, the rest spread; all spread when COUNT is too few. */
static void pages_by_total(Planner *p, const NodeCount *need) {
        Plan *plan = p->plan;
        const HostConfig *h = &p->config->host;

        if (h->hugepages_total >= plan->pages_needed_total) {
                pages_for_need(plan, need, h->hugepages_total - plan->pages_needed_total);
                return;
        }
        diag_add(&plan->diagnostics, DIAG_ERROR, h->hugepages_where, NULL, NULL,
                 "Hugepages=%" PRIu64 " is less than the %" PRIu64 " pages the VMs need; "
                 "use Hugepages=auto or a larger count", h->hugepages_total, plan->pages_needed_total);
        for (size_t i = 0; i < plan->n_pages; i++)
                plan->pages[i].count = 0;
        spread(plan, h->hugepages_total);
}

/* Hugepages=0:4,1:4: as given; warn where a node's VMs need more. need has n_need nodes:
 * on a root without NUMA information the nodes named here join the pool after it was made. */
static void pages_by_node(Planner *p, const NodeCount *need, size_t n_need) {
        Plan *plan = p->plan;
        const HostConfig *h = &p->config->host;

        for (size_t i = 0; i < h->n_hugepages_nodes; i++) {
                const NodeCount *nc = &h->hugepages_nodes[i];
                if (p->inv->has_nodes && !inventory_find_node(p->inv, nc->node)) {
                        diag_add(&plan->diagnostics, DIAG_ERROR, h->hugepages_where, NULL, NULL,
                                 "Hugepages= names node %u, which this machine does not have; "
                                 "see /sys/devices/system/node", nc->node);
                        continue;
                }
                NodeCount *pc = pages_for(plan, nc->node);
                if (pc)
                        pc->count = nc->count;
        }
        for (size_t i = 0; i < plan->n_pages; i++)
                for (size_t j = 0; j < n_need; j++)
                        if (need[j].node == plan->pages[i].node && need[j].count > plan->pages[i].count)
                                diag_add(&plan->diagnostics, DIAG_WARNING, h->hugepages_where, NULL, NULL,
                                         "Hugepages= gives node %u %" PRIu64 " pages, but its VMs need %"
                                         PRIu64 "; they will not all start", plan->pages[i].node,
                                         plan->pages[i].count, need[j].count);
}

/* Pages wanted where the kernel has no 1 GiB pool to put them in. */
static void check_gigantic_pages(Planner *p) {
        uint64_t total = plan_pages_total(p->plan);
        if (total > 0 && (p->inv->has_nodes || p->inv->has_pci) && !p->inv->gigantic_pages)
                diag_add(&p->plan->diagnostics, DIAG_ERROR, p->config->host.hugepages_where, NULL, NULL,
                         "%" PRIu64 " page%s of 1 GiB %s wanted, but this kernel offers no 1 GiB pages "
                         "(/sys/kernel/mm/hugepages/hugepages-1048576kB is missing): the CPU needs the pdpe1gb "
                         "flag (give the cloud VM a CPU model that has it)", total, total == 1 ? "" : "s",
                         total == 1 ? "is" : "are");
}

/* "a 4G, b 8G": the valid VMs on NODE, for a message. */
static void format_vms_on_node(const Plan *plan, unsigned node, char *buf, size_t size) {
        *buf = 0;
        for (size_t v = 0; v < plan->n_vms; v++) {
                const VmPlan *vp = &plan->vms[v];
                if (!vp->valid)
                        continue;
                if (!vm_plan_spans_nodes(vp) && vp->numa_node == (int) node)
                        snprintf(buf + strlen(buf), size - strlen(buf), "%s%s %" PRIu64 "G", *buf ? ", " : "",
                                 vp->config->name, vp->config->memory_gib);
                for (size_t i = 0; i < vp->n_nodes; i++)
                        if (vp->nodes[i].node == node)
                                snprintf(buf + strlen(buf), size - strlen(buf), "%s%s %" PRIu64 "G of %" PRIu64 "G",
                                         *buf ? ", " : "", vp->config->name, vp->nodes[i].memory_gib,
                                         vp->config->memory_gib);
        }
}

/* Each node's pages must fit in its memory, with some left for the host. */
static void check_node_memory(Planner *p) {
        const Plan *plan = p->plan;
        const HostConfig *h = &p->config->host;

        for (size_t i = 0; i < plan->n_pages; i++) {
                const NumaNode *n = inventory_find_node(p->inv, plan->pages[i].node);
                if (!n || n->memory_kib == 0)
                        continue;
                uint64_t mib = n->memory_kib / 1024, want = plan->pages[i].count * 1024;
                if (want > mib) {
                        char vms[256];
                        format_vms_on_node(plan, n->id, vms, sizeof vms);
                        diag_add(&p->plan->diagnostics, DIAG_ERROR, h->hugepages_where, NULL, NULL,
                                 "node %u has %" PRIu64 " MiB of memory; %" PRIu64 " pages of 1 GiB (VMs: %s; "
                                 "Hugepages=%s) cannot fit: lower Memory=, or move VMs to another node with "
                                 "NUMANode=", n->id, mib, plan->pages[i].count, *vms ? vms : "none",
                                 h->hugepages_mode == HUGEPAGES_AUTO ? "auto" : "as configured");
                } else if (want > 0 && mib - want < NODE_HOST_RESERVE_MIB)
                        diag_add(&p->plan->diagnostics, DIAG_WARNING, h->hugepages_where, NULL, NULL,
                                 "node %u keeps only %" PRIu64 " MiB for the host after %" PRIu64 " pages of 1 GiB; "
                                 "the kernel may give fewer pages, or the host may run short", n->id, mib - want,
                                 plan->pages[i].count);
        }
}

void plan_pages(Planner *p) {
        Plan *plan = p->plan;
        const HostConfig *h = &p->config->host;

        add_host_nodes(p);
        size_t n_need = plan->n_pages;
        _cleanup_(freep) NodeCount *need = pages_needed(plan);
        if (!need) {
                plan->diagnostics.oom = true;
                return;
        }

        switch (h->hugepages_mode) {
        case HUGEPAGES_AUTO:
                pages_for_need(plan, need, h->hugepages_extra);
                break;
        case HUGEPAGES_TOTAL:
                pages_by_total(p, need);
                break;
        case HUGEPAGES_PER_NODE:
                pages_by_node(p, need, n_need);
                break;
        }

        check_gigantic_pages(p);
        check_node_memory(p);
}

void plan_interrupts(Planner *p) {
        Plan *plan = p->plan;
        bool claims = false;
        for (size_t d = 0; d < p->inv->n_devices; d++)
                claims = claims || p->slots[d].owner != UNCLAIMED;
        bool needed = claims && inventory_needs_unsafe_interrupts(p->inv);

        switch (p->config->host.unsafe_interrupts) {
        case TRISTATE_YES:
                plan->unsafe_interrupts = true;
                plan->unsafe_interrupts_reason = "UnsafeInterrupts=yes";
                break;
        case TRISTATE_NO:
                plan->unsafe_interrupts = false;
                plan->unsafe_interrupts_reason = "UnsafeInterrupts=no";
                if (needed)
                        diag_add(&plan->diagnostics, DIAG_WARNING, (Location) {}, NULL, NULL,
                                 "UnsafeInterrupts=no, but the IOMMU cannot remap interrupts: vfio will refuse the "
                                 "passed-through devices; use UnsafeInterrupts=auto");
                break;
        default:
                plan->unsafe_interrupts = needed;
                plan->unsafe_interrupts_reason =
                        needed ? "auto: the IOMMU does not remap interrupts"
                        : !claims ? "auto: no devices are claimed"
                        : p->inv->n_iommus == 0 ? "auto: no IOMMU found"
                                               : "auto: interrupts are remapped";
                break;
        }
        if (claims && p->inv->has_pci && p->inv->n_iommus == 0 && !inventory_has_virtio_iommu(p->inv))
                diag_add(&plan->diagnostics, DIAG_WARNING, (Location) {}, NULL, NULL,
                         "no IOMMU is registered (/sys/class/iommu is empty); vfio needs one: enable "
                         "virtio-iommu for the cloud VM, or intel_iommu=on / amd_iommu=on");
}

uint64_t plan_pages_total(const Plan *p) {
        uint64_t t = 0;
        for (size_t i = 0; i < p->n_pages; i++)
                t += p->pages[i].count;
        return t;
}
