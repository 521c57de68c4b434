/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small value parsers: sizes, Hugepages=, MAC and CIDR addresses, tap names, tristates and
 * argument splitting (DESIGN.md "Configuration (contract)"). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>

#include "config.h"
#include "parse-values.h"
#include "util.h"

/* ---- Memory= ---- */

static void test_parse_memory_good(void **state) {
        static const struct {
                const char *s;
                uint64_t gib;
        } good[] = {
                { "64G", 64 },
                { "1G", 1 },
                { "1024M", 1 },
                { "65536M", 64 },
                { "1048576K", 1 },
                { "1T", 1024 },
                { "2T", 2048 },
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                uint64_t v = 0;
                const char *reason = NULL;
                int r = parse_memory_gib(good[i].s, &v, &reason);
                if (r != 0 || v != good[i].gib)
                        fail_msg("parse_memory_gib(\"%s\") = %d, %" PRIu64 " GiB, expected %" PRIu64, good[i].s, r,
                                 v, good[i].gib);
        }
}

static void check_bad_memory(const char *s, const char *needle) {
        uint64_t v = 12345;
        const char *reason = NULL;
        int r = parse_memory_gib(s, &v, &reason);
        if (r >= 0)
                fail_msg("parse_memory_gib(\"%s\") accepted a bad size", s);
        assert_int_equal(v, 12345);
        assert_non_null(reason);
        if (!strstr(reason, needle))
                fail_msg("parse_memory_gib(\"%s\"): reason \"%s\" lacks \"%s\"", s, reason, needle);
}

static void test_parse_memory_bad(void **state) {
        check_bad_memory("64GB", "64G");
        check_bad_memory("64g", "write 64G");
        check_bad_memory("64GiB", "64G");
        check_bad_memory("512m", "512M");
        check_bad_memory("64", "64G");
        check_bad_memory("1536M", "1G or 2G");
        check_bad_memory("512M", "1G");
        check_bad_memory("1025M", "1G or 2G");
        check_bad_memory("1K", "1G");
        check_bad_memory("0G", "at least 1G");
        check_bad_memory("G", "16G");
        check_bad_memory("", "16G");
        check_bad_memory("-1G", "16G");
        check_bad_memory("64X", "unknown unit");
        check_bad_memory("99999999999999999999G", "too large");
        check_bad_memory("20000000T", "too large");
}

/* ---- Hugepages= ---- */

static void test_parse_hugepages(void **state) {
        HostConfig h = {};
        const char *reason = NULL;

        assert_int_equal(parse_hugepages("12", &h, &reason), 0);
        assert_int_equal(h.hugepages_mode, HUGEPAGES_TOTAL);
        assert_int_equal(h.hugepages_total, 12);

        assert_int_equal(parse_hugepages("1:2,0:4", &h, &reason), 0);
        assert_int_equal(h.hugepages_mode, HUGEPAGES_PER_NODE);
        assert_int_equal(h.n_hugepages_nodes, 2);
        assert_int_equal(h.hugepages_nodes[0].node, 0);   /* sorted by node */
        assert_int_equal(h.hugepages_nodes[0].count, 4);
        assert_int_equal(h.hugepages_nodes[1].node, 1);
        assert_int_equal(h.hugepages_nodes[1].count, 2);

        assert_int_equal(parse_hugepages("0:8", &h, &reason), 0);
        assert_int_equal(h.hugepages_mode, HUGEPAGES_PER_NODE);
        assert_int_equal(h.n_hugepages_nodes, 1);
        assert_int_equal(h.hugepages_nodes[0].count, 8);

        assert_int_equal(parse_hugepages("auto", &h, &reason), 0);
        assert_int_equal(h.hugepages_mode, HUGEPAGES_AUTO);

        static const char *const bad[] = { "", "x", "0:", ":4", "0:4,0:2", "0:4,x", "-1", "0:-1", "1024:1", "auto1" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                HostConfig g = { .hugepages_mode = HUGEPAGES_AUTO };
                reason = NULL;
                if (parse_hugepages(bad[i], &g, &reason) != -EINVAL)
                        fail_msg("parse_hugepages(\"%s\") accepted a bad value", bad[i]);
                assert_non_null(reason);
                assert_int_equal(g.hugepages_mode, HUGEPAGES_AUTO);   /* unchanged on error */
                free(g.hugepages_nodes);
        }
        /* Every count is bounded, so no sum the planner forms can wrap: 2^54+1 pages "fit", two of
         * 2^63 added up to 0 and the pool was never reserved. */
        static const char *const huge[] = { "0:18014398509481985", "0:9223372036854775808,1:9223372036854775808",
                                            "18446744073709551615", "1048577", "0:1048577", "1023:4294967296" };
        for (size_t i = 0; i < ELEMENTSOF(huge); i++) {
                HostConfig g = { .hugepages_mode = HUGEPAGES_AUTO };
                reason = NULL;
                if (parse_hugepages(huge[i], &g, &reason) != -EINVAL)
                        fail_msg("parse_hugepages(\"%s\") accepted a count beyond the bound", huge[i]);
                assert_non_null(strstr(reason, "1 PiB"));
                free(g.hugepages_nodes);
        }
        HostConfig most = {};
        assert_int_equal(parse_hugepages("0:1048576,1023:1048576", &most, &reason), 0);
        free(most.hugepages_nodes);
        assert_int_equal(parse_hugepages("1048576", &most, &reason), 0);
        uint64_t gib;
        assert_int_equal(parse_memory_gib("1048576G", &gib, &reason), 0);
        assert_int_equal(parse_memory_gib("1048577G", &gib, &reason), -ERANGE);
        assert_int_equal(parse_memory_gib("2048T", &gib, &reason), -ERANGE);

        reason = NULL;
        HostConfig g = {};
        assert_int_equal(parse_hugepages("0:4,0:2", &g, &reason), -EINVAL);
        assert_non_null(strstr(reason, "node 0 is given twice"));

        free(h.hugepages_nodes);
}

