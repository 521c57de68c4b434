/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "net-plan.h"
#include "plan-devices.h"
#include "plan-host.h"
#include "plan-mmio.h"
#include "plan-nodes.h"
#include "plan.h"
#include "util.h"

static void plan_affinity(Planner *p, size_t vm) {
        const VmConfig *c = &p->config->vms[vm];
        VmPlan *vp = &p->plan->vms[vm];
        const NumaNode *node = vp->numa_node >= 0 ? inventory_find_node(p->inv, vp->numa_node) : NULL;

        if (c->affinity_mode == AFFINITY_NONE)
                return;
        if (c->affinity_mode == AFFINITY_LIST) {
                if (cpu_set_copy(&vp->cpus, &c->affinity) < 0) {
                        p->plan->diagnostics.oom = true;
                        return;
                }
                if (!p->inv->has_nodes)
                        return;
                for (unsigned cpu = 0; cpu < c->affinity.n_words * 64; cpu++) {
                        if (!cpu_set_has(&c->affinity, cpu))
                                continue;
                        bool exists = false;
                        for (size_t n = 0; n < p->inv->n_nodes && !exists; n++)
                                exists = cpu_set_has(&p->inv->nodes[n].cpus, cpu);
                        if (!exists) {
                                VM_ERROR(p, vm, c->affinity_where, NULL,
                                         "CPUAffinity= names CPU %u, which this machine does not have; "
                                         "see /sys/devices/system/node/node*/cpulist", cpu);
                                return;
                        }
                        if (node && !cpu_set_has(&node->cpus, cpu)) {
                                diag_add(&p->plan->diagnostics, DIAG_WARNING, c->affinity_where, c->name, NULL,
                                         "CPUAffinity= includes CPU %u, which is not on node %d where the VM's "
                                         "memory and devices are; expect slower memory access", cpu, vp->numa_node);
                                return;
                        }
                }
                return;
        }

        if (!node)
                return;   /* no NUMA information: leave scheduling to the kernel */
        if (cpu_set_count(&node->cpus) == 0) {
                diag_add(&p->plan->diagnostics, DIAG_WARNING, c->where, c->name, NULL,
                         "node %d has no CPUs; vCPUs are not pinned (set CPUAffinity= to choose)", vp->numa_node);
                return;
        }
        if (cpu_set_copy(&vp->cpus, &node->cpus) < 0)
                p->plan->diagnostics.oom = true;
}

/* All devices unclaimed, one VmPlan per configured VM (valid unless its config is not). */
static int planner_init(Planner *p) {
        const Config *c = p->config;
        Plan *plan = p->plan;

        p->slots = calloc(MAX(p->inv->n_devices, (size_t) 1), sizeof(Slot));
        plan->vms = calloc(MAX(c->n_vms, (size_t) 1), sizeof(VmPlan));
        if (!p->slots || !plan->vms)
                return -ENOMEM;
        plan->n_vms = c->n_vms;
        for (size_t d = 0; d < p->inv->n_devices; d++)
                p->slots[d].owner = UNCLAIMED;
        for (size_t v = 0; v < c->n_vms; v++)
                plan->vms[v] = (VmPlan) { .config = &c->vms[v], .valid = !c->vms[v].invalid, .numa_node = NODE_NONE };
        return 0;
}

/* No PCI devices to see (an image root): nodes as configured, or the first. */
static void assign_nodes_only(Planner *p) {
        const Config *c = p->config;

        for (size_t v = 0; v < c->n_vms; v++)
                p->plan->vms[v].numa_node = c->vms[v].numa_node >= 0 ? c->vms[v].numa_node : plan_first_node(p->inv);
        if (c->n_vms > 0 || c->host.n_passthrough > 0)
                diag_add(&p->plan->diagnostics, DIAG_NOTE, (Location) {}, NULL, NULL,
                         "no PCI devices visible (no /sys under the root?): device assignment not checked");
}

/* A device the kernel puts on a node that does not exist is planned as one without NUMA
 * information (see the inventory); say so where it is used. */
static void warn_stray_nodes(Planner *p) {
        for (size_t d = 0; d < p->inv->n_devices; d++) {
                const PciDevice *dev = &p->inv->devices[d];
                const Slot *s = &p->slots[d];
                if (!dev->stray_numa_node || s->owner == UNCLAIMED)
                        continue;
                diag_add(&p->plan->diagnostics, DIAG_WARNING, s->where, s->owner >= 0 ? p->config->vms[s->owner].name : NULL,
                         dev->name, "%s: sysfs says NUMA node %d, but /sys/devices/system/node/node%d does not exist; "
                         "planned as a device without NUMA information (set NUMANode= to choose the node)",
                         dev->name, dev->kernel_numa_node, dev->kernel_numa_node);
        }
}

/* A claimed device the kernel cannot reset (sysfs reset_method is empty) reaches the VM's next
 * boot as the last one left it; only a fresh Cloud Hypervisor process re-initialises it. */
