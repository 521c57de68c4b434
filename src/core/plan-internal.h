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

/* The host's first NUMA node, NODE_NONE without NUMA information. */
static inline int plan_first_node(const Inventory *inv) {
        return inv->n_nodes > 0 ? (int) inv->nodes[0].id : NODE_NONE;
}
