/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The small helpers in src/basic/util.c that the parsers rely on. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"

/* ---- misc helpers the parsers rely on ---- */

static void test_util_helpers(void **state) {
        assert_true(path_is_normalized_absolute("/var/lib/nestvirt/root.raw"));
        assert_true(path_is_normalized_absolute("/a/b c,d%/e.raw"));
        assert_false(path_is_normalized_absolute("vmlinux"));
        assert_false(path_is_normalized_absolute("../x.raw"));
        assert_false(path_is_normalized_absolute("/a/../x.raw"));
        assert_false(path_is_normalized_absolute("/a/./x.raw"));
        assert_false(path_is_normalized_absolute("/a//x.raw"));
        assert_false(path_is_normalized_absolute("/a/x\n.raw"));
        assert_false(path_is_normalized_absolute(""));

        _cleanup_(freep) char *p1 = path_under_root(NULL, "/etc/nestvirt.conf");
        _cleanup_(freep) char *p2 = path_under_root("/", "/etc/nestvirt.conf");
        _cleanup_(freep) char *p3 = path_under_root("/image//", "/etc/nestvirt.conf");
        assert_string_equal(p1, "/etc/nestvirt.conf");
        assert_string_equal(p2, "/etc/nestvirt.conf");
        assert_string_equal(p3, "/image/etc/nestvirt.conf");

        assert_int_equal(parse_boolean("YES"), 1);
        assert_int_equal(parse_boolean("0"), 0);
        assert_int_equal(parse_boolean("2"), -EINVAL);

        assert_int_equal(levenshtein("Memroy", "Memory"), 2);
        assert_int_equal(levenshtein("memory", "Memory"), 0);   /* case-insensitive */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_util_helpers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
