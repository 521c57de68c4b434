/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The network step of the planner (src/core/net-plan.c): tap names, Network=nat's subnets from
 * the pool, and the conflicts between VMs, each reported at FILE:LINE naming both VMs. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "fake-inventory.h"
#include "net-plan.h"
#include "plan-check.h"
#include "util.h"

#define VM(name, extra) "[VM " name "]\nCPUs=1\nMemory=1G\nKernel=/k\n" extra

typedef struct Net {
        Inventory inv;
        Config c;
        Plan p;
} Net;

static void build(Net *n, const char *text) {
        two_nodes(&n->inv);
        config(&n->c, text);
        plan(&n->c, &n->inv, &n->p);
}

static void done(Net *n) {
        plan_done(&n->p);
        config_done(&n->c);
        inventory_done(&n->inv);
}

static void ipv4(uint32_t a, char buf[static 16]) {
        net_format_ipv4(a, buf);
}

static void test_default_subnets(void **state) {
        Net n;
        build(&n, VM("a", "Network=nat\nCloudInit=/ci\n") VM("b", "Network=nat\nCloudInit=/ci\n")
                  VM("c", "Network=tap\n"));
        expect_no_errors(&n.p);
        const VmNetwork *a = &vm(&n.p, "a")->net, *b = &vm(&n.p, "b")->net, *c = &vm(&n.p, "c")->net;

        assert_string_equal(a->tap, "nv-a");
        assert_true(a->has_subnet && a->default_subnet);
        assert_int_equal(a->prefix, 30);
        /* In the pool, host .1 and guest .2 of a /30. */
        assert_true(net_subnets_overlap(a->host, 32, NAT_POOL_ADDRESS, NAT_POOL_PREFIX));
        assert_int_equal(a->host & 3, 1);
        assert_int_equal(a->guest, a->host + 1);
        assert_false(net_subnets_overlap(a->host, 30, b->host, 30));
        /* Network=tap without HostAddress= keeps its tap and gets no subnet. */
        assert_string_equal(c->tap, "nv-c");
        assert_false(c->has_subnet);
        done(&n);
}

/* A VM's subnet depends on its name, not on the other VMs or the order of the files. */
static void test_stable(void **state) {
        Net one, two;
        build(&one, VM("web", "Network=nat\nCloudInit=/ci\n"));
        build(&two, VM("zz", "Network=nat\nCloudInit=/ci\n") VM("aa", "Network=nat\nCloudInit=/ci\n")
                    VM("web", "Network=nat\nCloudInit=/ci\n"));
        expect_no_errors(&two.p);
        assert_int_equal(vm(&one.p, "web")->net.host, vm(&two.p, "web")->net.host);
        done(&one);
        done(&two);
}

/* The default /30 steps around a HostAddress= that covers it. */
static void test_default_avoids_host_address(void **state) {
        Net n;
        build(&n, VM("a", "Network=nat\nCloudInit=/ci\n"));
        char subnet[16], text[512];
        ipv4(vm(&n.p, "a")->net.host, subnet);
        done(&n);

        snprintf(text, sizeof text, "%s%s", VM("a", "Network=nat\nCloudInit=/ci\n"), VM("b", "Network=tap\nHostAddress="));
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s/30\n", subnet);
        build(&n, text);
        expect_no_errors(&n.p);
        const VmNetwork *a = &vm(&n.p, "a")->net, *b = &vm(&n.p, "b")->net;
        assert_false(net_subnets_overlap(a->host, a->prefix, b->host, b->prefix));
        assert_int_equal(a->prefix, 30);
        done(&n);
}

static void test_host_address(void **state) {
        Net n;
        build(&n, VM("a", "Network=nat\nCloudInit=/ci\nHostAddress=10.9.0.2/24\n"));
        expect_no_errors(&n.p);
        char host[16], guest[16];
        ipv4(vm(&n.p, "a")->net.host, host);
        ipv4(vm(&n.p, "a")->net.guest, guest);
        assert_string_equal(host, "10.9.0.2");
        assert_string_equal(guest, "10.9.0.1");
        assert_false(vm(&n.p, "a")->net.default_subnet);
        done(&n);

        build(&n, VM("a", "Network=nat\nCloudInit=/ci\nHostAddress=10.9.0.0/24\n"));
        const Diagnostic *d = find(&n.p, DIAG_ERROR, "network address of its subnet");
        assert_non_null(d);
        assert_int_equal(d->where.line, 7);
        assert_false(vm(&n.p, "a")->valid);
        done(&n);
}

static void test_shared_subnet(void **state) {
        Net n;
        build(&n, VM("a", "Network=nat\nCloudInit=/ci\nHostAddress=10.9.0.1/24\n")
                  VM("b", "Network=tap\nHostAddress=10.9.0.129/25\n"));
        const Diagnostic *d = find(&n.p, DIAG_ERROR, "two VMs never share a subnet");
        assert_non_null(d);
        assert_string_equal(d->where.file, CONF);
        assert_int_equal(d->where.line, 13);
        assert_non_null(strstr(d->message, "[VM b]"));
        assert_non_null(strstr(d->message, "[VM a] (" CONF ":7)"));
        assert_true(vm(&n.p, "a")->valid);
        assert_false(vm(&n.p, "b")->valid);
        done(&n);
}

/* An explicit TapName= against another VM's derived name. */
/* Long names share a prefix; the hash suffix keeps them apart (two that share a hash are the
 * config check's: test-config.c). */
static void test_long_tap_names(void **state) {
        Net n;
        build(&n, VM("averylongname-1", "Network=tap\n") VM("averylongname-2", "Network=tap\n"));
        expect_no_errors(&n.p);
        assert_string_not_equal(vm(&n.p, "averylongname-1")->net.tap, vm(&n.p, "averylongname-2")->net.tap);
        assert_true(strlen(vm(&n.p, "averylongname-1")->net.tap) <= TAP_NAME_MAX);
        done(&n);
}

static void test_without_seed(void **state) {
        Net n;
        build(&n, VM("a", "Network=nat\n"));
        expect_no_errors(&n.p);
        assert_non_null(find(&n.p, DIAG_WARNING, "has no CloudInit="));
        done(&n);
}

static void test_overlap(void **state) {
        assert_true(net_subnets_overlap(0x0a000000, 8, 0x0a090001, 24));
        assert_true(net_subnets_overlap(0x0a090001, 24, 0x0a000000, 8));
        assert_false(net_subnets_overlap(0xc0a8f001, 30, 0xc0a8f005, 30));
        assert_true(net_subnets_overlap(0xc0a8f001, 30, 0xc0a8f002, 30));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_subnets),
                cmocka_unit_test(test_stable),
                cmocka_unit_test(test_default_avoids_host_address),
                cmocka_unit_test(test_host_address),
                cmocka_unit_test(test_shared_subnet),
                cmocka_unit_test(test_long_tap_names),
                cmocka_unit_test(test_without_seed),
                cmocka_unit_test(test_overlap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
