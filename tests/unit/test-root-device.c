/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* root= of Cmdline=, and each verdict of resolving it against probed disks (src/nestvirt/
 * root-device.c). The disks are described here; tests/cli/test-vm-preflight.sh probes real ones. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "root-device.h"
#include "util.h"

/* ---- parsing ---- */

static void check_parse(const char *cmdline, RootKind kind, const char *value, const char *key, unsigned disk,
                        unsigned partition) {
        _cleanup_(root_spec_done) RootSpec s = {};
        assert_int_equal(root_spec_parse(cmdline, &s), 0);
        if (s.kind != kind)
                fail_msg("\"%s\": kind %d, wanted %d", strempty(cmdline), s.kind, kind);
        if (!streq_ptr(s.value, value))
                fail_msg("\"%s\": value \"%s\", wanted \"%s\"", strempty(cmdline), strempty(s.value), strempty(value));
        if (!streq_ptr(s.key, key))
                fail_msg("\"%s\": key \"%s\", wanted \"%s\"", strempty(cmdline), strempty(s.key), strempty(key));
        if (kind == ROOT_VD_DISK || kind == ROOT_VD_PARTITION) {
                assert_int_equal(s.disk, disk);
                assert_int_equal(s.partition, partition);
        }
}

static void test_parse_vd(void **state) {
        check_parse("console=ttyS0 root=/dev/vda1 rw", ROOT_VD_PARTITION, "/dev/vda1", NULL, 0, 1);
        check_parse("root=/dev/vdb", ROOT_VD_DISK, "/dev/vdb", NULL, 1, 0);
        check_parse("root=/dev/vdz15", ROOT_VD_PARTITION, "/dev/vdz15", NULL, 25, 15);
        check_parse("root=/dev/vdaa3", ROOT_VD_PARTITION, "/dev/vdaa3", NULL, 26, 3);
        check_parse("root=/dev/vdzz", ROOT_VD_DISK, "/dev/vdzz", NULL, 701, 0);
        check_parse("\troot=/dev/vdc2\n", ROOT_VD_PARTITION, "/dev/vdc2", NULL, 2, 2);
}

static void test_parse_keys(void **state) {
        check_parse("root=UUID=6c2d1f0e-5a4b rw", ROOT_UUID, "UUID=6c2d1f0e-5a4b", "6c2d1f0e-5a4b", 0, 0);
        check_parse("root=LABEL=cloudimg-rootfs", ROOT_LABEL, "LABEL=cloudimg-rootfs", "cloudimg-rootfs", 0, 0);
        check_parse("root=PARTUUID=1234abcd-01", ROOT_PARTUUID, "PARTUUID=1234abcd-01", "1234abcd-01", 0, 0);
        check_parse("root=PARTLABEL=rootfs", ROOT_PARTLABEL, "PARTLABEL=rootfs", "rootfs", 0, 0);
        /* Double quotes keep spaces in one word and are dropped, as the kernel does. */
        check_parse("quiet \"root=LABEL=my root\" rw", ROOT_LABEL, "LABEL=my root", "my root", 0, 0);
        check_parse("root=LABEL=\"my root\" rw", ROOT_LABEL, "LABEL=my root", "my root", 0, 0);
}

static void test_parse_last_wins(void **state) {
        check_parse("root=/dev/vda1 ro root=/dev/vdb2", ROOT_VD_PARTITION, "/dev/vdb2", NULL, 1, 2);
        check_parse("root=/dev/vda1 root=", ROOT_NONE, NULL, NULL, 0, 0);
        /* After "--" the words are init's, not the kernel's. */
        check_parse("root=/dev/vda1 -- root=/dev/vdb", ROOT_VD_PARTITION, "/dev/vda1", NULL, 0, 1);
        check_parse("ro -- root=/dev/vdb", ROOT_NONE, NULL, NULL, 0, 0);
}

