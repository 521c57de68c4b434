/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scan for the top-level "state" of Cloud Hypervisor's VmInfo reply, and the member paths,
 * array elements and values that 'vm info' reads. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json-scan.h"
#include "macro.h"

static void check_state(const char *json, const char *expected) {
        char buf[32] = "unchanged";
        int r = json_top_level_string(json, "state", buf, sizeof buf);
        if (r != 0)
                fail_msg("error %d for %s", r, json);
        assert_string_equal(buf, expected);
}

static void test_json_state(void **state) {
        check_state("{\"state\":\"Running\"}", "Running");
        check_state(" \n{ \"state\" :\t\"Created\" } ", "Created");
        /* As CH orders VmInfo: config first, full of nested keys and strings. Neither a nested
         * "state" nor one inside a string (the kernel command line) is the VM's. */
        check_state("{\"config\":{\"cpus\":{\"boot_vcpus\":2,\"affinity\":[{\"vcpu\":0,\"host_cpus\":[0]}]},"
                    "\"payload\":{\"cmdline\":\"x \\\"state\\\":\\\"Running\\\" }\",\"kernel\":\"/k\"},"
                    "\"state\":\"Running\",\"disks\":[{\"path\":\"/a]b}\",\"state\":{\"state\":\"Running\"}}],"
                    "\"iommu\":false,\"serial\":null,\"balloon\":-1.5e+3},"
                    "\"state\":\"Created\",\"memory_actual_size\":0,\"device_tree\":{\"state\":\"Running\"}}",
                    "Created");
        /* Escapes in the name and the value. */
        check_state("{\"st\\u0061te\":\"Pa\\u0075sed\"}", "Paused");
        check_state("{\"state\":\"a\\\"b\\\\c\\/d\\n\"}", "a\"b\\c/d\n");
        check_state("{\"state\":\"\\u00e9\\u20ac\"}", "\xc3\xa9\xe2\x82\xac");
        /* The first of two is taken. */
        check_state("{\"state\":\"Running\",\"state\":\"Shutdown\"}", "Running");
}

static void test_json_state_missing(void **state) {
        char buf[8];

        assert_int_equal(json_top_level_string("{}", "state", buf, sizeof buf), -ENOENT);
        assert_int_equal(json_top_level_string("{\"config\":{\"state\":\"Running\"}}", "state", buf, sizeof buf), -ENOENT);
        assert_int_equal(json_top_level_string("{\"x\":\"\\\"state\\\":\\\"Running\\\"\"}", "state", buf, sizeof buf), -ENOENT);
        /* A name that merely starts with the key, or embeds a NUL after it. */
        assert_int_equal(json_top_level_string("{\"states\":\"Running\"}", "state", buf, sizeof buf), -ENOENT);
        assert_int_equal(json_top_level_string("{\"state\\u0000x\":\"Running\"}", "state", buf, sizeof buf), -ENOENT);
        /* A value with a NUL in it, short or long, is refused rather than cut at the NUL. */
        assert_int_equal(json_top_level_string("{\"state\":\"\\u0000Running\"}", "state", buf, sizeof buf), -EBADMSG);
        assert_int_equal(json_top_level_string("{\"state\":\"Run\\u0000ning and more\"}", "state", buf, sizeof buf), -EBADMSG);
        assert_int_equal(json_top_level_string("{\"state\":3}", "state", buf, sizeof buf), -EMEDIUMTYPE);
        assert_int_equal(json_top_level_string("{\"state\":{\"a\":1}}", "state", buf, sizeof buf), -EMEDIUMTYPE);
        assert_int_equal(json_top_level_string("{\"state\":\"Shutdown\"}", "state", buf, sizeof buf), -ENOBUFS);
        assert_int_equal(json_top_level_string("{\"state\":\"Created\"}", "state", buf, sizeof buf), 0);
}

