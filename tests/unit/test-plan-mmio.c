/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Large BARs and the 64-bit MMIO windows of PCI segments (src/core/plan-mmio.c), checked on the
 * examples of tests/grammar/README-mmio.md; the sysfs resource parser of the inventory; and the
 * planner's verdict: even split, weights, or which max_phys_bits= would do. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "fake-inventory.h"
#include "inventory.h"
#include "plan-check.h"
#include "plan-mmio.h"
#include "plan.h"
#include "util.h"
#include "vm-command.h"

#define GIB (UINT64_C(1) << 30)
#define H100_BAR1 (128 * GIB)
#define H100_BAR3 (UINT64_C(32) << 20)

static MmioBar vfio_bar(unsigned segment, uint64_t size) {
        return (MmioBar) { segment, size, MAX(size, (uint64_t) 4096) };
}

/* README-mmio.md section 5: P = 40, 512 GiB RAM, one segment: two 128 GiB BARs fit (at 768 and
 * 640 GiB), a third does not, since the top slot is lost to the platform area. */
static void test_fit_one_segment(void **state) {
        MmioLayout l = { .phys_bits = 40, .memory_gib = 512, .n_segments = 1 };
        MmioBar bars[] = { vfio_bar(0, H100_BAR1), vfio_bar(0, H100_BAR1), vfio_bar(0, H100_BAR1) };
        assert_int_equal(mmio64_fits(&l, bars, 2), 1);
        assert_int_equal(mmio64_fits(&l, bars, 3), 0);
        /* 41 bits double the space. */
        l.phys_bits = 41;
        assert_int_equal(mmio64_fits(&l, bars, 3), 1);
        /* RAM above the top of the address space leaves no device area at all. */
        l.phys_bits = 40;
        l.memory_gib = 1100;
        assert_int_equal(mmio64_fits(&l, bars, 1), 0);
}

/* README-mmio.md section 3's example, 8 x H100 over 3 segments weighted 1, 4, 4 beside 2 x 768 GiB:
 * all fit at 46 and at 42 bits; the windows shrink with the bits until they do not. */
static void test_fit_weighted_segments(void **state) {
        MmioBar bars[16];
        size_t n = 0;
        for (unsigned s = 1; s <= 2; s++)
                for (int g = 0; g < 4; g++) {
                        bars[n++] = vfio_bar(s, H100_BAR1);
                        bars[n++] = vfio_bar(s, H100_BAR3);
                }
        static const uint64_t w[] = { 1, 4, 4 };
        MmioLayout l = { .phys_bits = 46, .memory_gib = 1536, .n_segments = 3, .weights = w };
        assert_int_equal(mmio64_fits(&l, bars, n), 1);
        l.phys_bits = 42;
        assert_int_equal(mmio64_fits(&l, bars, n), 1);
        l.phys_bits = 41;
        assert_int_equal(mmio64_fits(&l, bars, n), 0);
        /* A total weight beyond the area's 4 GiB units leaves segments without a window. */
        static const uint64_t huge[] = { 1, 1000, 1000 };
        l = (MmioLayout) { .phys_bits = 42, .memory_gib = 1536, .n_segments = 3, .weights = huge };
        assert_int_equal(mmio64_fits(&l, bars, 0), 0);
}

static void test_parse_resources(void **state) {
        static const char h100[] =
                "0x00000000e2000000 0x00000000e2ffffff 0x0000000000040200\n"
                "0x0000380000000000 0x0000381fffffffff 0x000000000014220c\n"
                "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                "0x0000382000000000 0x0000382001ffffff 0x000000000014220c\n"
                "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
                "0x00000000e3000000 0x00000000e307ffff 0x0000000000046200\n";
        PciDevice d = {};
        assert_int_equal(pci_parse_resources(h100, &d), 0);
        assert_true(d.bars_known);
        assert_int_equal(d.bar64[0], 0);   /* 32-bit */
        assert_int_equal(d.bar64[1], H100_BAR1);
        assert_int_equal(d.bar64[2], 0);
        assert_int_equal(d.bar64[3], H100_BAR3);
        /* An I/O BAR (flags 0x101) and a short file. */
        PciDevice io = {};
        assert_int_equal(pci_parse_resources("0x1000 0x103f 0x40101\n0 0 0\n0 0 0\n0 0 0\n0 0 0\n0 0 0\n", &io), 0);
        assert_int_equal(io.bar64[0], 0);
        PciDevice bad = {};
        assert_int_equal(pci_parse_resources("0x1000 0x103f\n", &bad), -EINVAL);
        assert_false(bad.bars_known);
}

