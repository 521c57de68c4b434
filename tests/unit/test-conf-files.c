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
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "chase.h"
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
        Diagnostics d = {};
        ConfPolicy policy = { .check_ownership = true };
        assert_int_equal(conf_files_list(root, &policy, &d, &files, &n), 0);
        assert_int_equal(d.n, 0);
        diag_done(&d);
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


/* ---- hostile trees: what root must not read, block on, or follow out of the root ---- */

static void load(Config *c, ConfigLoadOptions *o) {
        ConfigLoadOptions def = { .root = root, .strict = true, .check_ownership = true };
        assert_int_equal(config_load(o ?: &def, c), 0);
}

static void dump(const Config *c) {
        for (size_t i = 0; i < c->diagnostics.n; i++)
                print_message("  %s:%u: %s\n", strempty(c->diagnostics.items[i].where.file),
                              c->diagnostics.items[i].where.line, c->diagnostics.items[i].message);
}

/* An error at FILE (line LINE) whose message has every NEEDLE. */
static void expect_error_at(const Config *c, const char *file, unsigned line, const char *needle, const char *needle2) {
        for (size_t i = 0; i < c->diagnostics.n; i++) {
                const Diagnostic *x = &c->diagnostics.items[i];
                if (x->level == DIAG_ERROR && streq_ptr(x->where.file, file) && x->where.line == line &&
                    strstr(x->message, needle) && (!needle2 || strstr(x->message, needle2)))
                        return;
        }
        dump(c);
        fail_msg("no error at %s:%u with \"%s\" and \"%s\"", file, line, needle, strempty(needle2));
}
#define expect_error(c, file, needle, needle2) expect_error_at(c, file, 0, needle, needle2)

static bool file_refused(const Config *c, const char *logical) {
        for (size_t i = 0; i < c->n_files; i++)
                if (streq(c->files[i].path, logical))
                        return c->files[i].refused;
        return false;
}

static void make_node(const char *path, mode_t mode, dev_t dev) {
        _cleanup_(freep) char *full = under_root(path), *dir = strdup(full);
        *strrchr(dir, '/') = 0;
        mkdir_p(dir);
        if (S_ISFIFO(mode))
                assert_int_equal(mkfifo(full, 0644), 0);
        else if (S_ISDIR(mode))
                assert_int_equal(mkdir(full, 0755), 0);
        else
                assert_int_equal(mknod(full, mode | 0644, dev), 0);
}

static void set_mode(const char *path, mode_t mode) {
        _cleanup_(freep) char *full = under_root(path);
        assert_int_equal(chmod(full, mode), 0);
}

static void set_owner(const char *path, uid_t uid) {
        _cleanup_(freep) char *full = under_root(path);
        assert_int_equal(lchown(full, uid, uid), 0);
}

#define GOOD "[VM good]\nMemory=1G\nKernel=/k\n"
#define EVIL "[VM evil]\nMemory=1G\nKernel=/k\n"

/* A FIFO would block the generator, and the boot with it, forever (an alarm in main() turns a
 * hang into a failure). */
static void test_refuse_fifo(void **state) {
        put("/usr/lib/nestvirt.conf.d/10-good.conf", GOOD);
        make_node("/etc/nestvirt.conf", S_IFIFO, 0);
        make_node("/etc/nestvirt.conf.d/20-fifo.conf", S_IFIFO, 0);
        make_node("/srv/fifo", S_IFIFO, 0);
        put_link("/run/nestvirt.conf.d/30-link.conf", "/srv/fifo");

        Config c;
        load(&c, NULL);
        expect_error(&c, "/etc/nestvirt.conf", "it is a FIFO (named pipe), not a regular file", NULL);
        expect_error(&c, "/etc/nestvirt.conf.d/20-fifo.conf", "it is a FIFO", NULL);
        expect_error(&c, "/run/nestvirt.conf.d/30-link.conf", "its link target /srv/fifo is a FIFO", NULL);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 3);
        assert_non_null(config_find_vm(&c, "good"));
        assert_true(file_refused(&c, "/etc/nestvirt.conf"));
        config_done(&c);
}

