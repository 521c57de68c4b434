/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* src/host/pci-device.c on a fake sysfs tree built here: regular files stand in for the
 * attributes, so the tests see what was written where, and (through inotify) in which order.
 * Nothing here binds a real device; the boot lab proves that. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

#include "pci-device.h"
#include "util.h"

#define ADDR "0000:41:00.0"

typedef struct Fake {
        char root[64];
        int inotify;
} Fake;

static void make_dir(const char *root, const char *rel) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s%s", root, rel);
        for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                (void) mkdir(p, 0755);
                *s = '/';
        }
        assert_true(mkdir(p, 0755) >= 0 || errno == EEXIST);
}

static void put_file(const char *root, const char *rel, const char *content) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s%s", root, rel);
        FILE *f = fopen(p, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static char *get_file(const char *root, const char *rel) {
        char p[PATH_MAX], *s = NULL;
        snprintf(p, sizeof p, "%s%s", root, rel);
        assert_int_equal(read_full_file(p, &s, NULL), 0);
        return s;
}

static void put_link(const char *root, const char *rel, const char *target) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s%s", root, rel);
        (void) unlink(p);
        assert_int_equal(symlink(target, p), 0);
}

static void remove_path(const char *root, const char *rel) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s%s", root, rel);
        assert_int_equal(unlink(p), 0);
}

static void watch(Fake *f, const char *rel) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s%s", f->root, rel);
        /* IN_OPEN too, only so that two writes in a row are two events: inotify merges an event
         * with an identical one queued just before it. */
        assert_true(inotify_add_watch(f->inotify, p, IN_OPEN | IN_CLOSE_WRITE) >= 0);
}

/* The attributes written since the last call, in order, as "name name ...". */
static char *writes(Fake *f) {
        StringBuffer b = {};
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;
        while ((n = read(f->inotify, buf, sizeof buf)) > 0)
                for (char *p = buf; p < buf + n;) {
                        struct inotify_event *e = (struct inotify_event *) p;
                        if (e->len > 0 && (e->mask & IN_CLOSE_WRITE))
                                sb_appendf(&b, "%s%s", b.length > 0 ? " " : "", e->name);
                        p += sizeof *e + e->len;
                }
        char *s = sb_steal(&b);
        return s ?: strdup("");
}

static void drain(Fake *f) {
        free(writes(f));
}

/* A device bound to "nvidia" in IOMMU group 7, vfio-pci present as a driver, /dev/vfio/7
 * absent; every attribute empty. */
static int setup(void **state) {
        Fake *f = calloc(1, sizeof *f);
        assert_non_null(f);
        snprintf(f->root, sizeof f->root, "/tmp/test-pci-device.XXXXXX");
        assert_non_null(mkdtemp(f->root));
        make_dir(f->root, "/sys/bus/pci/devices/" ADDR);
        make_dir(f->root, "/sys/bus/pci/drivers/nvidia");
        make_dir(f->root, "/sys/bus/pci/drivers/vfio-pci");
        make_dir(f->root, "/sys/kernel/iommu_groups/7");
        make_dir(f->root, "/dev/vfio");
        put_file(f->root, "/sys/bus/pci/drivers_probe", "");
        put_file(f->root, "/sys/bus/pci/drivers/nvidia/unbind", "");
        put_file(f->root, "/sys/bus/pci/drivers/vfio-pci/unbind", "");
        put_file(f->root, "/sys/bus/pci/devices/" ADDR "/driver_override", "");
        put_link(f->root, "/sys/bus/pci/devices/" ADDR "/driver", "../../drivers/nvidia");
        put_link(f->root, "/sys/bus/pci/devices/" ADDR "/iommu_group", "../../../../kernel/iommu_groups/7");

        f->inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        assert_true(f->inotify >= 0);
        watch(f, "/sys/bus/pci");
        watch(f, "/sys/bus/pci/devices/" ADDR);
        watch(f, "/sys/bus/pci/drivers/nvidia");
        watch(f, "/sys/bus/pci/drivers/vfio-pci");
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fake *f = *state;
        char cmd[128];
        close(f->inotify);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
        assert_int_equal(system(cmd), 0);
        free(f);
        return 0;
}

static void assert_writes(Fake *f, const char *expected) {
        _cleanup_(freep) char *w = writes(f);
        if (!streq(w, expected))
                fail_msg("written: \"%s\", wanted \"%s\"", w, expected);
}

static void assert_file(Fake *f, const char *rel, const char *expected) {
        _cleanup_(freep) char *s = get_file(f->root, rel);
        if (!streq(s, expected))
                fail_msg("%s holds \"%s\", wanted \"%s\"", rel, s, expected);
}

/* ---- accessors ---- */

