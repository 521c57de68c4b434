/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CPU lists: CPUAffinity= and the kernel's cpulist files. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpu-set.h"
#include "util.h"

/* ---- CPU sets ---- */

static void check_cpu_roundtrip(const char *in, const char *out, unsigned count) {
        _cleanup_(cpu_set_done) CpuSet s = {};
        assert_int_equal(cpu_set_parse(in, &s), 0);
        assert_int_equal(cpu_set_count(&s), count);
        _cleanup_(freep) char *f = cpu_set_format(&s);
        assert_non_null(f);
        assert_string_equal(f, out);
}

static void test_cpu_set_roundtrip(void **state) {
        check_cpu_roundtrip("0-3,8,10-11", "0-3,8,10-11", 7);
        check_cpu_roundtrip("0-3,8,10-11\n", "0-3,8,10-11", 7);   /* the kernel's cpulist */
        check_cpu_roundtrip("11,10,8,3,2,1,0", "0-3,8,10-11", 7);
        check_cpu_roundtrip("0-1,2-3", "0-3", 4);
        check_cpu_roundtrip("63-64", "63-64", 2);                  /* across a word boundary */
        check_cpu_roundtrip("127,128,191", "127-128,191", 3);
        check_cpu_roundtrip("5", "5", 1);
        check_cpu_roundtrip("8191", "8191", 1);
        check_cpu_roundtrip("", "", 0);
}

static void test_cpu_set_membership(void **state) {
        _cleanup_(cpu_set_done) CpuSet s = {}, copy = {};
        assert_int_equal(cpu_set_parse("0-3,8,10-11", &s), 0);
        for (unsigned c = 0; c < 200; c++) {
                bool expect = c <= 3 || c == 8 || c == 10 || c == 11;
                if (cpu_set_has(&s, c) != expect)
                        fail_msg("CPU %u: has=%d, expected %d", c, cpu_set_has(&s, c), expect);
        }
        assert_int_equal(cpu_set_copy(&copy, &s), 0);
        assert_int_equal(cpu_set_count(&copy), 7);
        assert_true(cpu_set_has(&copy, 10));
        assert_false(cpu_set_has(&copy, 9));
        assert_int_equal(cpu_set_add(&copy, CPU_SET_MAX), -ERANGE);
}

static void test_cpu_set_parse_bad(void **state) {
        static const struct {
                const char *s;
                int r;
        } bad[] = {
                { "3-1", -ERANGE },
                { "a", -EINVAL },
                { "1-", -EINVAL },
                { "-1", -EINVAL },
                { "1-a", -EINVAL },
                { "0-3x", -EINVAL },
                { "0-3,junk", -EINVAL },
                { "8192", -ERANGE },
                { "0-8192", -ERANGE },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CpuSet s = {};
                int r = cpu_set_parse(bad[i].s, &s);
                if (r != bad[i].r)
                        fail_msg("cpu_set_parse(\"%s\") = %d, expected %d", bad[i].s, r, bad[i].r);
                cpu_set_done(&s);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cpu_set_roundtrip),
                cmocka_unit_test(test_cpu_set_membership),
                cmocka_unit_test(test_cpu_set_parse_bad),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