static void test_parse_none_and_other(void **state) {
        check_parse(NULL, ROOT_NONE, NULL, NULL, 0, 0);
        check_parse("", ROOT_NONE, NULL, NULL, 0, 0);
        check_parse("console=ttyS0 rw", ROOT_NONE, NULL, NULL, 0, 0);
        check_parse("myroot=/dev/vda1", ROOT_NONE, NULL, NULL, 0, 0);
        static const char *const other[] = {
                "/dev/sda1", "/dev/vda0", "/dev/vda01", "/dev/vd1", "/dev/vdA1", "/dev/vdabcd", "/dev/vda1x",
                "/dev/disk/by-uuid/abc", "/dev/nfs", "08:01", "UUID=", "LABEL=", "PARTUUID=1234abcd-01/PARTNROFF=1",
        };
        for (size_t i = 0; i < ELEMENTSOF(other); i++) {
                _cleanup_(freep) char *cmdline = strjoin("root=", other[i]);
                check_parse(cmdline, ROOT_OTHER, other[i], NULL, 0, 0);
        }
}

static void test_vd_disk_name(void **state) {
        static const struct {
                unsigned index;
                const char *name;
        } cases[] = { { 0, "vda" }, { 1, "vdb" }, { 25, "vdz" }, { 26, "vdaa" }, { 27, "vdab" },
                      { 701, "vdzz" }, { 702, "vdaaa" }, { 18277, "vdzzz" } };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char buf[8];
                vd_disk_name(cases[i].index, buf);
                assert_string_equal(buf, cases[i].name);
                /* and back */
                _cleanup_(freep) char *cmdline = strjoin("root=/dev/", buf);
                _cleanup_(root_spec_done) RootSpec s = {};
                assert_int_equal(root_spec_parse(cmdline, &s), 0);
                assert_int_equal(s.kind, ROOT_VD_DISK);
                assert_int_equal(s.disk, cases[i].index);
        }
}

/* ---- resolving ---- */

#define EXT4(u, l) { .type = "ext4", .usage = "filesystem", .uuid = u, .label = l }
#define SWAP { .type = "swap", .usage = "other", .uuid = "5a5a5a5a-0000-4000-8000-000000000001" }

static DiskPartition dos_parts[] = {
        { .number = 1, .uuid = "1234abcd-01", .content = EXT4("6c2d1f0e-aaaa-4bbb-8ccc-000000000001", "trainroot") },
};
static DiskPartition gpt_parts[] = {
        { .number = 1, .uuid = "0f0f0f0f-1111-4222-8333-000000000001", .name = "bios" },
        { .number = 2, .uuid = "0f0f0f0f-1111-4222-8333-000000000002", .name = "swap", .content = SWAP },
        { .number = 5, .uuid = "0f0f0f0f-1111-4222-8333-000000000005", .name = "rootfs",
          .content = EXT4("6c2d1f0e-aaaa-4bbb-8ccc-000000000005", "gptroot") },
};
static DiskPartition extended_parts[] = {
        { .number = 1, .uuid = "99999999-01", .content = SWAP },
        { .number = 2, .uuid = "99999999-02", .extended = true },
        { .number = 5, .uuid = "99999999-05", .content = EXT4("6c2d1f0e-aaaa-4bbb-8ccc-000000000055", "logical") },
};

static const DiskProbe dos = { .path = "/img/dos.raw", .table = "dos", .partitions = dos_parts, .n_partitions = 1 };
static const DiskProbe gpt = { .path = "/img/gpt.raw", .table = "gpt", .partitions = gpt_parts, .n_partitions = 3 };
static const DiskProbe extended = { .path = "/img/ext.raw", .table = "dos", .partitions = extended_parts,
                                    .n_partitions = 3 };
static const DiskProbe whole = { .path = "/img/whole.raw",
                                 .content = EXT4("6c2d1f0e-aaaa-4bbb-8ccc-0000000000ff", "whole") };
