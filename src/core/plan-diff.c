/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "plan-diff.h"
#include "util.h"

#define VFIO_DRIVER_NAME "vfio-pci"

static uint64_t reserved_on(const NodeCount *reserved, size_t n, unsigned node) {
        for (size_t i = 0; i < n; i++)
                if (reserved[i].node == node)
                        return reserved[i].count;
        return 0;
}

static int diff_pages(const Plan *plan, const NodeCount *reserved, size_t n_reserved, PlanDiff *d) {
        for (size_t i = 0; i < plan->n_pages; i++) {
                uint64_t have = reserved_on(reserved, n_reserved, plan->pages[i].node);
                if (have >= plan->pages[i].count)
                        continue;   /* pools are never shrunk */
                PageChange *c = ARRAY_APPEND(d->pages, d->n_pages);
                if (!c)
                        return -ENOMEM;
                *c = (PageChange) { .node = plan->pages[i].node, .reserved = have, .planned = plan->pages[i].count };
        }
        return 0;
}

static int add_device(PlanDiff *d, DeviceChangeKind kind, size_t device, const Claim *claim) {
        DeviceChange *c = ARRAY_APPEND(d->devices, d->n_devices);
        if (!c)
                return -ENOMEM;
        *c = (DeviceChange) { .kind = kind, .device = device, .claim = claim };
        return 0;
}

static int diff_devices(const Plan *plan, PlanDiff *d) {
        const Inventory *inv = plan->inventory;
        for (size_t i = 0; i < plan->n_claims; i++)
                if (!streq_ptr(inv->devices[plan->claims[i].device].driver, VFIO_DRIVER_NAME) &&
                    add_device(d, DEVICE_CLAIM, plan->claims[i].device, &plan->claims[i]) < 0)
                        return -ENOMEM;
        for (size_t k = 0; k < inv->n_devices; k++)
                if (streq_ptr(inv->devices[k].driver, VFIO_DRIVER_NAME) && !plan_find_claim(plan, k) &&
                    add_device(d, DEVICE_RELEASED, k, NULL) < 0)
                        return -ENOMEM;
        return 0;
}

static const UnitText *find_unit(const UnitText *units, size_t n, const char *vm) {
        for (size_t i = 0; i < n; i++)
                if (streq(units[i].vm, vm))
                        return &units[i];
        return NULL;
}

static int add_unit(PlanDiff *d, UnitChangeKind kind, const char *vm, bool autostart, bool running) {
        UnitChange *c = ARRAY_APPEND(d->units, d->n_units);
        if (!c)
                return -ENOMEM;
        *c = (UnitChange) { .kind = kind, .vm = vm, .autostart = autostart, .running = running };
        return 0;
}

static int diff_units(const UnitText *desired, size_t n_desired, const UnitText *loaded, size_t n_loaded,
                      PlanDiff *d) {
        for (size_t i = 0; i < n_desired; i++) {
                const UnitText *was = find_unit(loaded, n_loaded, desired[i].vm);
                if (was && streq(was->text, desired[i].text))
                        continue;
                if (add_unit(d, was ? UNIT_CHANGED : UNIT_NEW, desired[i].vm, desired[i].autostart,
                             was && was->running) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n_loaded; i++)
                if (!find_unit(desired, n_desired, loaded[i].vm) &&
                    add_unit(d, UNIT_REMOVED, loaded[i].vm, false, loaded[i].running) < 0)
                        return -ENOMEM;
        return 0;
}

int plan_diff(const Plan *plan, const NodeCount *reserved, size_t n_reserved, const UnitText *desired,
              size_t n_desired, const UnitText *loaded, size_t n_loaded, PlanDiff *ret) {
        PlanDiff d = {};
        if (diff_pages(plan, reserved, n_reserved, &d) < 0 || diff_devices(plan, &d) < 0 ||
            diff_units(desired, n_desired, loaded, n_loaded, &d) < 0) {
                plan_diff_done(&d);
                return -ENOMEM;
        }
        *ret = d;
        return 0;
}

void plan_diff_done(PlanDiff *d) {
        free(d->pages);
        free(d->devices);
        free(d->units);
        *d = (PlanDiff) {};
}

bool plan_diff_is_empty(const PlanDiff *d) {
        return d->n_pages == 0 && d->n_devices == 0 && d->n_units == 0;
}

const char *unit_change_kind_to_string(UnitChangeKind k) {
        static const char *const names[] = { [UNIT_NEW] = "new", [UNIT_CHANGED] = "changed", [UNIT_REMOVED] = "removed" };
        return names[k];
}