static void warn_no_reset(Planner *p) {
        for (size_t d = 0; d < p->inv->n_devices; d++) {
                const PciDevice *dev = &p->inv->devices[d];
                const Slot *s = &p->slots[d];
                if (dev->reset != PCI_RESET_NONE || s->owner == UNCLAIMED)
                        continue;
                const char *vm = s->owner >= 0 ? p->config->vms[s->owner].name : NULL;
                diag_add(&p->plan->diagnostics, DIAG_WARNING, s->where, vm, dev->name,
                         "%s (%s%s) has no reset method (reset_method is empty): after the VM restarts the "
                         "device keeps its state; stop and start the VM rather than rebooting it inside, or "
                         "check the kernel's reset quirks", dev->name, vm ? "VM " : "Passthrough=, for vfio-pci",
                         vm ? vm : "");
        }
}

/* PeerToPeer= speaks NVIDIA's GPUDirect capability only; other devices get nothing from it. */
static void check_peer_to_peer(Planner *p, size_t vm) {
        const VmConfig *c = &p->config->vms[vm];
        const VmPlan *vp = &p->plan->vms[vm];
        if (!c->peer_to_peer)
                return;
        for (size_t i = 0; i < vp->n_devices; i++) {
                const PciDevice *dev = &p->inv->devices[vp->devices[i]];
                if (dev->vendor != PCI_VENDOR_ID_NVIDIA)
                        diag_add(&p->plan->diagnostics, DIAG_WARNING, c->where, c->name, dev->name,
                                 "PeerToPeer=yes: %s is not an NVIDIA device (vendor %04x), so it is not told "
                                 "about peer-to-peer (x_nv_gpudirect_clique is NVIDIA's)", dev->name, dev->vendor);
        }
}

/* A VM that failed gives its devices back: nothing binds what nothing will use. */
static void release_invalid_vms(Planner *p) {
        for (size_t d = 0; d < p->inv->n_devices; d++)
                if (p->slots[d].owner >= 0 && !p->plan->vms[p->slots[d].owner].valid)
                        p->slots[d].owner = UNCLAIMED;
}

/* The claimed slots, as the plan's claims in device (address) order. */
static int collect_claims(Planner *p) {
        Plan *plan = p->plan;

        for (size_t d = 0; d < p->inv->n_devices; d++) {
                const Slot *s = &p->slots[d];
                if (s->owner == UNCLAIMED)
                        continue;
                Claim *x = ARRAY_APPEND(plan->claims, plan->n_claims);
                if (!x)
                        return -ENOMEM;
                *x = (Claim) {
                        .device = d,
                        .vm = s->owner,
                        .reason = s->reason,
                        .where = s->where,
                        .sibling_of = s->sibling_of,
                };
        }
        return 0;
}

/* The planner in order: each step reads what the ones before decided. */
static int plan_steps(Planner *p) {
        int r = planner_init(p);
        if (r < 0)
                return r;
        if (p->inv->has_pci)
                plan_assign_devices(p);
        else
                assign_nodes_only(p);
        warn_stray_nodes(p);
        for (size_t v = 0; v < p->plan->n_vms; v++) {
                if (p->plan->vms[v].valid)
                        plan_vm_nodes(p, v);
                if (p->plan->vms[v].valid && !vm_plan_spans_nodes(&p->plan->vms[v]))
                        plan_affinity(p, v);
                if (p->plan->vms[v].valid)
                        check_peer_to_peer(p, v);
                if (p->plan->vms[v].valid)
                        plan_mmio(p, v);
        }
        plan_networks(p);
        release_invalid_vms(p);
        warn_no_reset(p);
        plan_pages(p);
        plan_interrupts(p);
        r = collect_claims(p);
        if (r < 0)
                return r;
        return p->plan->diagnostics.oom ? -ENOMEM : 0;
}

int plan_build(const Config *c, const Inventory *inv, Plan *ret) {
        Plan plan = { .config = c, .inventory = inv };
        Planner p = { .config = c, .inv = inv, .plan = &plan };

        int r = plan_steps(&p);
        free(p.slots);
        if (r < 0) {
                plan_done(&plan);
                return r;
        }
        *ret = plan;
        return 0;
}

void plan_done(Plan *p) {
        for (size_t v = 0; v < p->n_vms; v++) {
                cpu_set_done(&p->vms[v].cpus);
                free(p->vms[v].devices);
                for (size_t n = 0; n < p->vms[v].n_nodes; n++)
                        cpu_set_done(&p->vms[v].nodes[n].host_cpus);
                free(p->vms[v].nodes);
                free(p->vms[v].segments);
        }
        free(p->vms);
        free(p->pages);
        free(p->claims);
        diag_done(&p->diagnostics);
        *p = (Plan) {};
}

const Claim *plan_find_claim(const Plan *p, size_t device) {
        for (size_t i = 0; i < p->n_claims; i++)
                if (p->claims[i].device == device)
                        return &p->claims[i];
        return NULL;
}

bool plan_wants_hugepages(const Plan *p) {
        return plan_pages_total(p) > 0;
}

bool plan_wants_vfio(const Plan *p) {
        return p->n_claims > 0 || p->unsafe_interrupts;
}

const char *claim_reason_to_string(ClaimReason r) {
        return r == CLAIM_VM ? "device" : r == CLAIM_SIBLING ? "group-sibling" : "passthrough";
}
