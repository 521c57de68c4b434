/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the host must provide for the planned VMs (src/core/plan-host.c): 1 GiB pages per node from
 * Hugepages= and the VMs' needs, and whether vfio needs unsafe interrupts. */

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

/* ---- hugepages ---- */

static const char PAGES_VMS[] =
        "[VM a]\nMemory=8G\nKernel=/k\nNUMANode=0\n"
        "[VM b]\nMemory=16G\nKernel=/k\nNUMANode=1\n"
        "[VM c]\nMemory=4G\nKernel=/k\nNUMANode=1\n"
        "[VM broken]\nMemory=32G\nKernel=/k\nNUMANode=0\nDevice=10de:9999\n";   /* fails in the plan */

static void test_hugepages_auto(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        two_nodes(&inv);
        inv_sort(&inv);

        _cleanup_(freep) char *text = strjoin("[Host]\nHugepages=auto\nHugepagesExtra=4\n", PAGES_VMS);
        config(&c, text);
        plan(&c, &inv, &p);
        find(&p, DIAG_ERROR, "10de:9999");
        assert_false(vm(&p, "broken")->valid);
        assert_int_equal(p.n_pages, 2);
        assert_int_equal(p.pages[0].node, 0);
        assert_int_equal(p.pages[1].node, 1);
        assert_int_equal(pages_on(&p, 0), 8 + 2);           /* a, plus half the extra; not broken's 32 */
        assert_int_equal(pages_on(&p, 1), 16 + 4 + 2);      /* b and c, plus half the extra */
        assert_int_equal(p.pages_needed_total, 28);
        assert_int_equal(plan_pages_total(&p), 32);
        plan_done(&p);
        config_done(&c);

        /* An odd extra: spread as evenly as possible. */
        config(&c, "[Host]\nHugepagesExtra=3\n[VM a]\nMemory=8G\nKernel=/k\nNUMANode=0\n"
                   "[VM b]\nMemory=16G\nKernel=/k\nNUMANode=1\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        uint64_t e0 = pages_on(&p, 0) - 8, e1 = pages_on(&p, 1) - 16;
        assert_int_equal(e0 + e1, 3);
        assert_true(e0 == 2 || e1 == 2);
        plan_done(&p);
        config_done(&c);

        /* No VMs, no extra: no pages. */
        config(&c, "[Host]\nHugepages=auto\n");
        plan(&c, &inv, &p);
        assert_int_equal(plan_pages_total(&p), 0);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_hugepages_total(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        two_nodes(&inv);
        inv_sort(&inv);

        config(&c, "[Host]\nHugepages=10\n[VM a]\nMemory=8G\nKernel=/k\nNUMANode=0\n"
                   "[VM b]\nMemory=16G\nKernel=/k\nNUMANode=1\n");
        plan(&c, &inv, &p);
        const Diagnostic *d = find(&p, DIAG_ERROR, "Hugepages=10 is less than the 24 pages");
        assert_int_equal(d->where.line, 2);
        assert_string_equal(d->where.file, CONF);
        plan_done(&p);
        config_done(&c);

        /* Enough: each node gets its VMs' pages and the rest is spread. */
        config(&c, "[Host]\nHugepages=30\n[VM a]\nMemory=8G\nKernel=/k\nNUMANode=0\n"
                   "[VM b]\nMemory=16G\nKernel=/k\nNUMANode=1\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(pages_on(&p, 0), 8 + 3);
        assert_int_equal(pages_on(&p, 1), 16 + 3);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_hugepages_per_node(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        two_nodes(&inv);
        inv_sort(&inv);

        config(&c, "[Host]\nHugepages=0:4,1:4\n[VM a]\nMemory=2G\nKernel=/k\nNUMANode=0\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(diag_count(&p.diagnostics, DIAG_WARNING), 0);
        assert_int_equal(p.n_pages, 2);
        assert_int_equal(pages_on(&p, 0), 4);
        assert_int_equal(pages_on(&p, 1), 4);
        plan_done(&p);
        config_done(&c);

        /* Fewer than the VMs on a node need: a warning naming the node. */
        config(&c, "[Host]\nHugepages=0:4,1:4\n[VM a]\nMemory=8G\nKernel=/k\nNUMANode=1\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        const Diagnostic *d = find(&p, DIAG_WARNING, "node 1 4 pages, but its VMs need 8");
        assert_int_equal(d->where.line, 2);
        plan_done(&p);
        config_done(&c);

        /* A node the machine does not have. */
        config(&c, "[Host]\nHugepages=0:4,7:4\n");
        plan(&c, &inv, &p);
        d = find(&p, DIAG_ERROR, "node 7");
        assert_int_equal(d->where.line, 2);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_hugepages_do_not_fit(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        inv_init(&inv);
        add_node(&inv, 0, "0-3", 64);
        add_node(&inv, 1, "4-7", 16);
        inv_sort(&inv);

        config(&c, "[VM big]\nMemory=20G\nKernel=/k\nNUMANode=1\n");
        plan(&c, &inv, &p);
        const Diagnostic *d = find(&p, DIAG_ERROR, "cannot fit");
        assert_non_null(strstr(d->message, "node 1"));
        assert_null(strstr(d->message, "node 0"));
        assert_non_null(strstr(d->message, "16384 MiB"));
        plan_done(&p);
        config_done(&c);

        /* Exactly the node's memory fits, but leaves nothing for the host: a warning. */
        config(&c, "[VM big]\nMemory=16G\nKernel=/k\nNUMANode=1\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        d = find(&p, DIAG_WARNING, "node 1 keeps only 0 MiB");
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_no_gigantic_pages(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        inv_init(&inv);
        inv.gigantic_pages = false;
        add_node(&inv, 0, "0-3", 64);
        inv_sort(&inv);

        config(&c, "[VM a]\nMemory=4G\nKernel=/k\n");
        plan(&c, &inv, &p);
        const Diagnostic *d = find(&p, DIAG_ERROR, "4 pages of 1 GiB are wanted, but this kernel offers no 1 GiB pages");
        assert_non_null(strstr(d->message, "pdpe1gb"));
        plan_done(&p);
        config_done(&c);

        config(&c, "[VM a]\nMemory=1G\nKernel=/k\n");
        plan(&c, &inv, &p);
        find(&p, DIAG_ERROR, "1 page of 1 GiB is wanted, but");
        plan_done(&p);
        config_done(&c);

        /* Without VMs nothing is wanted, so nothing is wrong. */
        config(&c, "[Host]\nHugepages=auto\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* ---- unsafe interrupts ---- */

typedef struct IrqCase {
        const char *iommu_driver;   /* NULL: no IOMMU */
        bool irq_info, remapping;
        const char *host;           /* [Host] lines */
        bool with_device;
        bool expect;
        const char *reason;
} IrqCase;

static void check_irq(const IrqCase *k, Plan *p, Config *c, Inventory *inv) {
        inv_init(inv);
        inv->irq_info = k->irq_info;
        inv->interrupt_remapping = k->remapping;
        add_node(inv, 0, "0-3", 64);
        if (k->iommu_driver)
                add_iommu(inv, streq(k->iommu_driver, "virtio_iommu") ? "0000:00:02.0" : "dmar0", k->iommu_driver);
        add_dev(inv, "0000:18:00.0", GPU, 0, 1, NULL);
        inv_sort(inv);
        _cleanup_(freep) char *text = strjoin("[Host]\n", k->host, "\n[VM a]\nMemory=1G\nKernel=/k\n",
                                              k->with_device ? "Device=10de:2330\n" : "");
        config(c, text);
        plan(c, inv, p);
        if (p->unsafe_interrupts != k->expect) {
                dump(&p->diagnostics);
                fail_msg("iommu=%s irq_info=%d remapping=%d host=[%s] device=%d: unsafe_interrupts=%d (%s), expected %d",
                         strempty(k->iommu_driver), k->irq_info, k->remapping, k->host, k->with_device,
                         p->unsafe_interrupts, strempty(p->unsafe_interrupts_reason), k->expect);
        }
        assert_non_null(p->unsafe_interrupts_reason);
        if (!strstr(p->unsafe_interrupts_reason, k->reason))
                fail_msg("reason \"%s\" lacks \"%s\"", p->unsafe_interrupts_reason, k->reason);
}

static void test_unsafe_interrupts(void **state) {
        static const IrqCase cases[] = {
                /* virtio-iommu never remaps: needed as soon as a device is claimed */
                { "virtio_iommu", true, false, "UnsafeInterrupts=auto", true, true, "does not remap" },
                { "virtio_iommu", false, false, "", true, true, "does not remap" },
                /* ... and not without claims */
                { "virtio_iommu", true, false, "UnsafeInterrupts=auto", false, false, "no devices" },
                /* intel-iommu with remapping on (IR- interrupt chips): not needed */
                { "intel-iommu", true, true, "", true, false, "remapped" },
                /* intel-iommu with remapping off: needed */
                { "intel-iommu", true, false, "", true, true, "does not remap" },
                /* the interrupt chips cannot be read: do not guess */
                { "intel-iommu", false, false, "", true, false, "remapped" },
                /* asked for */
                { "intel-iommu", true, true, "UnsafeInterrupts=yes", true, true, "UnsafeInterrupts=yes" },
                { "virtio_iommu", true, false, "UnsafeInterrupts=yes", false, true, "UnsafeInterrupts=yes" },
                { "virtio_iommu", true, false, "UnsafeInterrupts=no", true, false, "UnsafeInterrupts=no" },
                /* no IOMMU at all */
                { NULL, true, false, "", true, false, "no IOMMU" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Inventory inv;
                Config c;
                Plan p;
                check_irq(&cases[i], &p, &c, &inv);
                plan_done(&p);
                config_done(&c);
                inventory_done(&inv);
        }
}

static void test_unsafe_interrupts_refused(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        static const IrqCase no = { "virtio_iommu", true, false, "UnsafeInterrupts=no", true, false, "UnsafeInterrupts=no" };
        check_irq(&no, &p, &c, &inv);
        const Diagnostic *d = find(&p, DIAG_WARNING, "UnsafeInterrupts=no");
        assert_non_null(strstr(d->message, "cannot remap"));
        expect_no_errors(&p);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);

        /* No IOMMU but devices to claim: vfio will not work, say so. */
        static const IrqCase none = { NULL, true, false, "", true, false, "no IOMMU" };
        check_irq(&none, &p, &c, &inv);
        find(&p, DIAG_WARNING, "no IOMMU is registered");
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* ---- Hugepages=NODE:COUNT on a root without NUMA information (an image) ---- */

static size_t count_diagnostics(const Plan *p, DiagLevel level, const char *needle) {
        size_t n = 0;
        for (size_t i = 0; i < p->diagnostics.n; i++)
                if (p->diagnostics.items[i].level == level && strstr(p->diagnostics.items[i].message, needle))
                        n++;
        return n;
}

/* Without nodes the pool starts as node 0 alone, the VMs' needs counted there; the nodes
 * Hugepages= names join it as given, and only node 0 is short of what its VMs need. */
static void test_per_node_without_numa_information(void **state) {
        Config c;
        config_init(&c);
        assert_int_equal(config_parse_buffer(&c, "/etc/nestvirt.conf",
                                             "[Host]\nHugepages=0:1,1:3,2:1\n[VM a]\nMemory=2G\nKernel=/k\n", true), 0);
        config_finish(&c);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);

        Inventory inv = {};
        Plan p;
        assert_int_equal(plan_build(&c, &inv, &p), 0);
        assert_int_equal(diag_count(&p.diagnostics, DIAG_ERROR), 0);
        assert_int_equal(p.vms[0].numa_node, NODE_NONE);
        assert_int_equal(p.pages_needed_total, 2);

        assert_int_equal(p.n_pages, 3);
        for (unsigned node = 0; node < 3; node++)
                assert_int_equal(p.pages[node].node, node);
        assert_int_equal(p.pages[0].count, 1);
        assert_int_equal(p.pages[1].count, 3);
        assert_int_equal(p.pages[2].count, 1);
        assert_int_equal(plan_pages_total(&p), 5);

        assert_int_equal(count_diagnostics(&p, DIAG_WARNING, "Hugepages= gives node"), 1);
        assert_int_equal(count_diagnostics(&p, DIAG_WARNING, "Hugepages= gives node 0 1 pages, but its VMs need 2"), 1);

        plan_done(&p);
        config_done(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hugepages_auto),
                cmocka_unit_test(test_hugepages_total),
                cmocka_unit_test(test_hugepages_per_node),
                cmocka_unit_test(test_hugepages_do_not_fit),
                cmocka_unit_test(test_no_gigantic_pages),
                cmocka_unit_test(test_unsafe_interrupts),
                cmocka_unit_test(test_unsafe_interrupts_refused),
                cmocka_unit_test(test_per_node_without_numa_information),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
