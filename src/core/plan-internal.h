/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the parts of the planner share: plan.c runs the steps, plan-devices.c assigns devices
 * and nodes to VMs, plan-host.c works out what the host must provide for them (pages,
 * interrupts). */

#include "plan.h"

#define UNCLAIMED (-2)
#define HOST (-1)

typedef struct Slot {
        int owner;           /* UNCLAIMED, HOST, or a VM index */
        ClaimReason reason;
        Location where;
        size_t sibling_of;
} Slot;

typedef struct Planner {
        const Config *config;
        const Inventory *inv;
        Plan *plan;
        Slot *slots;         /* one per inventory device */
} Planner;

#define VM_ERROR(p, vm, where, device, ...)                                                        \
        do {                                                                                        \
                diag_add(&(p)->plan->diagnostics, DIAG_ERROR, (where), (p)->config->vms[vm].name,   \
                         (device), __VA_ARGS__);                                                    \
                (p)->plan->vms[vm].valid = false;                                                   \
        } while (0)

/* Shared by plan-devices.c and plan-id-match.c. */
const char *plan_owner_name(const Planner *p, int owner);
bool plan_match_id(const PciDevice *d, const DeviceMatch *m);
/* Free for VM: nobody's (or only [Host] Passthrough='s, which a VM overrides), and so is every
 * device that would go along with it (its IOMMU group, or its slot without groups). */
bool plan_device_free_for(const Planner *p, size_t d, int vm);
/* Claims device D for VM, from the Device= line at WHERE, and hands it to the VM. */
void plan_take_device(Planner *p, size_t vm, size_t d, Location where);
/* The VM's id matches (after every VM's addresses): its node or nodes, then the devices. */
void plan_take_id_matches(Planner *p, size_t vm);

/* The host's first NUMA node, NODE_NONE without NUMA information. */
static inline int plan_first_node(const Inventory *inv) {
        return inv->n_nodes > 0 ? (int) inv->nodes[0].id : NODE_NONE;
}
