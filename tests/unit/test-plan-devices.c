/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device assignment (src/core/plan-devices.c): IOMMU groups as part of choosing a device, devices
 * whose NUMA node does not exist, and VMs whose devices span several NUMA nodes. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "fake-inventory.h"
#include "inventory.h"
#include "plan-check.h"
#include "plan.h"
#include "util.h"

/* ---- IOMMU groups decide which device is free ---- */

/* An id match skips a device whose group another VM already holds, and takes a free one: both
 * VMs keep their units. */
static void test_id_match_skips_claimed_group(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        two_nodes(&inv);
        /* 18:00.0 and 19:00.0 share group 10 (no ACS); 1a:00.0 is alone in group 11. */
        add_dev(&inv, "0000:18:00.0", GPU, 0, 10, NULL);
        add_dev(&inv, "0000:19:00.0", GPU, 0, 10, NULL);
        add_dev(&inv, "0000:1a:00.0", GPU, 0, 11, NULL);
        inv_sort(&inv);

        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=18:00.0\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nDevice=10de:2330\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        static const char *const a[] = { "0000:18:00.0" }, *const b[] = { "0000:1a:00.0" };
        expect_devices(&p, "a", a, 1);
        expect_devices(&p, "b", b, 1);
        assert_true(vm(&p, "a")->valid);
        assert_true(vm(&p, "b")->valid);
        /* 19:00.0 follows its group to VM a. */
        const Claim *c19 = claim_of(&p, "0000:19:00.0");
        assert_non_null(c19);
        assert_int_equal(c19->vm, vm_index(&p, "a"));
        assert_int_equal(c19->reason, CLAIM_SIBLING);
        plan_done(&p);
        config_done(&c);

        /* The same when the first VM took its device by id: the second VM's count is what is
         * left outside the group, and a shortage is its own error only. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=10de:2330\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nDevice=10de:2330*2\n");
        plan(&c, &inv, &p);
        find(&p, DIAG_ERROR, "2 wanted, 1 free");
        assert_true(vm(&p, "a")->valid);
        assert_false(vm(&p, "b")->valid);
        assert_int_equal(diag_count_vm(&p.diagnostics, DIAG_ERROR, "a"), 0);
        static const char *const a2[] = { "0000:18:00.0" };
        expect_devices(&p, "a", a2, 1);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* A device named by address whose group another VM holds is the later VM's error alone. */
static void test_address_in_claimed_group(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        two_nodes(&inv);
        add_dev(&inv, "0000:18:00.0", GPU, 0, 10, NULL);
        add_dev(&inv, "0000:19:00.0", GPU, 0, 10, NULL);
        inv_sort(&inv);
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=18:00.0\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nDevice=19:00.0\n");
        plan(&c, &inv, &p);
        const Diagnostic *d = find(&p, DIAG_ERROR, "shares IOMMU group 10 with 0000:18:00.0");
        assert_string_equal(d->vm, "b");
        assert_int_equal(d->where.line, 8);
        assert_true(vm(&p, "a")->valid);
        assert_false(vm(&p, "b")->valid);
        assert_int_equal(claim_of(&p, "0000:19:00.0")->vm, vm_index(&p, "a"));
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* ---- a NUMA node that does not exist ---- */

/* The inventory turns it into no NUMA information; the planner says which device. */
static void test_stray_numa_node(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        inv_init(&inv);
        add_node(&inv, 0, "0-7", 64);
        add_iommu(&inv, "0000:00:02.0", "virtio_iommu");
        add_dev(&inv, "0000:00:05.0", GPU, NODE_NONE, 3, NULL);
        inv.devices[0].stray_numa_node = true;
        inv.devices[0].kernel_numa_node = 3;
        inv_sort(&inv);
        config(&c, "[VM a]\nMemory=8G\nKernel=/k\nDevice=10de:2330\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        const Diagnostic *d = find(&p, DIAG_WARNING, "sysfs says NUMA node 3");
        assert_string_equal(d->device, "0000:00:05.0");
        assert_int_equal(vm(&p, "a")->numa_node, 0);
        assert_int_equal(pages_on(&p, 0), 8);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* ---- a device the kernel cannot reset ---- */

static size_t count_no_reset(const Plan *p) {
        size_t n = 0;
        for (size_t i = 0; i < p->diagnostics.n; i++)
                n += p->diagnostics.items[i].level == DIAG_WARNING &&
                     strstr(p->diagnostics.items[i].message, "has no reset method");
        return n;
}

/* Empty reset_method warns once per claimed device, naming it and its VM; "flr", an absent
 * file (older kernels) and an unclaimed device say nothing. */
static void test_no_reset_method(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        inv_init(&inv);
        add_node(&inv, 0, "0-7", 64);
        add_iommu(&inv, "0000:00:02.0", "virtio_iommu");
        add_dev(&inv, "0000:18:00.0", GPU, 0, 10, NULL);
        add_dev(&inv, "0000:19:00.0", GPU, 0, 11, NULL);
        add_dev(&inv, "0000:1a:00.0", GPU, 0, 12, NULL);
        add_dev(&inv, "0000:1b:00.0", GPU, 0, 13, NULL);
        inv.devices[0].reset = PCI_RESET_NONE;
        inv.devices[1].reset = PCI_RESET_AVAILABLE;
        inv.devices[3].reset = PCI_RESET_NONE;   /* not claimed */
        inv_sort(&inv);
        config(&c, "[VM train0]\nMemory=8G\nKernel=/k\nDevice=0000:18:00.0\nDevice=0000:19:00.0\n"
                   "Device=0000:1a:00.0\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(count_no_reset(&p), 1);
        const Diagnostic *d = find(&p, DIAG_WARNING, "0000:18:00.0 (VM train0) has no reset method "
                                   "(reset_method is empty)");
        assert_string_equal(d->device, "0000:18:00.0");
        assert_string_equal(d->vm, "train0");
        assert_non_null(strstr(d->message, "stop and start the VM"));
        plan_done(&p);
        config_done(&c);

        /* Bound to vfio-pci for no VM: still claimed, still warned, without a VM name. */
        config(&c, "[Host]\nPassthrough=0000:1b:00.0\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(count_no_reset(&p), 1);
        d = find(&p, DIAG_WARNING, "0000:1b:00.0 (Passthrough=, for vfio-pci) has no reset method");
        assert_null(d->vm);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_id_match_skips_claimed_group),
                cmocka_unit_test(test_address_in_claimed_group),
                cmocka_unit_test(test_stray_numa_node),
                cmocka_unit_test(test_no_reset_method),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
