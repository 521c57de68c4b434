/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which VM gets which device (by address, by id, with its IOMMU group and slot), and so which
 * NUMA node each VM lives on. */
#include "plan-devices.h"
#include "plan-id-match.h"
#include "plan-slots.h"
#include "util.h"

/* A VM that fails gives back what it took at once, so one bad VM never starves the others. */
static void release_vm(Planner *p, size_t vm) {
        for (size_t d = 0; d < p->inv->n_devices; d++)
                if (p->slots[d].owner == (int) vm)
                        p->slots[d].owner = UNCLAIMED;
        p->plan->vms[vm].n_devices = 0;
}

static void claim_passthrough(Planner *p) {
        const HostConfig *h = &p->config->host;
        for (size_t i = 0; i < h->n_passthrough; i++) {
                const DeviceMatch *m = &h->passthrough[i];
                char what[40];
                device_match_format(m, what, sizeof what);
                size_t found = 0;
                for (size_t d = 0; d < p->inv->n_devices; d++) {
                        const PciDevice *dev = &p->inv->devices[d];
                        if (m->by_address ? pci_address_compare(dev->address, m->address) != 0 : !plan_match_id(dev, m))
                                continue;
                        found++;
                        if (dev->bridge) {
                                diag_add(&p->plan->diagnostics, DIAG_ERROR, m->where, NULL, dev->name,
                                         "Passthrough=%s: %s is a PCI bridge, which cannot be passed through; "
                                         "name the device behind it", what, dev->name);
                                continue;
                        }
                        plan_claim(p, d, HOST, CLAIM_PASSTHROUGH, m->where);
                }
                if (found == 0)
                        diag_add(&p->plan->diagnostics, DIAG_WARNING, m->where, NULL, NULL,
                                 "Passthrough=%s matches no device on this machine; nothing to bind "
                                 "(see 'nestvirt devices')", what);
        }
}

static void claim_addresses(Planner *p, size_t vm) {
        const VmConfig *c = &p->config->vms[vm];
        for (size_t i = 0; i < c->n_devices; i++) {
                const DeviceMatch *m = &c->devices[i];
                if (!m->by_address)
                        continue;
                char a[PCI_ADDRESS_MAX];
                pci_address_format(m->address, a);
                const PciDevice *dev = inventory_find_device(p->inv, m->address);
                if (!dev) {
                        VM_ERROR(p, vm, m->where, a,
                                 "Device=%s: no such PCI device on this machine; check 'nestvirt devices', or "
                                 "match by vendor:device so the image works on every machine type", a);
                        continue;
                }
                size_t d = (size_t) (dev - p->inv->devices);
                if (dev->bridge) {
                        VM_ERROR(p, vm, m->where, a,
                                 "Device=%s is a PCI bridge, which cannot be passed through; name the device "
                                 "behind it", a);
                        continue;
                }
                if (p->slots[d].owner >= 0) {
                        VM_ERROR(p, vm, m->where, a, "Device=%s is already given to [VM %s] (%s:%u); a device "
                                 "goes to one VM only", a, plan_owner_name(p, p->slots[d].owner),
                                 p->slots[d].where.file, p->slots[d].where.line);
                        continue;
                }
                int o = plan_group_taken_by_other(p, d, (int) vm);
                if (o >= 0) {
                        const Slot *os = &p->slots[o];
                        const char *other = p->inv->devices[o].name, *who = plan_owner_name(p, os->owner);
                        if (dev->iommu_group >= 0)
                                VM_ERROR(p, vm, m->where, a, "Device=%s shares IOMMU group %d with %s, which "
                                         "belongs to [VM %s] (%s:%u); a group goes to one VM: give both to the "
                                         "same VM", a, dev->iommu_group, other, who, os->where.file, os->where.line);
                        else
                                VM_ERROR(p, vm, m->where, a, "Device=%s and %s are functions of one device, which "
                                         "goes to one VM; %s belongs to [VM %s] (%s:%u): give both to the same VM",
                                         a, other, other, who, os->where.file, os->where.line);
                        continue;
                }
                plan_claim(p, d, (int) vm, CLAIM_VM, m->where);
                if (plan_add_vm_device(&p->plan->vms[vm], d) < 0)
                        p->plan->diagnostics.oom = true;
        }
}

static bool same_slot(const PciDevice *a, const PciDevice *b) {
        return a->address.domain == b->address.domain && a->address.bus == b->address.bus &&
               a->address.slot == b->address.slot;
}

static int cmp_by_group(const void *a, const void *b, void *userdata) {
        const Inventory *inv = userdata;
        const PciDevice *x = &inv->devices[*(const size_t *) a];
        const PciDevice *y = &inv->devices[*(const size_t *) b];
        if (x->iommu_group != y->iommu_group)
                return x->iommu_group < y->iommu_group ? -1 : 1;
        return *(const size_t *) a < *(const size_t *) b ? -1 : 1;
}

