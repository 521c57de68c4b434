/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* src/host/hugepages.c on a fake sysfs tree built here: regular files stand in for
 * nr_hugepages, so the tests see what was written, and that nothing was when nothing should be. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "hugepages.h"
#include "util.h"

#define NODE1 "/sys/devices/system/node/node1/" HUGEPAGES_GIGANTIC_DIR
#define GLOBAL "/sys/kernel/mm/" HUGEPAGES_GIGANTIC_DIR

typedef struct Fake {
        char root[64];
        char *nr;   /* node 1's nr_hugepages */
} Fake;

static void make_dirs(const char *root, const char *rel) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s%s", root, rel);
        for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                (void) mkdir(p, 0755);
                *s = '/';
        }
        assert_true(mkdir(p, 0755) >= 0 || errno == EEXIST);
}

static void put(const char *path, const char *content) {
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static void assert_holds(const char *path, const char *expected) {
        _cleanup_(freep) char *s = NULL;
        assert_int_equal(read_full_file(path, &s, NULL), 0);
        if (!streq(s, expected))
                fail_msg("%s holds \"%s\", wanted \"%s\"", path, s, expected);
}

static int setup(void **state) {
        Fake *f = calloc(1, sizeof *f);
        assert_non_null(f);
        snprintf(f->root, sizeof f->root, "/tmp/test-hugepages.XXXXXX");
        assert_non_null(mkdtemp(f->root));
        make_dirs(f->root, NODE1);
        make_dirs(f->root, GLOBAL);
        f->nr = strjoin(f->root, NODE1 "/nr_hugepages");
        assert_non_null(f->nr);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fake *f = *state;
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
        assert_int_equal(system(cmd), 0);
        free(f->nr);
        free(f);
        return 0;
}

static void test_paths(void **state) {
        Fake *f = *state;
        _cleanup_(freep) char *node = hugepages_pool_path(f->root, true, 1, "nr_hugepages");
        _cleanup_(freep) char *node_free = hugepages_pool_path(f->root, true, 1, "free_hugepages");
        _cleanup_(freep) char *global = hugepages_pool_path(f->root, false, 1, "nr_hugepages");
        _cleanup_(freep) char *real = hugepages_pool_path(NULL, true, 0, "nr_hugepages");
        assert_string_equal(node, f->nr);
        _cleanup_(freep) char *want_free = strjoin(f->root, NODE1 "/free_hugepages");
        assert_string_equal(node_free, want_free);
        _cleanup_(freep) char *want_global = strjoin(f->root, GLOBAL "/nr_hugepages");
        assert_string_equal(global, want_global);
        assert_string_equal(real, "/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages");
}

static void test_read(void **state) {
        Fake *f = *state;
        uint64_t n = 99;
        assert_int_equal(hugepages_pool_read(f->nr, &n), -ENOENT);
        assert_int_equal(n, 99);
        put(f->nr, "5\n");
        assert_int_equal(hugepages_pool_read(f->nr, &n), 0);
        assert_int_equal(n, 5);
        put(f->nr, "five\n");
        assert_int_equal(hugepages_pool_read(f->nr, &n), -EINVAL);
        assert_int_equal(n, 5);
}

static void test_reserve_tops_up(void **state) {
        Fake *f = *state;
        uint64_t before = 99, after = 99;
        put(f->nr, "2\n");
        assert_int_equal(hugepages_pool_reserve(f->nr, 4, &before, &after), 0);
        assert_holds(f->nr, "4\n");   /* "4" written over "2\n" */
        assert_int_equal(before, 2);
        assert_int_equal(after, 4);

        /* The count written is the total wanted, not the difference. */
        put(f->nr, "8\n");
        assert_int_equal(hugepages_pool_reserve(f->nr, 16, &before, &after), 0);
        assert_holds(f->nr, "16");
        assert_int_equal(before, 8);
        assert_int_equal(after, 16);
}

static void test_reserve_never_shrinks(void **state) {
        Fake *f = *state;
        uint64_t before, after;
        put(f->nr, "8\n");
        assert_int_equal(hugepages_pool_reserve(f->nr, 4, &before, &after), 0);
        assert_holds(f->nr, "8\n");   /* a write of "4" would have made it "4\n" */
        assert_int_equal(before, 8);
        assert_int_equal(after, 8);

        /* Exactly as many: no write either ("4" written over "04\n" would make it "44\n"). */
        put(f->nr, "04\n");
        assert_int_equal(hugepages_pool_reserve(f->nr, 4, &before, &after), 0);
        assert_holds(f->nr, "04\n");
        assert_int_equal(after, 4);
}

/* What is read back counts, not what was written: the kernel succeeds and gives fewer. */
static void test_reserve_reads_back(void **state) {
        Fake *f = *state;
        uint64_t before, after;
        put(f->nr, "0003\n");   /* "9" written over it reads back as 9003 */
        assert_int_equal(hugepages_pool_reserve(f->nr, 9, &before, &after), 0);
        assert_int_equal(before, 3);
        assert_int_equal(after, 9003);
}

static void test_reserve_failures(void **state) {
        Fake *f = *state;
        uint64_t before = 99, after = 99;
        /* No pool: both counts 0, so the caller can tell that nothing could be read. */
        assert_int_equal(hugepages_pool_reserve(f->nr, 4, &before, &after), -ENOENT);
        assert_int_equal(before, 0);
        assert_int_equal(after, 0);

        put(f->nr, "junk\n");
        assert_int_equal(hugepages_pool_reserve(f->nr, 4, &before, &after), -EINVAL);
        assert_holds(f->nr, "junk\n");
        assert_int_equal(after, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reserve_tops_up, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reserve_never_shrinks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reserve_reads_back, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reserve_failures, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
