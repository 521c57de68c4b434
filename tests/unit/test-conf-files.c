/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which files are read, in which order (DESIGN.md "Configuration (contract)"), and the refusal of
 * files that someone other than root could have written. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>

#include "conf-files.h"
#include "config.h"
#include "util.h"

static char root[] = "/tmp/nestvirt-test-conf-files-XXXXXX";

static void mkdir_p(const char *path) {
        _cleanup_(freep) char *p = strdup(path);
        assert_non_null(p);
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, 0755) < 0)
                                assert_int_equal(errno, EEXIST);
                        *s = '/';
                }
        if (mkdir(p, 0755) < 0)
                assert_int_equal(errno, EEXIST);
}

/* Write ROOT/PATH with TEXT, mode 0644 whatever the umask. */
static void put(const char *path, const char *text) {
        _cleanup_(freep) char *full = strjoin(root, path);
        _cleanup_(freep) char *dir = strdup(full);
        assert_non_null(dir);
        *strrchr(dir, '/') = 0;
        mkdir_p(dir);
        int fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        assert_int_equal(fchmod(fd, 0644), 0);
        close(fd);
}

static void put_link(const char *path, const char *target) {
        _cleanup_(freep) char *full = strjoin(root, path);
        _cleanup_(freep) char *dir = strdup(full);
        *strrchr(dir, '/') = 0;
        mkdir_p(dir);
        assert_int_equal(symlink(target, full), 0);
}

static char *under_root(const char *path) {
        char *p = strjoin(root, path);
        assert_non_null(p);
        return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f) {
        return remove(path);
}

static int setup(void **state) {
        if (!mkdtemp(root))
                return -1;
        return 0;
}

