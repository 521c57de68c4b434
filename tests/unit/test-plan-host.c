/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the host must provide for the plan (plan-host.c), where test-plan.c does not reach:
 * Hugepages=NODE:COUNT checked against a root without NUMA information (an image). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "inventory.h"
#include "plan.h"
#include "util.h"

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
                cmocka_unit_test(test_per_node_without_numa_information),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