static void test_json_malformed(void **state) {
        static const char *const bad[] = {
                "",
                "[\"state\",\"Running\"]",
                "\"state\"",
                "{",
                "{\"config\":{\"a\":1}",
                "{\"config\":\"unterminated}",
                "{\"config\" \"Created\",\"state\":\"Running\"}",
                "{\"config\":,\"state\":\"Running\"}",
                "{\"a\":1 \"state\":\"Running\"}",
                "{\"a\":1,}",
                "{state:\"Running\"}",
                "{\"a\":\"\\x\",\"state\":\"Running\"}",
                "{\"a\":\"\\u12g4\",\"state\":\"Running\"}",
                "{\"a\":\"tab\there\",\"state\":\"Running\"}",
                "{\"state\":\"Run",
        };
        char buf[32];

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = json_top_level_string(bad[i], "state", buf, sizeof buf);
                if (r != -EBADMSG)
                        fail_msg("accepted (%d): %s", r, bad[i]);
        }
}

static const char *const path_cpus[] = { "config", "cpus", "boot_vcpus", NULL };

static void test_json_member_path(void **state) {
        const char *json = "{\"config\": {\"payload\": {\"cmdline\": \"cpus={\\\"boot_vcpus\\\":9}\"},"
                           " \"cpus\": {\"max_vcpus\": 8, \"boot_vcpus\": 4}}, \"boot_vcpus\": 7}";
        const char *v;
        uint64_t u = 0;

        assert_int_equal(json_member_path(json, path_cpus, &v), 0);
        assert_int_equal(json_value_uint(v, &u), 0);
        assert_int_equal(u, 4);   /* not the decoy in the command line, nor the top-level one */
        assert_int_equal(json_member_path(json, (const char *const[]) { "config", "memory", NULL }, &v), -ENOENT);
        /* A member of a number is a type error, not a malformed text. */
        assert_int_equal(json_member_path(json, (const char *const[]) { "boot_vcpus", "x", NULL }, &v), -EMEDIUMTYPE);
}

static void test_json_array_element(void **state) {
        const char *json = "[ {\"id\": \"a,]\"}, [1, 2], \"x\" ]";
        const char *v;
        char buf[8];

        assert_int_equal(json_array_element(json, 0, &v), 0);
        assert_int_equal(json_object_member(v, "id", &v), 0);
        assert_int_equal(json_value_string(v, buf, sizeof buf), 0);
        assert_string_equal(buf, "a,]");
        assert_int_equal(json_array_element(json, 2, &v), 0);
        assert_int_equal(json_value_string(v, buf, sizeof buf), 0);
        assert_string_equal(buf, "x");
        assert_int_equal(json_array_element(json, 3, &v), -ENOENT);
        assert_int_equal(json_array_element("[]", 0, &v), -ENOENT);
        assert_int_equal(json_array_element("{}", 0, &v), -EMEDIUMTYPE);
        assert_int_equal(json_array_element("[1, ", 1, &v), -EBADMSG);
        assert_int_equal(json_array_element("[1 2]", 1, &v), -EBADMSG);
}

static void test_json_values(void **state) {
        uint64_t u = 42;
        bool b = false;

        assert_int_equal(json_value_uint(" 18446744073709551615", &u), 0);
        assert_true(u == UINT64_MAX);
        assert_int_equal(json_value_uint("18446744073709551616", &u), -ERANGE);
        assert_int_equal(json_value_uint("-1", &u), -ERANGE);
        assert_int_equal(json_value_uint("1.5", &u), -ERANGE);
        assert_int_equal(json_value_uint("1e3", &u), -ERANGE);
        assert_int_equal(json_value_uint("\"1\"", &u), -EMEDIUMTYPE);
        assert_int_equal(json_value_uint("null", &u), -EMEDIUMTYPE);
        assert_int_equal(json_value_bool("true,", &b), 0);
        assert_true(b);
        assert_int_equal(json_value_bool("false}", &b), 0);
        assert_false(b);
        assert_int_equal(json_value_bool("1", &b), -EMEDIUMTYPE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json_state),
                cmocka_unit_test(test_json_state_missing),
                cmocka_unit_test(test_json_malformed),
                cmocka_unit_test(test_json_member_path),
                cmocka_unit_test(test_json_array_element),
                cmocka_unit_test(test_json_values),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