/* Device O goes along with claimed device D, for D's owner. */
static void follow(Planner *p, size_t o, size_t d) {
        const Slot *s = &p->slots[d];
        p->slots[o] = (Slot) { .owner = s->owner, .reason = CLAIM_SIBLING, .where = s->where, .sibling_of = d };
}

/* Under virtio-iommu (ACPI VIOT) a device joins its group only when a driver probes it; the
 * group will then hold the other functions of its slot (a GPU's audio function). Claim those
 * now, before their drivers load; bind-vfio verifies the real group after binding. */
static void claim_slot_functions(Planner *p, size_t d) {
        const Inventory *inv = p->inv;
        const PciDevice *dev = &inv->devices[d];
        const Slot *s = &p->slots[d];

        /* Devices are sorted by address: a slot's functions are neighbours. */
        size_t first = d, last = d;
        while (first > 0 && same_slot(&inv->devices[first - 1], dev))
                first--;
        while (last + 1 < inv->n_devices && same_slot(&inv->devices[last + 1], dev))
                last++;
        for (size_t o = first; o <= last; o++) {
                const PciDevice *other = &inv->devices[o];
                const Slot *os = &p->slots[o];
                if (o == d || other->bridge || other->iommu_group >= 0 || os->owner == s->owner)
                        continue;
                if (os->owner >= 0 && s->owner >= 0) {
                        VM_ERROR(p, (size_t) s->owner, s->where, dev->name,
                                 "%s and %s are functions of one device, which goes to one VM; %s belongs "
                                 "to [VM %s]: give both to the same VM", dev->name, other->name, other->name,
                                 plan_owner_name(p, os->owner));
                        continue;
                }
                if (os->owner < 0)
                        follow(p, o, d);
        }
}

/* The other members of claimed device D's IOMMU group; by_group lists the N grouped devices
 * ordered by group. */
static void claim_group(Planner *p, size_t d, const size_t *by_group, size_t n) {
        const Inventory *inv = p->inv;
        const PciDevice *dev = &inv->devices[d];
        const Slot *s = &p->slots[d];

        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (inv->devices[by_group[mid]].iommu_group < dev->iommu_group)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; i < n && inv->devices[by_group[i]].iommu_group == dev->iommu_group; i++) {
                size_t o = by_group[i];
                const PciDevice *other = &inv->devices[o];
                const Slot *os = &p->slots[o];
                if (o == d || os->owner == s->owner)
                        continue;
                if (os->owner >= 0 && s->owner >= 0) {
                        VM_ERROR(p, (size_t) s->owner, s->where, dev->name,
                                 "%s shares IOMMU group %d with %s, which belongs to [VM %s]; a group goes "
                                 "to one VM: give both to the same VM", dev->name, dev->iommu_group,
                                 other->name, plan_owner_name(p, os->owner));
                        continue;
                }
                if (os->owner >= 0)
                        continue;   /* host passthrough device next to a VM's: the VM's claim wins */
                follow(p, o, d);
        }
}

/* vfio hands out whole IOMMU groups: every endpoint in a claimed device's group goes along. */
static void claim_siblings(Planner *p) {
        const Inventory *inv = p->inv;

        /* Devices ordered by group, so each group's members are one range (512 GPUs stay cheap). */
        _cleanup_(freep) size_t *by_group = malloc(sizeof(size_t) * MAX(inv->n_devices, (size_t) 1));
        size_t n = 0;
        if (!by_group) {
                p->plan->diagnostics.oom = true;
                return;
        }
        for (size_t d = 0; d < inv->n_devices; d++)
                if (inv->devices[d].iommu_group >= 0 && !inv->devices[d].bridge)
                        by_group[n++] = d;
        if (n > 0)
                qsort_r(by_group, n, sizeof(size_t), cmp_by_group, (void *) inv);

        for (size_t d = 0; d < inv->n_devices; d++) {
                if (p->slots[d].owner == UNCLAIMED || p->slots[d].reason == CLAIM_SIBLING)
                        continue;
                claim_slot_functions(p, d);
                if (inv->devices[d].iommu_group >= 0)
                        claim_group(p, d, by_group, n);
        }
}

void plan_assign_devices(Planner *p) {
        VmPlan *vms = p->plan->vms;

        claim_passthrough(p);
        /* Addresses first, so an id match never takes a device someone named exactly. */
        for (size_t v = 0; v < p->plan->n_vms; v++)
                if (vms[v].valid) {
                        claim_addresses(p, v);
                        if (!vms[v].valid)
                                release_vm(p, v);
                }
        for (size_t v = 0; v < p->plan->n_vms; v++)
                if (vms[v].valid) {
                        plan_take_id_matches(p, v);
                        if (!vms[v].valid)
                                release_vm(p, v);
                }
        claim_siblings(p);
}