static const DiskProbe luks = { .path = "/img/luks.raw", .content = { .type = "crypto_LUKS", .usage = "crypto" } };
static const DiskProbe mixed = { .path = "/img/mixed.raw", .content = { .ambivalent = true } };
static const DiskProbe empty = { .path = "/img/empty.raw" };
static const DiskProbe qcow2 = { .path = "/img/root.qcow2", .state = DISK_QCOW2 };
static const DiskProbe unreadable = { .path = "/img/secret.raw", .state = DISK_UNREADABLE, .error = EACCES };

/* Resolves "root=ROOT" against DISKS and checks the verdict and that the message has every
 * fragment in MUST (NULL-terminated). */
static void check_resolve(const char *root, const DiskProbe *const *disks, size_t n, bool seed, RootVerdict want,
                          const char *const *must) {
        _cleanup_(freep) char *cmdline = strjoin("console=ttyS0 root=", root, " rw");
        _cleanup_(root_spec_done) RootSpec s = {};
        _cleanup_(freep) DiskProbe *copy = calloc(MAX(n, (size_t) 1), sizeof(DiskProbe));
        _cleanup_(freep) char *message = NULL;
        assert_non_null(copy);
        for (size_t i = 0; i < n; i++)
                copy[i] = *disks[i];
        assert_int_equal(root_spec_parse(cmdline, &s), 0);
        RootVerdict v = root_resolve(&s, copy, n, seed, &message);
        assert_non_null(message);
        if (v != want)
                fail_msg("root=%s: verdict %d, wanted %d: %s", root, v, want, message);
        for (size_t i = 0; must[i]; i++)
                if (!strstr(message, must[i]))
                        fail_msg("root=%s: message lacks \"%s\": %s", root, must[i], message);
}

#define DISKS(...) \
        ((const DiskProbe *const[]) { __VA_ARGS__ }), ELEMENTSOF(((const DiskProbe *const[]) { __VA_ARGS__ }))
#define MUST(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void test_resolve_vd_partition(void **state) {
        check_resolve("/dev/vda1", DISKS(&dos), false, ROOT_RESOLVED, MUST("root=/dev/vda1 is ext4 on disk 1"));
        check_resolve("/dev/vda2", DISKS(&dos), false, ROOT_UNRESOLVED,
                      MUST("needs partition 2 of disk 1 (/img/dos.raw), which has only partition 1 (dos table)",
                           "use root=/dev/vda1 (ext4)"));
        check_resolve("/dev/vdb3", DISKS(&dos, &gpt), false, ROOT_UNRESOLVED,
                      MUST("which has only partitions 1, 2 and 5 (gpt table)", "use root=/dev/vdb5 (ext4)"));
        check_resolve("/dev/vda1", DISKS(&gpt), false, ROOT_UNRESOLVED,
                      MUST("but that partition holds no file system", "use root=/dev/vda5"));
        check_resolve("/dev/vda2", DISKS(&gpt), false, ROOT_UNRESOLVED,
                      MUST("but that partition holds swap, not a file system"));
        check_resolve("/dev/vda2", DISKS(&extended), false, ROOT_UNRESOLVED,
                      MUST("but that is an extended partition", "use root=/dev/vda5 (ext4)"));
        check_resolve("/dev/vda5", DISKS(&extended), false, ROOT_RESOLVED, MUST("root=/dev/vda5 is ext4 on disk 1"));
        check_resolve("/dev/vda1", DISKS(&whole), false, ROOT_UNRESOLVED,
                      MUST("but that disk has no partition table: it holds ext4 directly, so use root=/dev/vda"));
        check_resolve("/dev/vda1", DISKS(&empty), false, ROOT_UNRESOLVED,
                      MUST("neither a partition table nor a file system"));
}