static void test_driver(void **state) {
        Fake *f = *state;
        _cleanup_(freep) char *d = NULL;
        assert_int_equal(pci_device_get_driver(f->root, ADDR, &d), 0);
        assert_string_equal(d, "nvidia");

        remove_path(f->root, "/sys/bus/pci/devices/" ADDR "/driver");
        char stale;
        char *none = &stale;   /* must be overwritten, not freed */
        assert_int_equal(pci_device_get_driver(f->root, ADDR, &none), 0);
        assert_null(none);
        /* A device that is not there has no driver link either. */
        none = &stale;
        assert_int_equal(pci_device_get_driver(f->root, "0000:42:00.0", &none), 0);
        assert_null(none);
}

static void test_iommu_group(void **state) {
        Fake *f = *state;
        assert_int_equal(pci_device_iommu_group(f->root, ADDR), 7);
        put_link(f->root, "/sys/bus/pci/devices/" ADDR "/iommu_group", "../../../../kernel/iommu_groups/x");
        assert_int_equal(pci_device_iommu_group(f->root, ADDR), -EINVAL);
        remove_path(f->root, "/sys/bus/pci/devices/" ADDR "/iommu_group");
        assert_int_equal(pci_device_iommu_group(f->root, ADDR), -ENOENT);
}

static void test_driver_override(void **state) {
        Fake *f = *state;
        assert_int_equal(pci_device_set_driver_override(f->root, ADDR, "vfio-pci"), 0);
        assert_file(f, "/sys/bus/pci/devices/" ADDR "/driver_override", "vfio-pci");
        assert_writes(f, "driver_override");
        /* Cleared with a lone newline, as libvirt does: the kernel never sees an empty write. */
        put_file(f->root, "/sys/bus/pci/devices/" ADDR "/driver_override", "");
        drain(f);
        assert_int_equal(pci_device_set_driver_override(f->root, ADDR, NULL), 0);
        assert_file(f, "/sys/bus/pci/devices/" ADDR "/driver_override", "\n");
        assert_writes(f, "driver_override");
        /* No such device: the error comes back, nothing is created. */
        assert_int_equal(pci_device_set_driver_override(f->root, "0000:42:00.0", "vfio-pci"), -ENOENT);
}

static void test_vfio_group_node(void **state) {
        Fake *f = *state;
        assert_false(vfio_group_node_exists(f->root, 7, 0));
        assert_false(vfio_group_node_exists(f->root, -1, 0));
        put_file(f->root, "/dev/vfio/7", "");
        assert_true(vfio_group_node_exists(f->root, 7, 0));
        assert_false(vfio_group_node_exists(f->root, 8, 0));
}

/* ---- the steps, in libvirt's order ---- */

static void test_detach_bound(void **state) {
        Fake *f = *state;
        assert_int_equal(pci_device_detach(f->root, ADDR, VFIO_DRIVER), 0);
        /* Override first, so nothing else can take the device once it is unbound. */
        assert_writes(f, "driver_override unbind");
        assert_file(f, "/sys/bus/pci/devices/" ADDR "/driver_override", "vfio-pci");
        assert_file(f, "/sys/bus/pci/drivers/nvidia/unbind", ADDR);
        assert_file(f, "/sys/bus/pci/drivers_probe", "");
}

static void test_detach_unbound(void **state) {
        Fake *f = *state;
        remove_path(f->root, "/sys/bus/pci/devices/" ADDR "/driver");
        assert_int_equal(pci_device_detach(f->root, ADDR, VFIO_DRIVER), 0);
        assert_writes(f, "driver_override");
        assert_file(f, "/sys/bus/pci/devices/" ADDR "/driver_override", "vfio-pci");
}

static void test_detach_already_on_driver(void **state) {
        Fake *f = *state;
        put_link(f->root, "/sys/bus/pci/devices/" ADDR "/driver", "../../drivers/vfio-pci");
        assert_int_equal(pci_device_detach(f->root, ADDR, VFIO_DRIVER), 0);
        assert_int_equal(pci_device_probe(f->root, ADDR, VFIO_DRIVER), 0);
        assert_writes(f, "");
}

static void test_detach_failures(void **state) {
        Fake *f = *state;
        /* A driver without an unbind attribute (still bound afterwards): an error. */
        remove_path(f->root, "/sys/bus/pci/drivers/nvidia/unbind");
        assert_int_equal(pci_device_detach(f->root, ADDR, VFIO_DRIVER), -ENOENT);
        assert_writes(f, "driver_override");
        /* No driver_override (a kernel before 3.16): nothing is unbound. */
        put_file(f->root, "/sys/bus/pci/drivers/nvidia/unbind", "");
        remove_path(f->root, "/sys/bus/pci/devices/" ADDR "/driver_override");
        drain(f);
        assert_int_equal(pci_device_detach(f->root, ADDR, VFIO_DRIVER), -ENOENT);
        assert_writes(f, "");
        assert_file(f, "/sys/bus/pci/drivers/nvidia/unbind", "");
}