/* Opening a device can act (a tape rewinds, a watchdog arms): it is refused before any open. */
static void test_refuse_device_nodes(void **state) {
        put("/etc/nestvirt.conf", GOOD);
        make_node("/dev/zero", S_IFCHR, makedev(1, 5));
        make_node("/dev/loop-test", S_IFBLK, makedev(7, 0));
        put_link("/etc/nestvirt.conf.d/10-zero.conf", "/dev/zero");
        put_link("/etc/nestvirt.conf.d/20-block.conf", "../../dev/loop-test");
        make_node("/run/nestvirt.conf.d/30-node.conf", S_IFCHR, makedev(1, 5));

        Config c;
        load(&c, NULL);
        expect_error(&c, "/etc/nestvirt.conf.d/10-zero.conf", "its link target /dev/zero is a character device", NULL);
        expect_error(&c, "/etc/nestvirt.conf.d/20-block.conf", "its link target /dev/loop-test is a block device", NULL);
        expect_error(&c, "/run/nestvirt.conf.d/30-node.conf", "it is a character device", NULL);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 3);
        assert_non_null(config_find_vm(&c, "good"));
        config_done(&c);
}

static void test_refuse_directory_as_file(void **state) {
        put("/usr/lib/nestvirt.conf.d/10-good.conf", GOOD);
        make_node("/etc/nestvirt.conf", S_IFDIR, 0);
        make_node("/etc/nestvirt.conf.d/20-dir.conf", S_IFDIR, 0);
        Config c;
        load(&c, NULL);
        expect_error(&c, "/etc/nestvirt.conf", "it is a directory, not a regular file", NULL);
        expect_error(&c, "/etc/nestvirt.conf.d/20-dir.conf", "it is a directory", NULL);
        assert_non_null(config_find_vm(&c, "good"));
        config_done(&c);
}

/* A drop-in directory others can write is ignored whole, its masks included: a vendor drop-in
 * it would have masked is read. One error, at the directory. */
static void check_dir_refused(const char *dir, const char *needle, const char *fix) {
        Config c;
        load(&c, NULL);
        expect_error(&c, dir, needle, fix);
        expect_error(&c, dir, "none of its drop-ins is read", NULL);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 1);
        assert_null(config_find_vm(&c, "evil"));
        assert_non_null(config_find_vm(&c, "good"));
        config_done(&c);
}

static void put_dropins(const char *dir) {
        _cleanup_(freep) char *a = strjoin(dir, "/10-evil.conf"), *b = strjoin(dir, "/20-mask.conf");
        put("/usr/lib/nestvirt.conf.d/20-mask.conf", GOOD);   /* masked, were the directory trusted */
        put(a, EVIL);
        put_link(b, "/dev/null");
}

static void test_refuse_group_writable_dir(void **state) {
        put_dropins("/etc/nestvirt.conf.d");
        set_mode("/etc/nestvirt.conf.d", 0775);
        check_dir_refused("/etc/nestvirt.conf.d", "directory /etc/nestvirt.conf.d is writable by its group (mode 0775)",
                          "run chmod go-w /etc/nestvirt.conf.d");
}

static void test_refuse_world_writable_dir(void **state) {
        put_dropins("/run/nestvirt.conf.d");
        set_mode("/run/nestvirt.conf.d", 01777);   /* sticky changes nothing */
        check_dir_refused("/run/nestvirt.conf.d", "directory /run/nestvirt.conf.d is writable by everyone", NULL);
}

static void test_refuse_other_owned_dir(void **state) {
        put_dropins("/etc/nestvirt.conf.d");
        set_owner("/etc/nestvirt.conf.d", 12345);
        check_dir_refused("/etc/nestvirt.conf.d", "directory /etc/nestvirt.conf.d is owned by uid 12345, not root",
                          "run chown root:root /etc/nestvirt.conf.d");
}

/* A directory above counts as much: whoever writes /run can replace /run/nestvirt.conf.d. */
static void test_refuse_writable_parent_dir(void **state) {
        put_dropins("/run/nestvirt.conf.d");
        set_mode("/run", 0777);
        check_dir_refused("/run/nestvirt.conf.d", "directory /run is writable by everyone", "chmod go-w /run");
}

/* /etc holds the main file: writable by others, neither it nor /etc/nestvirt.conf.d is read. */
static void test_refuse_writable_etc(void **state) {
        put("/usr/lib/nestvirt.conf.d/10-good.conf", GOOD);
        put("/etc/nestvirt.conf", EVIL);
        put("/etc/nestvirt.conf.d/10-evil.conf", "[VM evil2]\nMemory=1G\nKernel=/k\n");
        set_mode("/etc", 0775);
        Config c;
        load(&c, NULL);
        expect_error(&c, "/etc/nestvirt.conf", "directory /etc is writable by its group", "chmod go-w /etc");
        expect_error(&c, "/etc/nestvirt.conf.d", "directory /etc is writable by its group", NULL);
        assert_null(config_find_vm(&c, "evil"));
        assert_null(config_find_vm(&c, "evil2"));
        assert_non_null(config_find_vm(&c, "good"));
        assert_true(file_refused(&c, "/etc/nestvirt.conf"));
        config_done(&c);
}