static void test_resolve_vd_disk(void **state) {
        check_resolve("/dev/vda", DISKS(&whole), false, ROOT_RESOLVED, MUST("root=/dev/vda is ext4 on disk 1"));
        check_resolve("/dev/vda", DISKS(&dos), false, ROOT_UNRESOLVED,
                      MUST("names the whole of disk 1 (/img/dos.raw), which holds a dos partition table, not a file "
                           "system; use root=/dev/vda1 (ext4)"));
        check_resolve("/dev/vda", DISKS(&luks), false, ROOT_UNRESOLVED, MUST("holds crypto_LUKS, not a file system"));
        check_resolve("/dev/vda", DISKS(&mixed), false, ROOT_UNRESOLVED, MUST("more than one signature", "wipefs"));
        check_resolve("/dev/vda", DISKS(&empty), false, ROOT_UNRESOLVED,
                      MUST("neither a file system nor a partition table"));
}

static void test_resolve_vd_missing_disk(void **state) {
        check_resolve("/dev/vdb", DISKS(&dos), false, ROOT_UNRESOLVED,
                      MUST("root=/dev/vdb names disk 2 (vdb), but the VM has only 1 disk (vda); fix root="));
        check_resolve("/dev/vdd1", DISKS(&dos, &gpt), false, ROOT_UNRESOLVED, MUST("only 2 disks (vda..vdb)"));
        check_resolve("/dev/vda1", DISKS(), false, ROOT_UNRESOLVED, MUST("the VM has no Disk="));
        /* The seed disk follows the Disk= images. */
        check_resolve("/dev/vdb", DISKS(&dos), true, ROOT_UNRESOLVED,
                      MUST("root=/dev/vdb is the cloud-init seed (vdb"));
        check_resolve("/dev/vdc1", DISKS(&dos), true, ROOT_UNRESOLVED,
                      MUST("only 1 disk (vda) and the cloud-init seed (vdb)"));
}

static void test_resolve_not_looked_into(void **state) {
        check_resolve("/dev/vda1", DISKS(&qcow2), false, ROOT_NOT_CHECKED,
                      MUST("root=/dev/vda1 is not checked: disk 1 (/img/root.qcow2) is qcow2"));
        check_resolve("/dev/vda", DISKS(&qcow2), false, ROOT_NOT_CHECKED, MUST("is qcow2"));
        check_resolve("/dev/vda1", DISKS(&unreadable), false, ROOT_NOT_CHECKED,
                      MUST("disk 1 (/img/secret.raw) cannot be read (Permission denied)"));
        /* A missing disk is still an error, qcow2 or not. */
        check_resolve("/dev/vdb1", DISKS(&qcow2), false, ROOT_UNRESOLVED, MUST("only 1 disk"));
}

static void test_resolve_keys(void **state) {
        check_resolve("UUID=6c2d1f0e-aaaa-4bbb-8ccc-000000000001", DISKS(&gpt, &dos), false, ROOT_RESOLVED,
                      MUST("is ext4 on disk 2 (vdb1)"));
        /* UUIDs compare without case, labels exactly. */
        check_resolve("UUID=6C2D1F0E-AAAA-4BBB-8CCC-0000000000FF", DISKS(&whole), false, ROOT_RESOLVED,
                      MUST("is ext4 on disk 1 (vda)"));
        check_resolve("LABEL=gptroot", DISKS(&dos, &gpt), false, ROOT_RESOLVED, MUST("is ext4 on disk 2 (vdb5)"));
        check_resolve("LABEL=GPTROOT", DISKS(&gpt), false, ROOT_UNRESOLVED,
                      MUST("is on none of the VM's disks (they carry LABEL=gptroot on vda5)"));
        check_resolve("PARTUUID=1234ABCD-01", DISKS(&dos), false, ROOT_RESOLVED, MUST("is ext4 on disk 1 (vda1)"));
        check_resolve("PARTLABEL=rootfs", DISKS(&gpt), false, ROOT_RESOLVED, MUST("is ext4 on disk 1 (vda5)"));
        check_resolve("PARTLABEL=bios", DISKS(&gpt), false, ROOT_UNRESOLVED,
                      MUST("is on disk 1 (vda1), which holds no file system"));
        check_resolve("UUID=5a5a5a5a-0000-4000-8000-000000000001", DISKS(&gpt), false, ROOT_UNRESOLVED,
                      MUST("which holds swap, not a file system"));
        check_resolve("PARTUUID=99999999-02", DISKS(&extended), false, ROOT_UNRESOLVED,
                      MUST("which holds an extended partition table"));
}