/* ---- MAC, CIDR, tap names, tristates, argument splitting ---- */

static void test_parse_mac_cidr(void **state) {
        const char *reason;

        assert_int_equal(parse_mac("52:54:00:12:34:56", &reason), 0);
        assert_int_equal(parse_mac("02:AB:cd:00:00:01", &reason), 0);
        reason = NULL;
        assert_int_equal(parse_mac("01:00:5e:00:00:01", &reason), -EINVAL);
        assert_non_null(strstr(reason, "multicast"));
        reason = NULL;
        assert_int_equal(parse_mac("zz:54:00:12:34:56", &reason), -EINVAL);
        assert_non_null(strstr(reason, "six hex pairs"));
        assert_int_equal(parse_mac("00:00:00:00:00:00", &reason), -EINVAL);
        assert_int_equal(parse_mac("52:54:00:12:34", &reason), -EINVAL);
        assert_int_equal(parse_mac("52:54:00:12:34:567", &reason), -EINVAL);
        assert_int_equal(parse_mac("52-54-00-12-34-56", &reason), -EINVAL);
        assert_int_equal(parse_mac("52:54:00:12:34:+6", &reason), -EINVAL);

        assert_int_equal(parse_cidr("192.168.249.1/24", &reason), 0);
        assert_int_equal(parse_cidr("10.0.0.1/30", &reason), 0);
        reason = NULL;
        assert_int_equal(parse_cidr("10.0.0.1", &reason), -EINVAL);
        assert_non_null(strstr(reason, "/PREFIX"));
        reason = NULL;
        assert_int_equal(parse_cidr("10.0.0.1/33", &reason), -EINVAL);
        assert_non_null(strstr(reason, "prefix length"));
        assert_int_equal(parse_cidr("10.0.0.1/0", &reason), -EINVAL);
        assert_int_equal(parse_cidr("10.0.0.1/", &reason), -EINVAL);
        assert_int_equal(parse_cidr("10.0.0/24", &reason), -EINVAL);
        reason = NULL;
        assert_int_equal(parse_cidr("fd00::1/64", &reason), -EINVAL);
        assert_non_null(strstr(reason, "IPv4"));

        char ip[64], mask[64];
        assert_int_equal(cidr_to_ip_mask("192.168.249.1/24", ip, mask), 0);
        assert_string_equal(ip, "192.168.249.1");
        assert_string_equal(mask, "255.255.255.0");
        assert_int_equal(cidr_to_ip_mask("10.1.2.3/20", ip, mask), 0);
        assert_string_equal(mask, "255.255.240.0");

        assert_true(tap_name_is_valid("nv-train0"));
        assert_true(tap_name_is_valid("abcdefghijklmno"));     /* 15 */
        assert_false(tap_name_is_valid("abcdefghijklmnop"));   /* 16 */
        assert_false(tap_name_is_valid(""));
        assert_false(tap_name_is_valid(".."));
        assert_false(tap_name_is_valid("a/b"));
        assert_false(tap_name_is_valid("a b"));

        Tristate t;
        assert_int_equal(parse_tristate("auto", &t), 0);
        assert_int_equal(t, TRISTATE_AUTO);
        assert_int_equal(parse_tristate("yes", &t), 0);
        assert_int_equal(t, TRISTATE_YES);
        assert_int_equal(parse_tristate("off", &t), 0);
        assert_int_equal(t, TRISTATE_NO);
        assert_true(parse_tristate("maybe", &t) < 0);
}

static void test_split_arguments(void **state) {
        _cleanup_(strv_freep) char **l = NULL;
        const char *reason = NULL;

        assert_int_equal(split_arguments("  --rng src=/dev/urandom \"--a b\" 'c d' e\\ f \"\" x\"y z\"w  ", &l,
                                         &reason), 0);
        assert_int_equal(strv_length(l), 7);
        assert_string_equal(l[0], "--rng");
        assert_string_equal(l[1], "src=/dev/urandom");
        assert_string_equal(l[2], "--a b");
        assert_string_equal(l[3], "c d");
        assert_string_equal(l[4], "e f");
        assert_string_equal(l[5], "");
        assert_string_equal(l[6], "xy zw");
        l = strv_free(l);

        assert_int_equal(split_arguments("", &l, &reason), 0);
        assert_non_null(l);
        assert_int_equal(strv_length(l), 0);
        l = strv_free(l);

        reason = NULL;
        assert_int_equal(split_arguments("--a \"b", &l, &reason), -EINVAL);
        assert_null(l);
        assert_non_null(strstr(reason, "quote"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_memory_good),
                cmocka_unit_test(test_parse_memory_bad),
                cmocka_unit_test(test_parse_hugepages),
                cmocka_unit_test(test_parse_mac_cidr),
                cmocka_unit_test(test_split_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