static int teardown(void **state) {
        return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Each test starts from an empty root. */
static int clean_root(void **state) {
        if (nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
                return -1;
        return mkdir(root, 0700);
}

static void check_list(const char *const *expected, size_t n_expected) {
        ConfFile *files = NULL;
        size_t n = 0;
        assert_int_equal(conf_files_list(root, &files, &n), 0);
        bool ok = n == n_expected;
        for (size_t i = 0; ok && i < n; i++) {
                _cleanup_(freep) char *real = under_root(expected[i]);
                ok = streq(files[i].logical, expected[i]) && streq(files[i].real, real);
        }
        if (!ok) {
                for (size_t i = 0; i < n; i++)
                        print_message("  got %s (%s)\n", files[i].logical, files[i].real);
                for (size_t i = 0; i < n_expected; i++)
                        print_message("  expected %s\n", expected[i]);
                fail_msg("conf_files_list() returned the wrong files or order");
        }
        conf_files_free(files, n);
}

static void test_order_and_masking(void **state) {
        /* Vendor drop-ins. */
        put("/usr/lib/nestvirt.conf.d/10-vendor.conf", "");
        put("/usr/lib/nestvirt.conf.d/20-masked-by-etc.conf", "");
        put("/usr/lib/nestvirt.conf.d/30-masked-by-run.conf", "");
        put("/usr/lib/nestvirt.conf.d/40-masked-by-null.conf", "");
        put("/usr/lib/nestvirt.conf.d/90-late-vendor.conf", "");
        put("/usr/lib/nestvirt.conf.d/README", "");
        /* The main file. */
        put("/etc/nestvirt.conf", "");
        /* Runtime drop-ins. */
        put("/run/nestvirt.conf.d/15-run.conf", "");
        put("/run/nestvirt.conf.d/20-masked-by-etc.conf", "");
        put("/run/nestvirt.conf.d/30-masked-by-run.conf", "");
        put("/run/nestvirt.conf.d/35-run-masked-by-null.conf", "");
        /* Admin drop-ins. */
        put("/etc/nestvirt.conf.d/05-etc.conf", "");
        put("/etc/nestvirt.conf.d/20-masked-by-etc.conf", "");
        put("/etc/nestvirt.conf.d/50-etc.conf", "");
        put_link("/etc/nestvirt.conf.d/40-masked-by-null.conf", "/dev/null");
        put_link("/etc/nestvirt.conf.d/35-run-masked-by-null.conf", "/dev/null");
        /* Not drop-ins: other suffixes, hidden files, a bare ".conf". */
        put("/etc/nestvirt.conf.d/60-backup.conf.bak", "");
        put("/etc/nestvirt.conf.d/60-backup.conf~", "");
        put("/etc/nestvirt.conf.d/.hidden.conf", "");
        put("/etc/nestvirt.conf.d/.conf", "");
        put("/etc/nestvirt.conf.d/70-x.CONF", "");
        put("/run/nestvirt.conf.d/notes.txt", "");

        static const char *const expected[] = {
                "/usr/lib/nestvirt.conf.d/10-vendor.conf",
                "/usr/lib/nestvirt.conf.d/90-late-vendor.conf",
                "/etc/nestvirt.conf",
                "/etc/nestvirt.conf.d/05-etc.conf",
                "/run/nestvirt.conf.d/15-run.conf",
                "/etc/nestvirt.conf.d/20-masked-by-etc.conf",
                "/run/nestvirt.conf.d/30-masked-by-run.conf",
                "/etc/nestvirt.conf.d/50-etc.conf",
        };
        check_list(expected, ELEMENTSOF(expected));
}

static void test_empty_and_partial_roots(void **state) {
        /* Nothing at all. */
        check_list(NULL, 0);

        /* Only drop-ins, no main file. */
        put("/run/nestvirt.conf.d/10-a.conf", "");
        static const char *const one[] = { "/run/nestvirt.conf.d/10-a.conf" };
        check_list(one, 1);

        /* The main file masked with a link to /dev/null. */
        put_link("/etc/nestvirt.conf", "/dev/null");
        check_list(one, 1);

        /* A drop-in masked with a link to /dev/null in its own directory. */
        put_link("/usr/lib/nestvirt.conf.d/10-b.conf", "/dev/null");
        check_list(one, 1);
}

/* Masking works on names: the /etc file wins even when its content is read through config_load. */
static void test_load_precedence(void **state) {
        put("/usr/lib/nestvirt.conf.d/10-vm.conf", "[VM a]\nMemory=2G\nKernel=/usr-lib\nCPUs=3\n");
        put("/usr/lib/nestvirt.conf.d/20-shadowed.conf", "[VM a]\nCPUs=7\n");
        put("/etc/nestvirt.conf", "[VM a]\nMemory=4G\nKernel=/etc-main\n");
        put("/run/nestvirt.conf.d/20-shadowed.conf", "[VM a]\nCPUs=8\n");
        put("/etc/nestvirt.conf.d/20-shadowed.conf", "[VM a]\nCPUs=9\n");
        put("/etc/nestvirt.conf.d/30-vm.conf", "[VM a]\nMemory=8G\n[VM b]\nMemory=1G\nFirmware=/fw\n");

        Config c;
        ConfigLoadOptions o = { .root = root, .strict = true, .check_ownership = true };
        assert_int_equal(config_load(&o, &c), 0);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        assert_int_equal(c.n_vms, 2);
        const VmConfig *a = config_find_vm(&c, "a");
        assert_non_null(a);
        assert_int_equal(a->memory_gib, 8);                  /* the last file wins */
        assert_string_equal(a->memory_where.file, "/etc/nestvirt.conf.d/30-vm.conf");
        assert_string_equal(a->kernel.value, "/etc-main");   /* the main file beats /usr/lib */
        assert_int_equal(a->cpus, 9);                         /* only the /etc copy of 20-shadowed is read */
        assert_string_equal(a->cpus_where.file, "/etc/nestvirt.conf.d/20-shadowed.conf");
        /* Locations are logical paths, without the root. */
        assert_string_equal(a->where.file, "/usr/lib/nestvirt.conf.d/10-vm.conf");

        assert_int_equal(c.n_files, 4);
        assert_string_equal(c.files[0].path, "/usr/lib/nestvirt.conf.d/10-vm.conf");
        assert_string_equal(c.files[1].path, "/etc/nestvirt.conf");
        assert_string_equal(c.files[2].path, "/etc/nestvirt.conf.d/20-shadowed.conf");
        assert_string_equal(c.files[3].path, "/etc/nestvirt.conf.d/30-vm.conf");
        for (size_t i = 0; i < c.n_files; i++)
                assert_false(c.files[i].refused);
        config_done(&c);
}

static void test_no_config(void **state) {
        Config c;
        ConfigLoadOptions o = { .root = root, .check_ownership = true };
        assert_int_equal(config_load(&o, &c), 0);
        assert_int_equal(c.n_vms, 0);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_NOTE), 1);
        config_done(&c);
}

