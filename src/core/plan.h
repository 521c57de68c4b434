/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config.h"
#include "inventory.h"

/* The pure core: config + inventory -> plan. No I/O. The generator, check, plan, status
 * and the runtime actions all call plan_build(), so they cannot disagree. */

typedef enum ClaimReason {
        CLAIM_VM,            /* matched by a VM's Device= */
        CLAIM_SIBLING,       /* another endpoint of a claimed device's IOMMU group */
        CLAIM_PASSTHROUGH,   /* [Host] Passthrough=, no VM uses it */
} ClaimReason;

typedef struct Claim {
        size_t device;       /* index into inventory->devices */
        int vm;              /* index into config->vms, or -1 */
        ClaimReason reason;
        Location where;
        size_t sibling_of;   /* for CLAIM_SIBLING: the device it follows */
} Claim;

/* A VM's tap and, with HostAddress= or Network=nat, the IPv4 link to its guest (net-plan.h). */
typedef struct VmNetwork {
        char tap[TAP_NAME_MAX + 1];   /* empty: Network=none */
        bool has_subnet;
        bool default_subnet;          /* Network=nat's pool, not HostAddress= */
        uint32_t host, guest;         /* IPv4 addresses, host byte order */
        unsigned prefix;
} VmNetwork;
/* One host node of a VM that spans several (DESIGN.md "VMs on several nodes"): guest NUMA
 * node, memory zone and PCI segment I are the VM's nodes[I]. */
typedef struct VmNode {
        unsigned node;       /* host NUMA node */
        uint64_t memory_gib;
        unsigned cpus;       /* vCPUs */
        unsigned first_cpu;  /* its first vCPU */
        CpuSet host_cpus;    /* where its vCPUs run; empty: unpinned */
        uint64_t mmio64_weight; /* --pci-segment mmio64_aperture_weight=; 0: Cloud Hypervisor's 1 */
} VmNode;

typedef struct VmPlan {
        const VmConfig *config;
        bool valid;          /* no errors: the generator writes its unit */
        int numa_node;       /* NODE_NONE when the host has no NUMA information; the first of nodes[] */
        CpuSet cpus;         /* empty: no affinity (one node; see nodes[] for several) */
        size_t *devices;     /* devices handed to the VM (not siblings), in --device order */
        size_t n_devices;
        VmNetwork net;
        VmNode *nodes;       /* a VM on several nodes, ascending; NULL on one node */
        size_t n_nodes;
        unsigned *segments;  /* with nodes: each device's PCI segment, parallel to devices */
} VmPlan;

static inline bool vm_plan_spans_nodes(const VmPlan *vp) {
        return vp->n_nodes > 1;
}

typedef struct Plan {
        const Config *config;
        const Inventory *inventory;
        NodeCount *pages;    /* 1 GiB pages per node, every node of the host, sorted */
        size_t n_pages;
        uint64_t pages_needed_total;
        Claim *claims;       /* sorted by device address */
        size_t n_claims;
        VmPlan *vms;         /* parallel to config->vms */
        size_t n_vms;
        bool unsafe_interrupts;
        const char *unsafe_interrupts_reason;
        Diagnostics diagnostics;
} Plan;

int plan_build(const Config *c, const Inventory *inv, Plan *ret);
void plan_done(Plan *p);

const Claim *plan_find_claim(const Plan *p, size_t device);
uint64_t plan_pages_total(const Plan *p);
/* Whether the static units (hugepages, vfio) have work to do on this plan. */
bool plan_wants_hugepages(const Plan *p);
bool plan_wants_vfio(const Plan *p);
const char *claim_reason_to_string(ClaimReason r);