/* A link's target is what is read: it must pass the policy, and so must its directory. */
static void test_refuse_link_targets(void **state) {
        put("/etc/nestvirt.conf", GOOD);
        put("/srv/owned.conf", EVIL);
        set_owner("/srv/owned.conf", 12345);
        put_link("/etc/nestvirt.conf.d/10-owned.conf", "/srv/owned.conf");
        put("/srv/writable.conf", EVIL);
        set_mode("/srv/writable.conf", 0664);
        put_link("/etc/nestvirt.conf.d/20-writable.conf", "../../srv/writable.conf");
        put("/tmp/open/in-open-dir.conf", EVIL);
        set_mode("/tmp/open", 0777);
        put_link("/run/nestvirt.conf.d/30-open-dir.conf", "/tmp/open/in-open-dir.conf");

        Config c;
        load(&c, NULL);
        expect_error(&c, "/etc/nestvirt.conf.d/10-owned.conf", "its link target /srv/owned.conf is owned by uid 12345",
                     "run chown root:root /srv/owned.conf");
        expect_error(&c, "/etc/nestvirt.conf.d/20-writable.conf", "its link target /srv/writable.conf is writable by its group",
                     "run chmod go-w /srv/writable.conf");
        expect_error(&c, "/run/nestvirt.conf.d/30-open-dir.conf", "directory /tmp/open is writable by everyone", NULL);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 3);
        assert_null(config_find_vm(&c, "evil"));
        assert_non_null(config_find_vm(&c, "good"));
        config_done(&c);
}

/* Links resolve inside the root: an absolute target or a run of ".." never reaches the host. */
static void test_links_stay_in_root(void **state) {
        char host[] = "/tmp/nestvirt-test-host-XXXXXX";
        assert_non_null(mkdtemp(host));
        _cleanup_(freep) char *host_file = strjoin(host, "/x.conf"), *dotdot = strjoin("../../../../../../../..", host_file);
        int fd = open(host_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "[VM host]\nMemory=1G\nKernel=/k\n", 30), 30);
        close(fd);

        put_link("/etc/nestvirt.conf", host_file);
        put_link("/etc/nestvirt.conf.d/10-dotdot.conf", dotdot);
        Config c;
        load(&c, NULL);
        expect_error(&c, "/etc/nestvirt.conf", "it links to", "which does not exist in the root");
        expect_error(&c, "/etc/nestvirt.conf.d/10-dotdot.conf", host_file, "which does not exist in the root");
        assert_null(config_find_vm(&c, "host"));
        config_done(&c);

        /* The same path inside the root is what both links mean. */
        put(host_file, "[VM inside]\nMemory=1G\nKernel=/k\n");
        load(&c, NULL);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        assert_non_null(config_find_vm(&c, "inside"));
        assert_null(config_find_vm(&c, "host"));
        config_done(&c);

        /* chase_in_root() itself: re-rooted, clamped at the root, loops and files in the way. */
        char *r = NULL;
        assert_int_equal(chase_in_root(root, "/etc/nestvirt.conf", &r), 1);
        assert_string_equal(r, host_file);
        free(r);
        assert_int_equal(chase_in_root(root, "/etc/../../../..", &r), 1);
        assert_string_equal(r, "/");
        free(r);
        assert_int_equal(chase_in_root(root, "/etc/missing/../x/./y", &r), 0);
        assert_string_equal(r, "/etc/x/y");
        free(r);
        put_link("/loop/a", "b");
        put_link("/loop/b", "/loop/a");
        assert_int_equal(chase_in_root(root, "/loop/a", &r), -ELOOP);
        assert_int_equal(chase_in_root(root, "/etc/nestvirt.conf/x", &r), -ENOTDIR);
        assert_int_equal(chase_in_root(root, "relative", &r), -EINVAL);

        assert_int_equal(unlink(host_file), 0);
        assert_int_equal(rmdir(host), 0);
}

