/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The whole text of nestvirt-vm@NAME.service (vm_unit_render): values taken from paths never
 * break out of their line. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "inventory.h"
#include "plan.h"
#include "util.h"
#include "vm-unit.h"

/* The unit of the one VM that FILE (as the config reader names it) defines. */
static char *render(const char *file, const char *conf) {
        Config c;
        config_init(&c);
        assert_int_equal(config_parse_buffer(&c, file, conf, true), 0);
        config_finish(&c);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        Inventory inv = { .has_pci = true, .gigantic_pages = true };
        Plan plan;
        assert_int_equal(plan_build(&c, &inv, &plan), 0);
        assert_true(plan.vms[0].valid);
        char *text = NULL;
        assert_int_equal(vm_unit_render(&plan, 0, "/nonexistent", &text), 0);
        plan_done(&plan);
        inventory_done(&inv);
        config_done(&c);
        return text;
}

static const char conf[] = "[VM v]\nMemory=1G\nKernel=/boot/vmlinux\nDisk=/var/lib/v/root.raw\n";

/* Each line KEY=... of TEXT, counted. */
static unsigned count_lines(const char *text, const char *prefix) {
        unsigned n = 0;
        for (const char *l = text; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                n += strncmp(l, prefix, strlen(prefix)) == 0;
        return n;
}

/* A drop-in named with a newline would have put a root command into the unit. */
static void test_source_path_cannot_inject(void **state) {
        static const char *const names[] = {
                "/etc/nestvirt.conf.d/x\nExecStartPre=/bin/sh -c evil\n.conf",
                "/etc/nestvirt.conf.d/x\rExecStartPre=/bin/sh.conf",
                "/etc/nestvirt.conf.d/tab\there.conf",
                "/etc/nestvirt.conf.d/latin1-\xe9.conf",
                "/etc/nestvirt.conf.d/ends-in-backslash\\",
                "/etc/nestvirt.conf.d/ends in space ",
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_(freep) char *text = render(names[i], conf);
                assert_int_equal(count_lines(text, "ExecStartPre="), 2);   /* preflight, prepare */
                assert_int_equal(count_lines(text, "SourcePath="), 0);
                assert_null(strstr(text, "evil"));
                for (const char *p = text; *p; p++)
                        assert_true((unsigned char) *p >= ' ' || *p == '\n');
        }
}

/* What a line can carry is carried as it is, only % doubled: systemd reads SourcePath= verbatim. */
static void test_source_path_escaped(void **state) {
        _cleanup_(freep) char *text = render("/etc/nestvirt.conf.d/50% $HOME \"q\" 'a' b\\c d.conf", conf);
        assert_non_null(strstr(text, "\nSourcePath=/etc/nestvirt.conf.d/50%% $HOME \"q\" 'a' b\\c d.conf\n"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_source_path_cannot_inject),
                cmocka_unit_test(test_source_path_escaped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
