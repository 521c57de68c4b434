/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device slots the planner fills: who holds a device, and whether one is free for a VM with
 * everything that goes along with it. Shared by plan-devices.c and plan-id-match.c. */
#include "plan-slots.h"
#include "util.h"

const char *plan_owner_name(const Planner *p, int owner) {
        return owner >= 0 ? p->config->vms[owner].name : "[Host] Passthrough=";
}

bool plan_match_id(const PciDevice *d, const DeviceMatch *m) {
        return !m->by_address && d->vendor == m->vendor && d->device == m->device;
}

int plan_add_vm_device(VmPlan *vp, size_t device) {
        size_t *x = ARRAY_APPEND(vp->devices, vp->n_devices);
        if (!x)
                return -ENOMEM;
        *x = device;
        return 0;
}

/* Whether O goes to whoever takes D: another endpoint of D's IOMMU group, or, under
 * virtio-iommu where groups form only when a driver probes, another function of D's slot
 * (see claim_slot_functions()). */
static bool follows(const PciDevice *o, const PciDevice *d) {
        if (o == d || o->bridge)
                return false;
        if (d->iommu_group >= 0)
                return o->iommu_group == d->iommu_group;
        return o->iommu_group < 0 && o->address.domain == d->address.domain && o->address.bus == d->address.bus &&
               o->address.slot == d->address.slot;
}

/* The first device that would go along with D but belongs to another VM than VM, or -1. A
 * device is free for a VM only when its whole group is: taking one whose sibling another VM
 * holds would cost both VMs their units. */
int plan_group_taken_by_other(const Planner *p, size_t d, int vm) {
        const PciDevice *dev = &p->inv->devices[d];
        for (size_t o = 0; o < p->inv->n_devices; o++)
                if (p->slots[o].owner >= 0 && p->slots[o].owner != vm && follows(&p->inv->devices[o], dev))
                        return (int) o;
        return -1;
}

/* Free for VM: nobody's (or only [Host] Passthrough='s, which a VM overrides), and so is its group. */
bool plan_device_free_for(const Planner *p, size_t d, int vm) {
        return p->slots[d].owner < 0 && !p->inv->devices[d].bridge && plan_group_taken_by_other(p, d, vm) < 0;
}

void plan_claim(Planner *p, size_t device, int owner, ClaimReason reason, Location where) {
        p->slots[device] = (Slot) { .owner = owner, .reason = reason, .where = where };
}

void plan_take_device(Planner *p, size_t vm, size_t d, Location where) {
        plan_claim(p, d, (int) vm, CLAIM_VM, where);
        if (plan_add_vm_device(&p->plan->vms[vm], d) < 0)
                p->plan->diagnostics.oom = true;
}