static void test_bind_sequence(void **state) {
        Fake *f = *state;
        assert_int_equal(pci_device_detach(f->root, ADDR, VFIO_DRIVER), 0);
        remove_path(f->root, "/sys/bus/pci/devices/" ADDR "/driver");   /* what the kernel's unbind does */
        assert_int_equal(pci_device_probe(f->root, ADDR, VFIO_DRIVER), 0);
        assert_writes(f, "driver_override unbind drivers_probe");
        assert_file(f, "/sys/bus/pci/drivers_probe", ADDR);
}

static void test_probe_failure(void **state) {
        Fake *f = *state;
        remove_path(f->root, "/sys/bus/pci/devices/" ADDR "/driver");
        remove_path(f->root, "/sys/bus/pci/drivers_probe");
        assert_int_equal(pci_device_probe(f->root, ADDR, VFIO_DRIVER), -ENOENT);
}

/* ---- verification ---- */

static void test_verify_bound(void **state) {
        Fake *f = *state;
        put_link(f->root, "/sys/bus/pci/devices/" ADDR "/driver", "../../drivers/vfio-pci");
        put_file(f->root, "/dev/vfio/7", "");
        assert_int_equal(pci_device_verify_vfio(f->root, ADDR), 0);
        assert_writes(f, "");
}

static void test_verify_other_driver(void **state) {
        Fake *f = *state;
        put_file(f->root, "/dev/vfio/7", "");
        assert_int_equal(pci_device_verify_vfio(f->root, ADDR), -ENXIO);
        assert_writes(f, "");   /* bound to another driver: not probed again */
}

static void test_verify_no_group(void **state) {
        Fake *f = *state;
        put_link(f->root, "/sys/bus/pci/devices/" ADDR "/driver", "../../drivers/vfio-pci");
        remove_path(f->root, "/sys/bus/pci/devices/" ADDR "/iommu_group");
        assert_int_equal(pci_device_verify_vfio(f->root, ADDR), -ENODEV);
}

static void test_verify_no_group_node(void **state) {
        Fake *f = *state;
        put_link(f->root, "/sys/bus/pci/devices/" ADDR "/driver", "../../drivers/vfio-pci");
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        assert_int_equal(pci_device_verify_vfio(f->root, ADDR), -ENOENT);
        clock_gettime(CLOCK_MONOTONIC, &b);
        /* It gave devtmpfs its moment (2 s) before calling the node missing. */
        assert_true(b.tv_sec - a.tv_sec >= 2 || (b.tv_sec - a.tv_sec == 1 && b.tv_nsec >= a.tv_nsec));
}

static void test_verify_unbound_probes_again(void **state) {
        Fake *f = *state;
        remove_path(f->root, "/sys/bus/pci/devices/" ADDR "/driver");
        assert_int_equal(pci_device_verify_vfio(f->root, ADDR), -ENXIO);
        /* Still free after our probe: probed again while waiting (every 100 ms for 2 s). */
        _cleanup_(freep) char *w = writes(f);
        size_t probes = 0;
        for (const char *p = w; (p = strstr(p, "drivers_probe")); p++)
                probes++;
        if (probes < 10)
                fail_msg("probed %zu times while waiting: \"%s\"", probes, w);
        assert_file(f, "/sys/bus/pci/drivers_probe", ADDR);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_driver, setup, teardown),
                cmocka_unit_test_setup_teardown(test_iommu_group, setup, teardown),
                cmocka_unit_test_setup_teardown(test_driver_override, setup, teardown),
                cmocka_unit_test_setup_teardown(test_vfio_group_node, setup, teardown),
                cmocka_unit_test_setup_teardown(test_detach_bound, setup, teardown),
                cmocka_unit_test_setup_teardown(test_detach_unbound, setup, teardown),
                cmocka_unit_test_setup_teardown(test_detach_already_on_driver, setup, teardown),
                cmocka_unit_test_setup_teardown(test_detach_failures, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bind_sequence, setup, teardown),
                cmocka_unit_test_setup_teardown(test_probe_failure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_verify_bound, setup, teardown),
                cmocka_unit_test_setup_teardown(test_verify_other_driver, setup, teardown),
                cmocka_unit_test_setup_teardown(test_verify_no_group, setup, teardown),
                cmocka_unit_test_setup_teardown(test_verify_no_group_node, setup, teardown),
                cmocka_unit_test_setup_teardown(test_verify_unbound_probes_again, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