static void test_resolve_keys_not_found(void **state) {
        check_resolve("UUID=00000000-0000-4000-8000-000000000000", DISKS(&dos, &gpt), false, ROOT_UNRESOLVED,
                      MUST("they carry UUID=6c2d1f0e-aaaa-4bbb-8ccc-000000000001 on vda1",
                           "UUID=5a5a5a5a-0000-4000-8000-000000000001 on vdb2", "fix root= or the image"));
        /* At most four are listed. */
        check_resolve("PARTUUID=00000000-01", DISKS(&gpt, &extended), false, ROOT_UNRESOLVED,
                      MUST("PARTUUID=99999999-01 on vdb1", ", ...)"));
        check_resolve("PARTLABEL=rootfs", DISKS(&dos), false, ROOT_UNRESOLVED,
                      MUST("none of them carries a PARTLABEL: only GPT partitions have one"));
        check_resolve("LABEL=x", DISKS(&empty), false, ROOT_UNRESOLVED, MUST("none of them carries a LABEL)"));
        check_resolve("LABEL=x", DISKS(), false, ROOT_UNRESOLVED, MUST("but the VM has no Disk="));
        /* What cannot be looked into might hold it. */
        check_resolve("UUID=00000000-0000-4000-8000-000000000000", DISKS(&dos, &qcow2), false, ROOT_NOT_CHECKED,
                      MUST("disk 2 (/img/root.qcow2) is qcow2"));
        check_resolve("LABEL=trainroot", DISKS(&qcow2, &dos), false, ROOT_RESOLVED, MUST("on disk 2 (vdb1)"));
}

static void test_resolve_ambiguous(void **state) {
        check_resolve("LABEL=trainroot", DISKS(&dos, &dos), false, ROOT_NOT_CHECKED,
                      MUST("is on vda1 and on vdb1 (copies of one image?)", "undefined"));
        check_resolve("LABEL=trainroot", DISKS(&dos, &dos, &dos), false, ROOT_NOT_CHECKED,
                      MUST("on vda1 and on vdb1 and more"));
}

static void test_resolve_unchecked_forms(void **state) {
        check_resolve("/dev/sda1", DISKS(&dos), false, ROOT_NOT_CHECKED, MUST("root=/dev/sda1 is not checked"));
        check_resolve("/dev/nfs", DISKS(), false, ROOT_NOT_CHECKED, MUST("is not checked"));

        _cleanup_(root_spec_done) RootSpec s = {};
        _cleanup_(freep) char *message = NULL;
        assert_int_equal(root_spec_parse("console=ttyS0", &s), 0);
        assert_int_equal(root_resolve(&s, NULL, 0, false, &message), ROOT_NOT_CHECKED);
        assert_string_equal(message, "Cmdline= has no root=: not checked");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_vd),
                cmocka_unit_test(test_parse_keys),
                cmocka_unit_test(test_parse_last_wins),
                cmocka_unit_test(test_parse_none_and_other),
                cmocka_unit_test(test_vd_disk_name),
                cmocka_unit_test(test_resolve_vd_partition),
                cmocka_unit_test(test_resolve_vd_disk),
                cmocka_unit_test(test_resolve_vd_missing_disk),
                cmocka_unit_test(test_resolve_not_looked_into),
                cmocka_unit_test(test_resolve_keys),
                cmocka_unit_test(test_resolve_keys_not_found),
                cmocka_unit_test(test_resolve_ambiguous),
                cmocka_unit_test(test_resolve_unchecked_forms),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
