/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel command line switches nestvirt= and rd.nestvirt= (DESIGN.md "Configuration (contract)"),
 * and where they and the initrd are read from. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "proc-cmdline.h"
#include "util.h"

/* ---- kernel command line ---- */

static KernelSwitches switches(const char *cmdline, bool in_initrd) {
        KernelSwitches s = { .enabled = false, .autostart = false };
        assert_int_equal(kernel_switches_parse(cmdline, in_initrd, &s), 0);
        return s;
}

static void test_kernel_switches(void **state) {
        KernelSwitches s;

        /* Defaults: on. */
        for (int initrd = 0; initrd <= 1; initrd++) {
                s = switches("", initrd);
                assert_true(s.enabled);
                assert_true(s.autostart);
                s = switches("quiet splash root=/dev/vda1", initrd);
                assert_true(s.enabled);
                assert_true(s.autostart);
                /* nestvirt=0 disables everything, in both phases. */
                s = switches("quiet nestvirt=0", initrd);
                assert_false(s.enabled);
                /* nestvirt.autostart=0 only stops autostart. */
                s = switches("nestvirt.autostart=0", initrd);
                assert_true(s.enabled);
                assert_false(s.autostart);
                /* A bare switch means on. */
                s = switches("nestvirt=0 nestvirt", initrd);
                assert_true(s.enabled);
                s = switches("nestvirt.autostart=no nestvirt.autostart", initrd);
                assert_true(s.autostart);
                /* Quoted values are unquoted like the kernel does. */
                s = switches("nestvirt=\"0\"", initrd);
                assert_false(s.enabled);
                s = switches("\"nestvirt=off\"", initrd);
                assert_false(s.enabled);
                /* A quoted value of another key hides what is inside it. */
                s = switches("foo=\"bar nestvirt=0 baz\" quiet", initrd);
                assert_true(s.enabled);
                /* Keys are matched exactly. */
                s = switches("nestvirtx=0 xnestvirt=0 nestvirt.autostartx=0", initrd);
                assert_true(s.enabled);
                assert_true(s.autostart);
                /* Unparsable values are ignored. */
                s = switches("nestvirt=0 nestvirt=bogus", initrd);
                assert_false(s.enabled);
        }

        /* In the initrd, rd.nestvirt and nestvirt both count and the last one wins. */
        s = switches("rd.nestvirt=0", true);
        assert_false(s.enabled);
        s = switches("rd.nestvirt=0 nestvirt=1", true);
        assert_true(s.enabled);
        s = switches("nestvirt=1 rd.nestvirt=0", true);
        assert_false(s.enabled);
        s = switches("nestvirt=0 rd.nestvirt=1", true);
        assert_true(s.enabled);
        s = switches("rd.nestvirt.autostart=0", true);
        assert_false(s.autostart);

        /* In the main system rd.nestvirt is ignored. */
        s = switches("rd.nestvirt=0", false);
        assert_true(s.enabled);
        s = switches("nestvirt=0 rd.nestvirt=1", false);
        assert_false(s.enabled);
        s = switches("rd.nestvirt.autostart=0", false);
        assert_true(s.autostart);
}

static void test_kernel_switches_read(void **state) {
        KernelSwitches s;

        assert_int_equal(setenv("SYSTEMD_PROC_CMDLINE", "quiet nestvirt=0", 1), 0);
        assert_int_equal(kernel_switches_read("/nonexistent", false, &s), 0);
        assert_false(s.enabled);
        assert_int_equal(setenv("SYSTEMD_PROC_CMDLINE", "rd.nestvirt=0", 1), 0);
        assert_int_equal(kernel_switches_read("/nonexistent", false, &s), 0);
        assert_true(s.enabled);
        assert_int_equal(kernel_switches_read("/nonexistent", true, &s), 0);
        assert_false(s.enabled);
        assert_int_equal(unsetenv("SYSTEMD_PROC_CMDLINE"), 0);

        /* Without the variable, ROOT/proc/cmdline; a missing one means defaults. */
        char dir[] = "/tmp/nestvirt-test-cmdline-XXXXXX";
        assert_non_null(mkdtemp(dir));
        assert_int_equal(kernel_switches_read(dir, false, &s), 0);
        assert_true(s.enabled);

        _cleanup_(freep) char *proc = strjoin(dir, "/proc");
        _cleanup_(freep) char *file = strjoin(dir, "/proc/cmdline");
        assert_int_equal(mkdir(proc, 0755), 0);
        FILE *f = fopen(file, "we");
        assert_non_null(f);
        fputs("BOOT_IMAGE=/vmlinuz nestvirt.autostart=0\n", f);
        fclose(f);
        assert_int_equal(kernel_switches_read(dir, false, &s), 0);
        assert_true(s.enabled);
        assert_false(s.autostart);

        /* SYSTEMD_IN_INITRD overrides, else ROOT/etc/initrd-release. */
        assert_int_equal(unsetenv("SYSTEMD_IN_INITRD"), 0);
        assert_false(detect_initrd(dir));
        _cleanup_(freep) char *etc = strjoin(dir, "/etc");
        _cleanup_(freep) char *release = strjoin(dir, "/etc/initrd-release");
        assert_int_equal(mkdir(etc, 0755), 0);
        f = fopen(release, "we");
        assert_non_null(f);
        fclose(f);
        assert_true(detect_initrd(dir));
        assert_int_equal(setenv("SYSTEMD_IN_INITRD", "0", 1), 0);
        assert_false(detect_initrd(dir));
        assert_int_equal(unsetenv("SYSTEMD_IN_INITRD"), 0);

        assert_int_equal(unlink(release), 0);
        assert_int_equal(unlink(file), 0);
        assert_int_equal(rmdir(etc), 0);
        assert_int_equal(rmdir(proc), 0);
        assert_int_equal(rmdir(dir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kernel_switches),
                cmocka_unit_test(test_kernel_switches_read),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