/* A link loop is an error that says so, not a silent skip. */
static void test_link_loop(void **state) {
        put("/etc/nestvirt.conf", GOOD);
        put_link("/etc/nestvirt.conf.d/10-loop.conf", "11-loop.conf");
        put_link("/etc/nestvirt.conf.d/11-loop.conf", "10-loop.conf");
        Config c;
        load(&c, NULL);
        expect_error(&c, "/etc/nestvirt.conf.d/10-loop.conf", "cannot open", strerror(ELOOP));
        assert_non_null(config_find_vm(&c, "good"));
        config_done(&c);
}

/* The documented mask keeps masking when the root has a real /dev/null, and through a relative link. */
static void test_dev_null_mask(void **state) {
        make_node("/dev/null", S_IFCHR, makedev(1, 3));
        put("/etc/nestvirt.conf", GOOD);
        put("/usr/lib/nestvirt.conf.d/10-a.conf", EVIL);
        put_link("/etc/nestvirt.conf.d/10-a.conf", "/dev/null");
        put("/run/nestvirt.conf.d/20-b.conf", EVIL);
        put_link("/etc/nestvirt.conf.d/20-b.conf", "../../dev/null");
        put_link("/run/nestvirt.conf.d/30-c.conf", "/dev/null");
        static const char *const expected[] = { "/etc/nestvirt.conf" };
        check_list(expected, 1);
        Config c;
        load(&c, NULL);
        assert_int_equal(c.diagnostics.n, 0);
        assert_null(config_find_vm(&c, "evil"));
        config_done(&c);
}

/* CONF_FILE_SIZE_MAX bytes are read, one more is refused, naming the file. */
static void test_size_limit(void **state) {
        _cleanup_(freep) char *big = malloc(CONF_FILE_SIZE_MAX + 2);
        assert_non_null(big);
        memset(big, '#', CONF_FILE_SIZE_MAX + 1);
        memcpy(big, GOOD, strlen(GOOD));
        big[CONF_FILE_SIZE_MAX - 1] = '\n';
        big[CONF_FILE_SIZE_MAX] = 0;
        put("/etc/nestvirt.conf", big);
        big[CONF_FILE_SIZE_MAX - 1] = '#';
        big[CONF_FILE_SIZE_MAX] = '\n';
        big[CONF_FILE_SIZE_MAX + 1] = 0;
        memcpy(big, EVIL, strlen(EVIL));
        put("/etc/nestvirt.conf.d/10-huge.conf", big);

        Config c;
        load(&c, NULL);
        expect_error(&c, "/etc/nestvirt.conf.d/10-huge.conf", "larger than 1024 KiB",
                     "check what was written to /etc/nestvirt.conf.d/10-huge.conf");
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 1);
        assert_non_null(config_find_vm(&c, "good"));
        assert_null(config_find_vm(&c, "evil"));
        config_done(&c);
}

/* Bytes that are not UTF-8 would go into unit files and JSON: refused at their line. */
static void test_non_utf8(void **state) {
        static const char *const bad[] = {
                "\xc3\x28",           /* a lead byte without its continuation */
                "\x80",               /* a lone continuation byte */
                "\xc0\xaf",           /* overlong '/' */
                "\xe0\x80\xaf",       /* overlong '/' in three bytes */
                "\xed\xa0\x80",       /* a UTF-16 surrogate */
                "\xf4\x90\x80\x80",   /* above U+10FFFF */
                "\xff",
                "\xe2\x82",           /* cut short at the end of the file */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(freep) char *text = strjoin("[VM evil]\nMemory=1G\nCmdline=root=/dev/vda", bad[i]);
                put("/etc/nestvirt.conf", GOOD);
                put("/etc/nestvirt.conf.d/10-latin1.conf", text);
                Config c;
                load(&c, NULL);
                expect_error_at(&c, "/etc/nestvirt.conf.d/10-latin1.conf", 3, "not valid UTF-8", "save it as UTF-8");
                assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 1);
                assert_null(config_find_vm(&c, "evil"));
                assert_non_null(config_find_vm(&c, "good"));
                config_done(&c);
        }

        put("/etc/nestvirt.conf.d/10-latin1.conf", "[VM fine]\nMemory=1G\nKernel=/k\n"
                                                   "Cmdline=motd=\xc3\xa9t\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80\n");
        Config c;
        load(&c, NULL);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        assert_non_null(config_find_vm(&c, "fine"));
        config_done(&c);
}