static void give_h100_bars(Inventory *inv) {
        for (size_t i = 0; i < inv->n_devices; i++) {
                inv->devices[i].bars_known = true;
                inv->devices[i].bar64[1] = H100_BAR1;
                inv->devices[i].bar64[3] = H100_BAR3;
        }
}

static char *values_of(char **argv, const char *option) {
        char *joined = strdup("");
        assert_non_null(joined);
        for (size_t i = 0; argv[i] && argv[i + 1]; i++)
                if (streq(argv[i], option)) {
                        char *x = strjoin(joined, *joined ? " | " : "", argv[i + 1]);
                        assert_non_null(x);
                        free(joined);
                        joined = x;
                }
        return joined;
}

/* The planner: even split when it fits; weights by BAR demand when only they fit; else an error
 * naming the max_phys_bits= that would do, or the host's limit. */
static void test_plan_verdicts(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        eight_gpus(&inv);
        give_h100_bars(&inv);

        /* Default 46 bits: 8 x 128 GiB fit two even windows. */
        config(&c, "[VM box]\nCPUs=2\nMemory=64G\nDevice=10de:2330*8\nKernel=/k\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(vm(&p, "box")->nodes[0].mmio64_weight, 0);
        assert_int_equal(vm(&p, "box")->nodes[1].mmio64_weight, 0);
        plan_done(&p);
        config_done(&c);

        /* 40 bits, one GPU on segment 0 and four on segment 1: only weights by demand fit. */
        config(&c, "[VM box]\nCPUs=2\nMemory=64G\nNUMANode=0,1\nDevice=18:00.0 9a:00.0 ab:00.0 ba:00.0 db:00.0\n"
                   "CPUOptions=max_phys_bits=40\nKernel=/k\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        const VmPlan *v = vm(&p, "box");
        /* Demand is 33 : 132 units of 4 GiB, but a 128 GiB BAR needs a 128 GiB-aligned slot: 33 : 132
         * leaves segment 0 [65G, 197G), which holds none. Halving until a weighting fits ends at
         * 1 : 2, segment 0 [65G, 381G) and segment 1 from 381G (slots 384, 512, 640, 768 GiB). */
        assert_int_equal(v->nodes[0].mmio64_weight, 1);
        assert_int_equal(v->nodes[1].mmio64_weight, 2);
        _cleanup_(strv_freep) char **argv = NULL;
        assert_int_equal(vm_command_build(&p, 0, "/nonexistent", &argv), 0);
        _cleanup_(freep) char *seg = values_of(argv, "--pci-segment");
        assert_string_equal(seg, "pci_segment=1,mmio64_aperture_weight=2");
        /* The model agrees: not evenly, but with these weights. */
        MmioBar bars[5];
        for (size_t i = 0; i < 5; i++)
                bars[i] = vfio_bar(i == 0 ? 0 : 1, H100_BAR1);
        MmioLayout l = { .phys_bits = 40, .memory_gib = 64, .n_segments = 2 };
        assert_int_equal(mmio64_fits(&l, bars, 5), 0);
        static const uint64_t w[] = { 1, 2 };
        l.weights = w;
        assert_int_equal(mmio64_fits(&l, bars, 5), 1);
        plan_done(&p);
        config_done(&c);

        /* 40 bits, 4 + 4: no weighting fits; 41 would. */
        config(&c, "[VM box]\nCPUs=2\nMemory=64G\nDevice=10de:2330*8\nCPUOptions=max_phys_bits=40\nKernel=/k\n");
        plan(&c, &inv, &p);
        const Diagnostic *d = find(&p, DIAG_ERROR, "set CPUOptions=max_phys_bits=41");
        assert_int_equal(d->where.line, 5);
        assert_non_null(strstr(d->message, "1025 GiB over 2 PCI segments"));
        assert_false(vm(&p, "box")->valid);
        plan_done(&p);
        config_done(&c);

        /* The host caps the guest: at its 40 bits nothing more can be asked. */
        inv.phys_bits = 40;
        config(&c, "[VM box]\nCPUs=2\nMemory=64G\nDevice=10de:2330*8\nKernel=/k\n");
        plan(&c, &inv, &p);
        d = find(&p, DIAG_ERROR, "even at the host's 40 physical address bits");
        assert_int_equal(d->where.line, 1);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fit_one_segment),
                cmocka_unit_test(test_fit_weighted_segments),
                cmocka_unit_test(test_parse_resources),
                cmocka_unit_test(test_plan_verdicts),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
