/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What apply would change (src/core/plan-diff.c): a plan built from a config and a fake
 * inventory, against fake observations (pool sizes, drivers, unit texts). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake-inventory.h"
#include "plan-check.h"
#include "plan-diff.h"
#include "util.h"

static void set_driver(Inventory *inv, const char *address, const char *driver) {
        PciDevice *d = &inv->devices[dev(inv, address)];
        free(d->driver);
        d->driver = driver ? strdup(driver) : NULL;
}

static void test_pages(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        PlanDiff d;
        two_nodes(&inv);
        inv_sort(&inv);
        config(&c, "[Host]\nHugepages=0:4,1:2\n");
        plan(&c, &inv, &p);

        /* Node 0 short by 2; node 1 has more than planned: pools are never shrunk. */
        const NodeCount reserved[] = { { .node = 1, .count = 3 }, { .node = 0, .count = 2 } };
        assert_int_equal(plan_diff(&p, reserved, 2, NULL, 0, NULL, 0, &d), 0);
        assert_int_equal(d.n_pages, 1);
        assert_int_equal(d.pages[0].node, 0);
        assert_int_equal(d.pages[0].reserved, 2);
        assert_int_equal(d.pages[0].planned, 4);
        assert_int_equal(d.n_devices, 0);
        assert_int_equal(d.n_units, 0);
        plan_diff_done(&d);

        /* A node the observation lacks has no pages. */
        assert_int_equal(plan_diff(&p, reserved, 1, NULL, 0, NULL, 0, &d), 0);
        assert_int_equal(d.n_pages, 1);
        assert_int_equal(d.pages[0].reserved, 0);
        plan_diff_done(&d);

        /* Everything reserved: nothing to change. */
        const NodeCount enough[] = { { .node = 0, .count = 4 }, { .node = 1, .count = 2 } };
        assert_int_equal(plan_diff(&p, enough, 2, NULL, 0, NULL, 0, &d), 0);
        assert_true(plan_diff_is_empty(&d));
        plan_diff_done(&d);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
        (void) state;
}

static void test_devices(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        PlanDiff d;
        eight_gpus(&inv);
        inv_sort(&inv);
        /* 18:00.0 is claimed and on vfio-pci already; db:00.0 is on vfio-pci, claimed no more;
         * 5d:00.0 has no driver. */
        set_driver(&inv, "0000:18:00.0", "vfio-pci");
        set_driver(&inv, "0000:db:00.0", "vfio-pci");
        set_driver(&inv, "0000:5d:00.0", NULL);
        config(&c, "[Host]\nPassthrough=0000:5d:00.0\n"
                   "[VM a]\nMemory=1G\nKernel=/k\nNUMANode=0\nDevice=10de:2330*2\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        const NodeCount reserved[] = { { .node = 0, .count = 1 } };

        assert_int_equal(plan_diff(&p, reserved, 1, NULL, 0, NULL, 0, &d), 0);
        assert_int_equal(d.n_pages, 0);
        assert_int_equal(d.n_devices, 3);
        /* Claims first, by address: a's second device (node 0's next, 2a:00.0, from nvidia), then
         * the passthrough one (no driver); 18:00.0 is on vfio-pci already. */
        const Claim *a_second = claim_of(&p, "0000:2a:00.0");
        assert_int_equal(a_second->vm, vm_index(&p, "a"));
        assert_int_equal(d.devices[0].kind, DEVICE_CLAIM);
        assert_ptr_equal(d.devices[0].claim, a_second);
        assert_int_equal(d.devices[0].device, dev(&inv, "0000:2a:00.0"));
        assert_int_equal(d.devices[1].kind, DEVICE_CLAIM);
        assert_int_equal(d.devices[1].device, dev(&inv, "0000:5d:00.0"));
        assert_int_equal(d.devices[1].claim->reason, CLAIM_PASSTHROUGH);
        assert_int_equal(d.devices[2].kind, DEVICE_RELEASED);
        assert_int_equal(d.devices[2].device, dev(&inv, "0000:db:00.0"));
        assert_null(d.devices[2].claim);
        plan_diff_done(&d);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
        (void) state;
}

static void test_units(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        PlanDiff d;
        two_nodes(&inv);
        inv_sort(&inv);
        config(&c, "[Host]\nHugepages=0\n");
        plan(&c, &inv, &p);

        const UnitText desired[] = {
                { .vm = "a", .text = "A1", .autostart = true },
                { .vm = "b", .text = "B" },
                { .vm = "d", .text = "D", .autostart = true },
        };
        const UnitText loaded[] = {
                { .vm = "a", .text = "A0", .running = true },
                { .vm = "b", .text = "B", .running = true },
                { .vm = "c", .text = "C", .running = true },
                { .vm = "e", .text = "E" },
        };
        assert_int_equal(plan_diff(&p, NULL, 0, desired, 3, loaded, 4, &d), 0);
        assert_int_equal(d.n_units, 4);
        assert_int_equal(d.units[0].kind, UNIT_CHANGED);
        assert_string_equal(d.units[0].vm, "a");
        assert_true(d.units[0].running);
        assert_true(d.units[0].autostart);
        assert_int_equal(d.units[1].kind, UNIT_NEW);
        assert_string_equal(d.units[1].vm, "d");
        assert_false(d.units[1].running);
        assert_true(d.units[1].autostart);
        assert_int_equal(d.units[2].kind, UNIT_REMOVED);
        assert_string_equal(d.units[2].vm, "c");
        assert_true(d.units[2].running);
        assert_int_equal(d.units[3].kind, UNIT_REMOVED);
        assert_string_equal(d.units[3].vm, "e");
        assert_false(d.units[3].running);
        assert_string_equal(unit_change_kind_to_string(d.units[2].kind), "removed");
        plan_diff_done(&d);

        /* The same texts: nothing. */
        assert_int_equal(plan_diff(&p, NULL, 0, loaded, 4, loaded, 4, &d), 0);
        assert_true(plan_diff_is_empty(&d));
        plan_diff_done(&d);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
        (void) state;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pages),
                cmocka_unit_test(test_devices),
                cmocka_unit_test(test_units),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