/* A root deeper than any fixed path buffer: everything is still found and read. */
static void test_long_root(void **state) {
        _cleanup_(freep) char *deep = strdup("");
        for (int i = 0; i < 30; i++) {
                char *d = strjoin(deep, "/a-directory-name-of-some-length-", i % 2 ? "odd" : "even");
                free(deep);
                deep = d;
                assert_non_null(deep);
        }
        _cleanup_(freep) char *main_file = strjoin(deep, "/etc/nestvirt.conf"),
                              *dropin = strjoin(deep, "/run/nestvirt.conf.d/10-x.conf"), *long_root = under_root(deep);
        assert_true(strlen(long_root) > 1024);
        put(main_file, GOOD);
        put(dropin, "[VM second]\nMemory=1G\nKernel=/k\n");
        Config c;
        ConfigLoadOptions o = { .root = long_root, .strict = true, .check_ownership = true };
        load(&c, &o);
        assert_int_equal(c.diagnostics.n, 0);
        assert_non_null(config_find_vm(&c, "good"));
        assert_non_null(config_find_vm(&c, "second"));
        config_done(&c);
}

/* The boot reads as root and trusts only root: a user running check does not make their own files
 * trusted (as it once did). --allow-owner UID does, and says so. */
static void test_owner_is_root_whoever_checks(void **state) {
        put("/usr/lib/nestvirt.conf.d/10-good.conf", GOOD);
        put("/etc/nestvirt.conf", EVIL);
        set_owner("/etc/nestvirt.conf", 12345);
        assert_int_equal(chmod(root, 0755), 0);   /* let the user in */

        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (setgid(12345) < 0 || setuid(12345) < 0)
                        _exit(2);
                Config c;
                ConfigLoadOptions o = { .root = root, .strict = true, .check_ownership = true };
                if (config_load(&o, &c) < 0)
                        _exit(3);
                bool ok = !config_find_vm(&c, "evil") && config_find_vm(&c, "good") &&
                          c.diagnostics.n == 1 && strstr(c.diagnostics.items[0].message, "owned by uid 12345, not root");
                if (!ok)
                        dump(&c);
                config_done(&c);
                _exit(ok ? 0 : 1);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);

        Config c;
        ConfigLoadOptions o = { .root = root, .strict = true, .check_ownership = true, .allow_owner = 12345 };
        load(&c, &o);
        assert_non_null(config_find_vm(&c, "evil"));
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_NOTE), 1);
        assert_non_null(strstr(c.diagnostics.items[0].message, "ownership not enforced"));
        assert_non_null(strstr(c.diagnostics.items[0].message, "uid 12345"));
        config_done(&c);

        /* Only that uid: another one is still refused, with the same message as at boot. */
        set_owner("/etc/nestvirt.conf", 23456);
        load(&c, &o);
        expect_error(&c, "/etc/nestvirt.conf", "refusing to read: owned by uid 23456, not root",
                     "run chown root:root /etc/nestvirt.conf");
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
                cmocka_unit_test_setup(test_refuse_fifo, clean_root),
                cmocka_unit_test_setup(test_refuse_device_nodes, clean_root),
                cmocka_unit_test_setup(test_refuse_directory_as_file, clean_root),
                cmocka_unit_test_setup(test_refuse_group_writable_dir, clean_root),
                cmocka_unit_test_setup(test_refuse_world_writable_dir, clean_root),
                cmocka_unit_test_setup(test_refuse_other_owned_dir, clean_root),
                cmocka_unit_test_setup(test_refuse_writable_parent_dir, clean_root),
                cmocka_unit_test_setup(test_refuse_writable_etc, clean_root),
                cmocka_unit_test_setup(test_refuse_link_targets, clean_root),
                cmocka_unit_test_setup(test_links_stay_in_root, clean_root),
                cmocka_unit_test_setup(test_link_loop, clean_root),
                cmocka_unit_test_setup(test_dev_null_mask, clean_root),
                cmocka_unit_test_setup(test_size_limit, clean_root),
                cmocka_unit_test_setup(test_non_utf8, clean_root),
                cmocka_unit_test_setup(test_long_root, clean_root),
                cmocka_unit_test_setup(test_owner_is_root_whoever_checks, clean_root),
        };
        /* Directories made here are 0755 whatever the caller's umask; a read that blocks (a FIFO)
         * fails the run instead of hanging it. */
        umask(022);
        alarm(60);
        return cmocka_run_group_tests(tests, setup, teardown);
}