/* A file named NAME with MODE/owner: refused with an error that names it and says what to run. */
static void check_refused(const char *logical, const char *needle) {
        Config c;
        ConfigLoadOptions o = { .root = root, .check_ownership = true };
        assert_int_equal(config_load(&o, &c), 0);

        const Diagnostic *found = NULL;
        for (size_t i = 0; i < c.diagnostics.n; i++)
                if (strstr(c.diagnostics.items[i].message, needle))
                        found = &c.diagnostics.items[i];
        if (!found) {
                for (size_t i = 0; i < c.diagnostics.n; i++)
                        print_message("  %s\n", c.diagnostics.items[i].message);
                fail_msg("no diagnostic contains \"%s\"", needle);
        }
        assert_int_equal(found->level, DIAG_ERROR);
        assert_string_equal(found->where.file, logical);
        assert_non_null(strstr(found->message, logical));     /* names the file in the command to run */

        /* Nothing of it is read, the other files are. */
        assert_null(config_find_vm(&c, "evil"));
        assert_non_null(config_find_vm(&c, "good"));
        bool refused = false;
        for (size_t i = 0; i < c.n_files; i++)
                if (streq(c.files[i].path, logical))
                        refused = c.files[i].refused;
        assert_true(refused);

        /* Without the check (e.g. a test root owned by a user), the file is read. */
        config_done(&c);
        o.check_ownership = false;
        assert_int_equal(config_load(&o, &c), 0);
        assert_non_null(config_find_vm(&c, "evil"));
        config_done(&c);
}

static void test_refuse_group_writable(void **state) {
        put("/etc/nestvirt.conf", "[VM good]\nMemory=1G\nKernel=/k\n");
        put("/etc/nestvirt.conf.d/10-evil.conf", "[VM evil]\nMemory=1G\nKernel=/k\n");
        _cleanup_(freep) char *p = under_root("/etc/nestvirt.conf.d/10-evil.conf");
        assert_int_equal(chmod(p, 0664), 0);
        check_refused("/etc/nestvirt.conf.d/10-evil.conf", "chmod go-w");
}

static void test_refuse_world_writable(void **state) {
        put("/etc/nestvirt.conf", "[VM good]\nMemory=1G\nKernel=/k\n");
        put("/run/nestvirt.conf.d/10-evil.conf", "[VM evil]\nMemory=1G\nKernel=/k\n");
        _cleanup_(freep) char *p = under_root("/run/nestvirt.conf.d/10-evil.conf");
        assert_int_equal(chmod(p, 0646), 0);
        check_refused("/run/nestvirt.conf.d/10-evil.conf", "chmod go-w");
}

static void test_refuse_other_owner(void **state) {
        if (geteuid() != 0)
                skip();   /* chown needs root */
        put("/usr/lib/nestvirt.conf.d/10-good.conf", "[VM good]\nMemory=1G\nKernel=/k\n");
        put("/etc/nestvirt.conf", "[VM evil]\nMemory=1G\nKernel=/k\n");
        _cleanup_(freep) char *p = under_root("/etc/nestvirt.conf");
        assert_int_equal(chown(p, 12345, 12345), 0);
        check_refused("/etc/nestvirt.conf", "chown");
}

/* --config FILE reads that file only, not under the root. */
static void test_single_file(void **state) {
        put("/etc/nestvirt.conf", "[VM from-root]\nMemory=1G\nKernel=/k\n");
        put("/etc/nestvirt.conf.d/10-x.conf", "[VM from-dropin]\nMemory=1G\nKernel=/k\n");
        put("/elsewhere/my.conf", "[VM single]\nMemory=2G\nKernel=/k\n");
        _cleanup_(freep) char *single = under_root("/elsewhere/my.conf");

        Config c;
        ConfigLoadOptions o = { .root = root, .single_file = single, .strict = true, .check_ownership = true };
        assert_int_equal(config_load(&o, &c), 0);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        assert_int_equal(c.n_vms, 1);
        assert_string_equal(c.vms[0].name, "single");
        assert_string_equal(c.vms[0].where.file, single);
        assert_int_equal(c.n_files, 1);
        assert_string_equal(c.files[0].path, single);
        config_done(&c);

        /* A missing one is an error naming it. */
        _cleanup_(freep) char *missing = under_root("/elsewhere/missing.conf");
        o.single_file = missing;
        assert_int_equal(config_load(&o, &c), 0);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 1);
        assert_string_equal(c.diagnostics.items[0].where.file, missing);
        assert_non_null(strstr(c.diagnostics.items[0].message, "cannot open"));
        assert_int_equal(c.n_vms, 0);
        config_done(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_order_and_masking, clean_root),
                cmocka_unit_test_setup(test_empty_and_partial_roots, clean_root),
                cmocka_unit_test_setup(test_load_precedence, clean_root),
                cmocka_unit_test_setup(test_no_config, clean_root),
                cmocka_unit_test_setup(test_refuse_group_writable, clean_root),
                cmocka_unit_test_setup(test_refuse_world_writable, clean_root),
                cmocka_unit_test_setup(test_refuse_other_owner, clean_root),
                cmocka_unit_test_setup(test_single_file, clean_root),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
