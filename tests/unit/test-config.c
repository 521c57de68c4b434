/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The config parser (DESIGN.md "Configuration (contract)"): systemd syntax, every error names
 * FILE:LINE and says what to write instead, one bad VM never invalidates another. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "config.h"
#include "tap-name.h"
#include "util.h"

#define FILE_NAME "/etc/nestvirt.conf.d/50-test.conf"

/* A complete VM: three lines, so a key appended to it is on line 4. */
#define BASE_VM "[VM a]\nMemory=4G\nKernel=/var/lib/nestvirt/vmlinux\n"

static void dump_diagnostics(const Diagnostics *d) {
        for (size_t i = 0; i < d->n; i++)
                print_message("  %s %s:%u [vm %s] %s\n", diag_level_to_string(d->items[i].level),
                              strempty(d->items[i].where.file), d->items[i].where.line, strempty(d->items[i].vm),
                              d->items[i].message);
}

static void parse(Config *c, const char *text, bool strict) {
        config_init(c);
        assert_int_equal(config_parse_buffer(c, FILE_NAME, text, strict), 0);
        config_finish(c);
        assert_false(c->diagnostics.oom);
}

static const Diagnostic *find_diag(const Config *c, const char *needle) {
        for (size_t i = 0; i < c->diagnostics.n; i++)
                if (strstr(c->diagnostics.items[i].message, needle))
                        return &c->diagnostics.items[i];
        dump_diagnostics(&c->diagnostics);
        fail_msg("no diagnostic contains \"%s\"", needle);
        return NULL;
}

/* The error that contains NEEDLE is an error, in FILE_NAME, at exactly LINE. */
static const Diagnostic *check_diag(const Config *c, DiagLevel level, unsigned line, const char *needle) {
        const Diagnostic *d = find_diag(c, needle);
        if (d->level != level || d->where.line != line || !streq_ptr(d->where.file, FILE_NAME)) {
                dump_diagnostics(&c->diagnostics);
                fail_msg("\"%s\": level %s at %s:%u, expected %s at line %u", d->message,
                         diag_level_to_string(d->level), strempty(d->where.file), d->where.line,
                         diag_level_to_string(level), line);
        }
        return d;
}

/* Parse TEXT strictly: an error containing NEEDLE at LINE. */
static void expect_error(const char *text, unsigned line, const char *needle) {
        Config c;
        parse(&c, text, true);
        check_diag(&c, DIAG_ERROR, line, needle);
        config_done(&c);
}

/* The same, for an error in [VM a]: the error is attributed to it and it gets no unit. */
static void expect_vm_error(const char *text, unsigned line, const char *needle) {
        Config c;
        parse(&c, text, true);
        const Diagnostic *d = check_diag(&c, DIAG_ERROR, line, needle);
        const VmConfig *vm = config_find_vm(&c, "a");
        assert_non_null(vm);
        if (!vm->invalid || !streq_ptr(d->vm, "a")) {
                dump_diagnostics(&c.diagnostics);
                fail_msg("VM a has an error (%s) but is not marked invalid or not named in it", needle);
        }
        config_done(&c);
}

/* Bytes that are not UTF-8 make units systemd refuses and JSON that is not JSON: refused at
 * their line by the parser itself (every entry point), and never echoed in the message. */
static void test_invalid_utf8(void **state) {
        static const char *const lines[] = {
                "Cmdline=console=ttyS0 caf\xe9", "Disk=/var/lib/\xff.raw", "Kernel=/boot/\xc3\x28",
                "ExtraArguments=--rng src=/dev/\xed\xa0\x80",   /* a UTF-16 surrogate */
                "Firmware=/\xc0\xaf",                             /* an overlong '/' */
                "TapName=t\xf5\x80\x80\x80",                      /* above U+10FFFF */
                "MAC=\x80", "Caf\xe9=1",
        };
        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                _cleanup_(freep) char *text = strjoin("[VM a]\nMemory=1G\n", lines[i], "\n");
                assert_non_null(text);
                expect_vm_error(text, 3, "is not valid UTF-8");
                Config c;
                parse(&c, text, false);
                for (size_t j = 0; j < c.diagnostics.n; j++)
                        for (const char *m = c.diagnostics.items[j].message; *m; m++)
                                assert_true((unsigned char) *m < 0x80);
                config_done(&c);
        }
        expect_error("[VM caf\xe9]\nMemory=1G\n", 1, "the section name is not valid UTF-8 (byte 0xe9 at offset 6)");
        /* Valid UTF-8 beyond ASCII is a value like any other. */
        Config c;
        parse(&c, "[VM a]\nMemory=1G\nKernel=/boot/vmlinuz-caf\xc3\xa9\n", true);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        config_done(&c);
}

/* VM a with LINE (the fourth line) of the key KEY, repeated: 'x' * N after PREFIX. */
static char *long_line(const char *prefix, size_t n, unsigned times) {
        StringBuffer b = {};
        sb_append(&b, "[VM a]\nMemory=1G\nKernel=/k\n");
        for (unsigned t = 0; t < times; t++) {
                sb_append(&b, prefix);
                for (size_t i = 0; i < n; i++)
                        sb_append_char(&b, 'x');
                sb_appendf(&b, "%u\n", t % 10);
        }
        char *s = sb_steal(&b);
        assert_non_null(s);
        return s;
}

/* Values beyond the limits of what carries them: refused at their line, the limit named. */
static void test_length_limits(void **state) {
        _cleanup_(freep) char *cmdline = long_line("Cmdline=", 2047, 1);   /* 2048 bytes */
        expect_vm_error(cmdline, 4, "COMMAND_LINE_SIZE");
        _cleanup_(freep) char *fits = long_line("Cmdline=", 2046, 1);
        Config c;
        parse(&c, fits, true);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        config_done(&c);
        _cleanup_(freep) char *extra = long_line("ExtraArguments=--rng src=/", 1100 * 1024, 1);
        expect_vm_error(extra, 4, "MAX_ARG_STRLEN");
        _cleanup_(freep) char *path = long_line("Initramfs=/", 4095, 1);
        expect_vm_error(path, 4, "PATH_MAX");

        /* Disks of bounded length each, but so many that the line outgrows systemd's 1 MiB. */
        _cleanup_(freep) char *disks = long_line("Disk=/", 4000, 200);
        expect_vm_error(disks, 1, "LONG_LINE_MAX");

        /* 1024 vCPUs, each with an interleaved list that has no range to compress into. */
        StringBuffer b = {};
        sb_append(&b, "[VM a]\nMemory=1G\nKernel=/k\nCPUs=1024\nCPUAffinity=0");
        for (unsigned i = 2; i < 2048; i += 2)
                sb_appendf(&b, ",%u", i);
        sb_append(&b, "\n");
        _cleanup_(freep) char *affinity = sb_steal(&b);
        assert_non_null(affinity);
        expect_vm_error(affinity, 5, "MAX_ARG_STRLEN");
        parse(&c, "[VM a]\nMemory=1G\nKernel=/k\nCPUs=1024\nCPUAffinity=0-1023\n", true);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        config_done(&c);
}

static void test_minimal_vm_and_defaults(void **state) {
        Config c;
        parse(&c, BASE_VM, true);
        assert_int_equal(c.diagnostics.n, 0);
        assert_int_equal(c.n_vms, 1);
        const VmConfig *vm = &c.vms[0];
        assert_string_equal(vm->name, "a");
        assert_false(vm->invalid);
        assert_string_equal(vm->where.file, FILE_NAME);
        assert_int_equal(vm->where.line, 1);
        assert_int_equal(vm->memory_gib, 4);
        assert_int_equal(vm->memory_where.line, 2);
        assert_string_equal(vm->kernel.value, "/var/lib/nestvirt/vmlinux");
        assert_int_equal(vm->kernel.where.line, 3);
        assert_null(vm->firmware.value);
        assert_int_equal(vm->cpus, 1);
        assert_int_equal(vm->numa_node, -1);
        assert_int_equal(vm->affinity_mode, AFFINITY_AUTO);
        assert_int_equal(vm->network, NETWORK_NONE);
        assert_int_equal(vm->serial, SERIAL_JOURNAL);
        assert_true(vm->autostart);
        assert_int_equal(vm->restart, RESTART_ON_FAILURE);
        assert_int_equal(vm->n_devices, 0);
        assert_int_equal(vm->n_disks, 0);

        assert_int_equal(c.host.hugepages_mode, HUGEPAGES_AUTO);
        assert_int_equal(c.host.hugepages_extra, 0);
        assert_int_equal(c.host.unsafe_interrupts, TRISTATE_AUTO);
        assert_string_equal(c.host.hypervisor.value, DEFAULT_HYPERVISOR);
        assert_int_equal(c.host.n_passthrough, 0);
        config_done(&c);
}

/* The example of DESIGN.md, with its comments moved onto their own lines. */
static void test_design_example(void **state) {
        static const char text[] =
                "[Host]\n"
                "# auto | COUNT | NODE:COUNT[,NODE:COUNT...]   (1 GiB pages)\n"
                "Hugepages=auto\n"
                "HugepagesExtra=2\n"
                "UnsafeInterrupts=auto\n"
                "Passthrough=10de:2330\n"
                "Hypervisor=/usr/local/bin/cloud-hypervisor\n"
                "\n"
                "; NAME: [a-z0-9][a-z0-9-]{0,31}; one section per L2 VM\n"
                "[VM train0]\n"
                "CPUs=8\n"
                "Memory=64G\n"
                "Device=10de:2330*4\n"
                "NUMANode=auto\n"
                "CPUAffinity=auto\n"
                "Kernel=/var/lib/cloud-hypervisor/vmlinux\n"
                "Initramfs=\n"
                "Cmdline=console=ttyS0 root=/dev/vda1 rw\n"
                "Disk=/var/lib/nestvirt/train0/root.raw\n"
                "CloudInit=/etc/nestvirt/train0/\n"
                "Network=none\n"
                "TapName=\n"
                "MAC=\n"
                "HostAddress=\n"
                "Serial=journal\n"
                "Autostart=yes\n"
                "Restart=on-failure\n"
                "ExtraArguments=\n";
        Config c;
        parse(&c, text, true);
        /* No errors; a warning may only concern CloudInit= (accepted, not yet acted on). */
        for (size_t i = 0; i < c.diagnostics.n; i++)
                if (c.diagnostics.items[i].level == DIAG_ERROR || !strstr(c.diagnostics.items[i].message, "CloudInit=")) {
                        dump_diagnostics(&c.diagnostics);
                        fail_msg("unexpected diagnostic for the example of DESIGN.md");
                }
        assert_int_equal(c.host.hugepages_extra, 2);
        assert_int_equal(c.host.n_passthrough, 1);
        assert_int_equal(c.host.passthrough[0].vendor, 0x10de);
        assert_int_equal(c.host.passthrough[0].where.line, 6);
        const VmConfig *vm = config_find_vm(&c, "train0");
        assert_non_null(vm);
        assert_int_equal(vm->where.line, 10);
        assert_int_equal(vm->cpus, 8);
        assert_int_equal(vm->memory_gib, 64);
        assert_int_equal(vm->n_devices, 1);
        assert_int_equal(vm->devices[0].count, 4);
        assert_int_equal(vm->devices[0].where.line, 13);
        assert_null(vm->initramfs.value);   /* empty means unset */
        assert_string_equal(vm->cmdline.value, "console=ttyS0 root=/dev/vda1 rw");
        assert_int_equal(vm->n_disks, 1);
        assert_string_equal(vm->cloud_init.value, "/etc/nestvirt/train0/");
        assert_null(vm->tap_name.value);
        assert_false(vm->invalid);
        config_done(&c);
}

/* ---- each error: level, exact line, the helpful part of the message ---- */

static void test_unknown_section(void **state) {
        expect_error("[Hots]\nHugepages=4\n", 1, "unknown section [Hots]");
        expect_error("[Host]\nHugepages=4\n\n[host]\n", 4, "case-sensitive");
        expect_error(BASE_VM "[vm b]\n", 4, "VM in capitals");
        expect_error("[Host\nHugepages=4\n", 1, "invalid section header");

        /* Keys inside an unknown section are not reported one by one. */
        Config c;
        parse(&c, "[Hots]\nFoo=1\nBar=2\n", true);
        assert_int_equal(c.diagnostics.n, 1);
        config_done(&c);
}

static void test_unknown_key(void **state) {
        expect_error(BASE_VM "Memroy=4G\n", 4, "Memory=");
        expect_error(BASE_VM "Memroy=4G\n", 4, "unknown key Memroy=");
        expect_error(BASE_VM "Kernal=/x\n", 4, "did you mean Kernel=?");
        expect_error("[Host]\nHugepage=4\n", 2, "did you mean Hugepages=?");
        expect_error(BASE_VM "\nFrobnicate=1\n", 5, "unknown key Frobnicate=");

        Config c;
        parse(&c, BASE_VM "Memroy=4G\n", true);
        const Diagnostic *d = check_diag(&c, DIAG_ERROR, 4, "Memory=");
        assert_string_equal(d->vm, "a");
        config_done(&c);
}

static void test_key_from_other_section(void **state) {
        expect_error(BASE_VM "Hugepages=4\n", 4, "Hugepages= belongs in [Host]");
        expect_error("[Host]\nMemory=4G\n", 2, "Memory= belongs in [VM NAME]");
        expect_error("[Host]\n\nDevice=10de:2330\n", 3, "Device= belongs in [VM NAME]");
        expect_error(BASE_VM "Passthrough=10de:2330\n", 4, "Passthrough= belongs in [Host]");
}

static void test_bad_memory(void **state) {
        expect_vm_error(BASE_VM "Memory=64GB\n", 4, "64G");
        expect_vm_error(BASE_VM "Memory=64GB\n", 4, "Memory=64GB:");
        expect_vm_error(BASE_VM "Memory=64g\n", 4, "write 64G");
        expect_vm_error(BASE_VM "Memory=1536M\n", 4, "1G or 2G");
        expect_vm_error(BASE_VM "Memory=1536M\n", 4, "whole number of GiB");
        expect_vm_error(BASE_VM "Memory=64\n", 4, "64G");
        expect_vm_error(BASE_VM "Memory=64\n", 4, "needs a unit");
        expect_vm_error(BASE_VM "Memory=0G\n", 4, "at least 1G");
        expect_vm_error(BASE_VM "Memory=64G # for the model\n", 4, "comments go on their own line");
        /* No Memory= at all: at the section header. */
        expect_vm_error("\n[VM a]\nKernel=/k\n", 2, "has no Memory=");
}

static void test_bad_device(void **state) {
        expect_vm_error(BASE_VM "Device=10de\n", 4, "vendor:device");
        expect_vm_error(BASE_VM "Device=10de\n", 4, "Device=10de:");
        expect_vm_error(BASE_VM "Device=10de:2330*0\n", 4, "COUNT of 0");
        expect_vm_error(BASE_VM "Device=41:00.0*2\n", 4, "PCI address names one device");
        expect_vm_error(BASE_VM "Device=10de:2330 10dx:1\n", 4, "Device=10dx:1:");   /* names the bad word */
        expect_error("[Host]\nPassthrough=10de:2330*2\n", 2, "only meaningful in a VM");

        /* The good words of a line with a bad one are kept, but the VM is invalid. */
        Config c;
        parse(&c, BASE_VM "Device=10de:2330 bogus 41:00.0\n", true);
        assert_int_equal(c.vms[0].n_devices, 2);
        assert_true(c.vms[0].invalid);
        config_done(&c);
}

static void test_bad_vm_names(void **state) {
        static const char *const bad[] = {
                "[VM Train]\n",
                "[VM -x]\n",
                "[VM abcdefghijklmnopqrstuvwxyz0123456]\n",    /* 33 characters */
                "[VM a_b]\n",
                "[VM a.b]\n",
                "[VM a b]\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(freep) char *text = strjoin("[Host]\nHugepages=auto\n\n", bad[i], "Memory=4G\nKernel=/k\n");
                Config c;
                parse(&c, text, true);
                check_diag(&c, DIAG_ERROR, 4, "invalid VM name");
                assert_int_equal(c.n_vms, 0);               /* the section is skipped ... */
                assert_int_equal(c.diagnostics.n, 1);       /* ... without an error per key */
                config_done(&c);
        }

        expect_error("[Host]\n[VM]\nMemory=4G\n", 2, "[VM] needs a name");
        expect_error("[Host]\n[VM ]\nMemory=4G\n", 2, "[VM] needs a name");

        /* 32 characters is the maximum; digits may start a name; '-' inside is fine. */
        Config c;
        parse(&c, "[VM abcdefghijklmnopqrstuvwxyz012345]\nMemory=1G\nKernel=/k\n"
                  "[VM 0-gpu-vm]\nMemory=1G\nKernel=/k\n", true);
        assert_int_equal(c.diagnostics.n, 0);
        assert_int_equal(c.n_vms, 2);
        assert_int_equal(strlen(c.vms[0].name), 32);
        assert_string_equal(c.vms[1].name, "0-gpu-vm");
        config_done(&c);

        assert_true(vm_name_is_valid("train0"));
        assert_false(vm_name_is_valid(""));
        assert_false(vm_name_is_valid("Train"));
        assert_false(vm_name_is_valid("-x"));
}

static void test_kernel_and_firmware(void **state) {
        /* Both: at the Firmware= line. */
        expect_vm_error("[VM a]\nMemory=4G\nKernel=/k\nFirmware=/fw\n", 4, "both Kernel= and Firmware=");
        /* Neither: at the section header. */
        expect_vm_error("[Host]\n[VM a]\nMemory=4G\n", 2, "needs Kernel=");
        /* Initramfs= and Cmdline= need Kernel=. */
        expect_vm_error("[VM a]\nMemory=4G\nFirmware=/fw\nInitramfs=/initrd.img\n", 4, "Initramfs= needs Kernel=");
        expect_vm_error("[VM a]\nMemory=4G\nFirmware=/fw\n\nCmdline=quiet\n", 5, "Cmdline= needs Kernel=");

        /* Firmware alone is fine. */
        Config c;
        parse(&c, "[VM a]\nMemory=4G\nFirmware=/fw\n", true);
        assert_int_equal(c.diagnostics.n, 0);
        assert_false(c.vms[0].invalid);
        config_done(&c);
}

static void test_relative_paths(void **state) {
        expect_vm_error("[VM a]\nMemory=4G\nKernel=vmlinux\n", 3, "absolute path");
        expect_vm_error(BASE_VM "Disk=../x.raw\n", 4, "absolute path");
        expect_vm_error(BASE_VM "Disk=/var/lib/../x.raw\n", 4, "absolute path");
        expect_vm_error(BASE_VM "Initramfs=initrd.img\n", 4, "absolute path");
        expect_vm_error(BASE_VM "CloudInit=seed/\n", 4, "absolute path");
        expect_vm_error("[VM a]\nMemory=4G\nKernel=/boot/./vmlinux\n", 3, "absolute path");
        expect_error("[Host]\nHypervisor=cloud-hypervisor\n", 2, "absolute path");
}

static void test_bad_cpu_affinity(void **state) {
        expect_vm_error(BASE_VM "CPUAffinity=3-1\n", 4, "CPU list");
        expect_vm_error(BASE_VM "CPUAffinity=a\n", 4, "CPU list");
        expect_vm_error(BASE_VM "CPUAffinity=0-3,x\n", 4, "CPU list");

        Config c;
        parse(&c, BASE_VM "CPUAffinity=0-3,8\n", true);
        assert_int_equal(c.vms[0].affinity_mode, AFFINITY_LIST);
        assert_int_equal(cpu_set_count(&c.vms[0].affinity), 5);
        config_done(&c);
        parse(&c, BASE_VM "CPUAffinity=none\n", true);
        assert_int_equal(c.vms[0].affinity_mode, AFFINITY_NONE);
        config_done(&c);
}

static void test_bad_network(void **state) {
        expect_vm_error(BASE_VM "Network=tap\nHostAddress=10.0.0.1\n", 5, "/PREFIX");
        expect_vm_error(BASE_VM "Network=tap\nHostAddress=10.0.0.1/33\n", 5, "prefix length");
        expect_vm_error(BASE_VM "Network=tap\nHostAddress=fd00::1/64\n", 5, "IPv4");
        expect_vm_error(BASE_VM "Network=tap\nMAC=01:00:5e:00:00:01\n", 5, "multicast");
        expect_vm_error(BASE_VM "Network=tap\nMAC=zz:54:00:12:34:56\n", 5, "six hex pairs");
        expect_vm_error(BASE_VM "Network=bridge\n", 4, "none, tap or nat");
        expect_vm_error(BASE_VM "Network=tap\nTapName=much-too-long-name\n", 5, "1-15 characters");

        /* Tap settings without Network=tap: a warning, not an error. */
        Config c;
        parse(&c, BASE_VM "MAC=52:54:00:12:34:56\n", true);
        check_diag(&c, DIAG_WARNING, 4, "no effect without Network=tap");
        assert_false(c.vms[0].invalid);
        config_done(&c);

        /* Two VMs with one TapName: the second is refused. */
        parse(&c, "[VM a]\nMemory=1G\nKernel=/k\nNetwork=tap\nTapName=tap0\n"
                  "[VM b]\nMemory=1G\nKernel=/k\nNetwork=tap\nTapName=tap0\n", true);
        check_diag(&c, DIAG_ERROR, 10, "already used by [VM a]");
        assert_false(c.vms[0].invalid);
        assert_true(c.vms[1].invalid);
        config_done(&c);

        /* Derived names carry a 16-bit hash: two long names can share one. Both VMs and lines named. */
        parse(&c, "[VM trainer-00098]\nMemory=1G\nKernel=/k\nNetwork=tap\n"
                  "[VM trainer-00384]\nMemory=1G\nKernel=/k\nNetwork=tap\n", true);
        _cleanup_(freep) char *t1 = vm_tap_name(&c.vms[0]), *t2 = vm_tap_name(&c.vms[1]);
        assert_string_equal(t1, t2);   /* the collision this guards against */
        check_diag(&c, DIAG_ERROR, 5, "derived from the VM name");
        find_diag(&c, "already used by [VM trainer-00098] (derived, [VM] at " FILE_NAME ":1)");
        assert_false(c.vms[0].invalid);
        assert_true(c.vms[1].invalid);
        config_done(&c);

        /* A derived name against an explicit one, in either order. */
        parse(&c, "[VM a]\nMemory=1G\nKernel=/k\nNetwork=tap\nTapName=nv-net0\n"
                  "[VM net0]\nMemory=1G\nKernel=/k\nNetwork=tap\n", true);
        check_diag(&c, DIAG_ERROR, 6, "nv-net0 is already used by [VM a] (TapName= at " FILE_NAME ":5)");
        assert_true(c.vms[1].invalid);
        config_done(&c);
        parse(&c, "[VM net0]\nMemory=1G\nKernel=/k\nNetwork=tap\n"
                  "[VM b]\nMemory=1G\nKernel=/k\nNetwork=tap\nTapName=nv-net0\n", true);
        check_diag(&c, DIAG_ERROR, 9, "TapName= nv-net0 is already used by [VM net0] (derived, [VM] at " FILE_NAME ":1)");
        config_done(&c);

        /* Without a network no tap is derived, so nothing collides. */
        parse(&c, "[VM net0]\nMemory=1G\nKernel=/k\n"
                  "[VM b]\nMemory=1G\nKernel=/k\nNetwork=tap\nTapName=nv-net0\n", true);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        config_done(&c);

        /* Network=nat derives a tap as Network=tap does. */
        parse(&c, "[VM a]\nMemory=1G\nKernel=/k\nNetwork=nat\n"
                  "[VM b]\nMemory=1G\nKernel=/k\nNetwork=tap\nTapName=nv-a\n", true);
        check_diag(&c, DIAG_ERROR, 9, "TapName= nv-a is already used by [VM a] (derived, [VM] at " FILE_NAME ":1)");
        assert_true(c.vms[1].invalid);
        config_done(&c);
}

static void test_bad_disk(void **state) {
        expect_vm_error(BASE_VM "Disk=/a.raw,ro\n", 4, "unknown disk option 'ro'");
        expect_vm_error(BASE_VM "Disk=/a.raw,readonly,ro\n", 4, "unknown disk option");

        Config c;
        parse(&c, BASE_VM "Disk=/a.raw,readonly\nDisk=/dir,with,commas/b.qcow2\n", true);
        assert_int_equal(c.diagnostics.n, 0);
        assert_int_equal(c.vms[0].n_disks, 2);
        assert_string_equal(c.vms[0].disks[0].path, "/a.raw");
        assert_true(c.vms[0].disks[0].readonly);
        assert_int_equal(c.vms[0].disks[0].where.line, 4);
        assert_string_equal(c.vms[0].disks[1].path, "/dir,with,commas/b.qcow2");
        assert_false(c.vms[0].disks[1].readonly);
        config_done(&c);

        /* Blanks around the comma belong to neither part. */
        parse(&c, BASE_VM "Disk=/a.raw ,readonly\nDisk=/b.raw, readonly\n", true);
        assert_int_equal(c.diagnostics.n, 0);
        assert_string_equal(c.vms[0].disks[0].path, "/a.raw");
        assert_string_equal(c.vms[0].disks[1].path, "/b.raw");
        assert_true(c.vms[0].disks[1].readonly);
        config_done(&c);
}

/* Other values, one table: a line appended to a valid VM or [Host], and what the error says. */
static void test_bad_values(void **state) {
        static const struct {
                const char *line;
                const char *needle;
        } vm[] = {
                { "CPUs=0", "1 to 1024" },
                { "CPUs=two", "1 to 1024" },
                { "CPUs=1025", "1 to 1024" },
                { "NUMANode=first", "auto or a node number" },
                { "NUMANode=-1", "auto or a node number" },
                { "Serial=console", "journal, file, socket or off" },
                { "Autostart=maybe", "yes or no" },
                { "Restart=sometimes", "no, on-failure or always" },
                { "ExtraArguments=--foo \"bar", "unbalanced quote" },
                { "ExtraArguments=--serial pty", "repeats --serial, which nestvirt writes from Serial=" },
                { "ExtraArguments=--rng src=/dev/urandom --cpus=boot=4", "repeats --cpus" },
                { "ExtraArguments=--console=off", "repeats --console, which nestvirt manages" },
                { "ExtraArguments=%h --rng", "must start with a Cloud Hypervisor option" },
                /* Whole messages: a tab passes the file's text check, not a value's. */
                { "Cmdline=console=ttyS0\tquiet", "Cmdline=console=ttyS0\tquiet: contains control characters; remove them" },
                { "ExtraArguments=--rng\tsrc=/dev/urandom",
                  "ExtraArguments=--rng\tsrc=/dev/urandom: contains control characters; remove them" },
                { "ExtraArguments=--kernel=/k", "ExtraArguments=--kernel=/k: repeats --kernel, which nestvirt writes "
                                                "from Kernel=; set it there" },
                { "CloudInit=etc/a", "CloudInit=etc/a: must be an absolute path without . or .. components (like "
                                     "/var/lib/nestvirt/vm/root.raw)" },
        }, host[] = {
                { "Hugepages=lots", "NODE:COUNT" },
                { "Hugepages=0:4,0:2", "node 0 is given twice" },
                { "HugepagesExtra=-1", "count of 1 GiB pages" },
                { "UnsafeInterrupts=maybe", "auto, yes or no" },
                { "Passthrough=nvidia", "vendor:device" },
                { "Hypervisor=/opt/\"ch\"/cloud-hypervisor", "quotes or backslashes" },
                { "Hypervisor=/opt/ch/../cloud-hypervisor", "Hypervisor=/opt/ch/../cloud-hypervisor: must be an "
                                                             "absolute path without . or .. components" },
        };
        for (size_t i = 0; i < ELEMENTSOF(vm); i++) {
                _cleanup_(freep) char *text = strjoin(BASE_VM, vm[i].line, "\n");
                expect_vm_error(text, 4, vm[i].needle);
        }
        for (size_t i = 0; i < ELEMENTSOF(host); i++) {
                _cleanup_(freep) char *text = strjoin("# host\n[Host]\n", host[i].line, "\n");
                expect_error(text, 3, host[i].needle);
        }
}

static void test_outside_section(void **state) {
        expect_error("Memory=4G\n[VM a]\nMemory=4G\nKernel=/k\n", 1, "outside of any section");
        /* After a broken header, assignments are outside of any section again. */
        expect_error("[Host]\n[VM a\nMemory=4G\n", 3, "Memory= is outside of any section");
}

static void test_not_an_assignment(void **state) {
        expect_vm_error(BASE_VM "Device 10de:2330*4\n", 4, "not an assignment");
        expect_error("[Host]\n\nHugepages 4\n", 3, "not an assignment");
        expect_error("just text\n", 1, "not an assignment");
        expect_vm_error(BASE_VM "=4G\n", 4, "without a key");

        /* Whitespace around key and value is not part of them. */
        Config c;
        parse(&c, "[VM a]\n  Memory =  8G  \n\tKernel\t=\t/k\t\n", true);
        assert_int_equal(c.diagnostics.n, 0);
        assert_int_equal(c.vms[0].memory_gib, 8);
        assert_string_equal(c.vms[0].kernel.value, "/k");
        config_done(&c);
}

static void test_comments(void **state) {
        Config c;
        parse(&c,
              "# a comment\n"
              "; another comment\n"
              "   # indented comment\n"
              "\t; indented too\n"
              "\n"
              "[VM a]\n"
              "# Memory=1G\n"
              "Memory=4G\n"
              ";Kernel=/commented-out\n"
              "Kernel=/k\n"
              "# a comment ending in a backslash does not continue \\\n"
              "CPUs=2\n",
              true);
        if (c.diagnostics.n != 0)
                dump_diagnostics(&c.diagnostics);
        assert_int_equal(c.diagnostics.n, 0);
        assert_int_equal(c.vms[0].memory_gib, 4);
        assert_int_equal(c.vms[0].memory_where.line, 8);
        assert_string_equal(c.vms[0].kernel.value, "/k");
        assert_int_equal(c.vms[0].cpus, 2);
        assert_int_equal(c.vms[0].cpus_where.line, 12);
        config_done(&c);
}

static void test_continuation(void **state) {
        Config c;

        /* The value is joined (the backslash becomes a space). */
        parse(&c,
              "[VM a]\n"                                     /* 1 */
              "Memory=4G\n"                                  /* 2 */
              "Kernel=/k\n"                                  /* 3 */
              "Cmdline=console=ttyS0\\\n"                    /* 4 */
              "root=/dev/vda1\\\n"                           /* 5 */
              "rw\n"                                         /* 6 */
              "Device=10de:2330 \\\n"                        /* 7 */
              "# a comment inside a continuation is dropped\n"
              "      41:00.0\n"                              /* 9 */
              "CPUs=4\n",                                    /* 10 */
              true);
        if (c.diagnostics.n != 0)
                dump_diagnostics(&c.diagnostics);
        assert_int_equal(c.diagnostics.n, 0);
        assert_string_equal(c.vms[0].cmdline.value, "console=ttyS0 root=/dev/vda1 rw");
        assert_int_equal(c.vms[0].cmdline.where.line, 4);
        assert_int_equal(c.vms[0].n_devices, 2);
        assert_true(c.vms[0].devices[1].by_address);
        assert_int_equal(c.vms[0].devices[0].where.line, 7);
        assert_int_equal(c.vms[0].devices[1].where.line, 7);
        assert_int_equal(c.vms[0].cpus, 4);
        assert_int_equal(c.vms[0].cpus_where.line, 10);   /* lines are still counted right after it */
        config_done(&c);

        /* An error in a continued assignment is reported at its FIRST line, even when the bad part
         * is on a later line; later lines keep their own numbers. */
        parse(&c,
              "[VM a]\n"                                     /* 1 */
              "Memory=4G\n"                                  /* 2 */
              "Kernel=/k\n"                                  /* 3 */
              "Device=10de:2330 \\\n"                        /* 4 */
              "  10de:2330*0 \\\n"                           /* 5 */
              "  41:00.0\n"                                  /* 6 */
              "Memroy=1G\n",                                 /* 7 */
              true);
        check_diag(&c, DIAG_ERROR, 4, "COUNT of 0");
        check_diag(&c, DIAG_ERROR, 7, "did you mean Memory=");
        config_done(&c);

        /* A backslash on the last line of the file ends the assignment. */
        parse(&c, "[VM a]\nMemory=4G\nKernel=/k\nCmdline=quiet\\", true);
        assert_int_equal(c.diagnostics.n, 0);
        assert_string_equal(c.vms[0].cmdline.value, "quiet");
        config_done(&c);

        /* So does one followed only by comments (found by fuzz/fuzz-config: the assignment was
         * lost, so appending a comment to a file changed its meaning). */
        parse(&c, "[VM a]\nMemory=4G\nKernel=/k\nCmdline=quiet \\\n# a comment\n  ; another\n", true);
        assert_int_equal(c.diagnostics.n, 0);
        assert_non_null(c.vms[0].cmdline.value);
        assert_string_equal(c.vms[0].cmdline.value, "quiet");
        assert_int_equal(c.vms[0].cmdline.where.line, 4);
        config_done(&c);
        parse(&c, "[VM a]\nMemory=4G\nKernel=/k\nCPUs=0 \\\n#\n", true);
        check_diag(&c, DIAG_ERROR, 4, "CPUs=0");
        config_done(&c);

        /* CRLF line endings. */
        parse(&c, "[VM a]\r\nMemory=4G\r\nKernel=/k\r\nCmdline=a\\\r\nb\r\nCPUs=x\r\n", true);
        assert_string_equal(c.vms[0].cmdline.value, "a b");
        check_diag(&c, DIAG_ERROR, 6, "CPUs=x");
        config_done(&c);
}

/* A section that appears again adds to it, in the same file or a later one. */
static void test_repeated_sections(void **state) {
        Config c;
        config_init(&c);
        assert_int_equal(config_parse_buffer(&c, "/etc/nestvirt.conf",
                                             "[VM a]\n"
                                             "Memory=4G\n"
                                             "Kernel=/k1\n"
                                             "Device=10de:2330\n"
                                             "Disk=/a.raw\n"
                                             "[Host]\n"
                                             "Passthrough=10de:22bc\n"
                                             "[VM a]\n"
                                             "Device=41:00.0\n"       /* 9: appends */
                                             "Kernel=/k2\n",          /* 10: replaces */
                                             true), 0);
        assert_int_equal(c.n_vms, 1);
        assert_int_equal(c.vms[0].n_devices, 2);
        assert_string_equal(c.vms[0].kernel.value, "/k2");
        assert_int_equal(c.vms[0].kernel.where.line, 10);

        assert_int_equal(config_parse_buffer(&c, "/etc/nestvirt.conf.d/10-more.conf",
                                             "[VM a]\n"
                                             "Memory=8G\n"
                                             "Device=10de:2331\n"
                                             "Disk=/b.raw\n"
                                             "[Host]\n"
                                             "Passthrough=8086:10d3\n",
                                             true), 0);
        assert_int_equal(c.n_vms, 1);
        assert_int_equal(c.vms[0].memory_gib, 8);
        assert_string_equal(c.vms[0].memory_where.file, "/etc/nestvirt.conf.d/10-more.conf");
        assert_int_equal(c.vms[0].memory_where.line, 2);
        assert_int_equal(c.vms[0].n_devices, 3);
        assert_int_equal(c.vms[0].devices[2].device, 0x2331);
        assert_string_equal(c.vms[0].devices[2].where.file, "/etc/nestvirt.conf.d/10-more.conf");
        assert_int_equal(c.vms[0].n_disks, 2);
        assert_int_equal(c.host.n_passthrough, 2);
        /* The VM's first header stays its location. */
        assert_string_equal(c.vms[0].where.file, "/etc/nestvirt.conf");
        assert_int_equal(c.vms[0].where.line, 1);

        /* An empty assignment resets a list; later items append again. */
        assert_int_equal(config_parse_buffer(&c, "/etc/nestvirt.conf.d/20-reset.conf",
                                             "[VM a]\n"
                                             "Device=\n"
                                             "Device=10de:2330*2\n"
                                             "Disk=\n"
                                             "[Host]\n"
                                             "Passthrough=\n",
                                             true), 0);
        assert_int_equal(c.vms[0].n_devices, 1);
        assert_int_equal(c.vms[0].devices[0].count, 2);
        assert_int_equal(c.vms[0].devices[0].where.line, 3);
        assert_int_equal(c.vms[0].n_disks, 0);
        assert_int_equal(c.host.n_passthrough, 0);

        /* An empty scalar resets it too. */
        assert_int_equal(config_parse_buffer(&c, "/etc/nestvirt.conf.d/30-fw.conf",
                                             "[VM a]\nKernel=\nFirmware=/fw\n"
                                             "[Host]\nHypervisor=/opt/ch\nHypervisor=\n", true), 0);
        config_finish(&c);
        assert_null(c.vms[0].kernel.value);
        assert_string_equal(c.vms[0].firmware.value, "/fw");
        /* Except Hypervisor=, which has a default to go back to. */
        assert_string_equal(c.host.hypervisor.value, DEFAULT_HYPERVISOR);
        assert_int_equal(c.host.hypervisor.where.line, 6);
        if (c.diagnostics.n != 0)
                dump_diagnostics(&c.diagnostics);
        assert_int_equal(c.diagnostics.n, 0);
        assert_false(c.vms[0].invalid);

        /* Files are remembered once, in order. */
        assert_int_equal(c.n_files, 4);
        assert_string_equal(c.files[0].path, "/etc/nestvirt.conf");
        assert_string_equal(c.files[3].path, "/etc/nestvirt.conf.d/30-fw.conf");
        config_done(&c);
}

static void test_strict(void **state) {
        static const char text[] =
                "[Host]\n"
                "Hugepages=auto\n"
                "Frobnicate=1\n"           /* 3 */
                "[VM a]\n"
                "Memory=4G\n"
                "Kernel=/k\n"
                "Memroy=4G\n"              /* 7 */
                "[Bogus]\n"                /* 8 */
                "X=1\n";
        Config c;

        parse(&c, text, true);
        check_diag(&c, DIAG_ERROR, 3, "Frobnicate=");
        check_diag(&c, DIAG_ERROR, 7, "Memory=");
        check_diag(&c, DIAG_ERROR, 8, "[Bogus]");
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 3);
        config_done(&c);

        /* The generator: warnings, and it goes on. */
        parse(&c, text, false);
        check_diag(&c, DIAG_WARNING, 3, "Frobnicate=");
        check_diag(&c, DIAG_WARNING, 7, "Memory=");
        check_diag(&c, DIAG_WARNING, 8, "[Bogus]");
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_WARNING), 3);
        assert_false(c.vms[0].invalid);
        assert_int_equal(c.vms[0].memory_gib, 4);
        config_done(&c);

        /* Bad values are errors in both modes. */
        parse(&c, BASE_VM "Memory=64GB\n", false);
        check_diag(&c, DIAG_ERROR, 4, "64G");
        assert_true(c.vms[0].invalid);
        config_done(&c);
}

/* One bad VM never invalidates another. */
static void test_invalid_vm_isolated(void **state) {
        static const char *const errors[] = {
                "Memory=64GB",
                "Device=10de:2330*0",
                "Kernel=vmlinux",
                "Firmware=/fw",
                "Disk=/a.raw,ro",
                "CPUAffinity=3-1",
                "Device 10de:2330*4",        /* a syntax error inside the VM's section */
        };
        for (size_t i = 0; i < ELEMENTSOF(errors); i++) {
                _cleanup_(freep) char *text = strjoin(
                        "[VM a]\nMemory=4G\nKernel=/k\n", errors[i], "\n"
                        "[VM b]\nMemory=4G\nKernel=/k\nDevice=10de:2330\n");
                Config c;
                parse(&c, text, true);
                const VmConfig *a = config_find_vm(&c, "a"), *b = config_find_vm(&c, "b");
                assert_non_null(a);
                assert_non_null(b);
                if (!a->invalid || b->invalid) {
                        dump_diagnostics(&c.diagnostics);
                        fail_msg("\"%s\" in [VM a]: a invalid=%d (expected 1), b invalid=%d (expected 0)", errors[i],
                                 a->invalid, b->invalid);
                }
                assert_true(diag_count_vm(&c.diagnostics, DIAG_ERROR, "a") >= 1);
                assert_int_equal(diag_count_vm(&c.diagnostics, DIAG_ERROR, "b"), 0);
                assert_int_equal(b->n_devices, 1);
                config_done(&c);
        }
}

/* Every error, whatever the input, has a file and a line. */
static void test_every_error_has_a_location(void **state) {
        static const char text[] =
                "Orphan=1\n"
                "[Hots]\n"
                "[Host]\n"
                "Hugepages=x\n"
                "HugepagesExtra=y\n"
                "nonsense\n"
                "[VM Bad]\n"
                "[VM]\n"
                "[VM a]\n"
                "Memory=3\n"
                "Kernel=k\n"
                "Firmware=f\n"
                "Initramfs=/i\n"
                "Device=1:2\n"
                "Disk=/x,y\n"
                "MAC=1\n"
                "=x\n"
                "[VM b]\n"
                "CPUs=0\n";
        Config c;
        parse(&c, text, true);
        assert_true(diag_count(&c.diagnostics, DIAG_ERROR) >= 15);
        for (size_t i = 0; i < c.diagnostics.n; i++) {
                const Diagnostic *d = &c.diagnostics.items[i];
                if (!streq_ptr(d->where.file, FILE_NAME) || d->where.line == 0) {
                        dump_diagnostics(&c.diagnostics);
                        fail_msg("\"%s\" has no FILE:LINE", d->message);
                }
                char buf[256];
                diag_format_location(d, buf, sizeof buf);
                assert_true(startswith(buf, FILE_NAME ":"));
        }
        config_done(&c);
}

/* NUL bytes: the file is not read as text (only config_load sees the real size). */
static void test_nul_bytes(void **state) {
        char path[] = "/tmp/nestvirt-test-nul-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        static const char data[] = "[VM a]\nMemory=4G\nKer\0nel=/k\n[VM b]\nMemory=1G\nKernel=/k\n";
        assert_int_equal(write(fd, data, sizeof data - 1), (ssize_t) (sizeof data - 1));
        assert_int_equal(fchmod(fd, 0644), 0);
        close(fd);

        Config c;
        ConfigLoadOptions o = { .single_file = path, .strict = true };
        assert_int_equal(config_load(&o, &c), 0);
        const Diagnostic *d = find_diag(&c, "NUL");
        assert_int_equal(d->level, DIAG_ERROR);
        assert_string_equal(d->where.file, path);
        assert_int_equal(d->where.line, 3);     /* where the first NUL is */
        assert_int_equal(c.n_vms, 0);           /* nothing of it is used */
        config_done(&c);

        /* Through the buffer API a NUL ends the text: what comes before it is parsed. */
        config_init(&c);
        assert_int_equal(config_parse_buffer(&c, FILE_NAME, data, true), 0);
        assert_int_equal(c.n_vms, 1);
        assert_int_equal(c.vms[0].memory_gib, 4);
        config_done(&c);

        assert_int_equal(unlink(path), 0);
}

/* load_file DATA SIZE: config_load of a file holding exactly those bytes. */
static void load_file(Config *c, char *path, const char *data, size_t size) {
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, size), (ssize_t) size);
        assert_int_equal(fchmod(fd, 0644), 0);
        close(fd);
        ConfigLoadOptions o = { .single_file = path, .strict = true };
        assert_int_equal(config_load(&o, c), 0);
        assert_int_equal(unlink(path), 0);
}

/* Binary garbage without a NUL: one error at the line of the first control byte, not one per
 * "line" of garbage echoing the bytes (the boot lab's scenario 12 found 18 such errors). */
static void test_binary_garbage(void **state) {
        char path[] = "/tmp/nestvirt-test-bin-XXXXXX";
        static const char data[] = "[VM a]\nMemory=4G\n\x8f\xa3=\x1b[1m\xff\nKernel=/k\n\x01\x02\n";
        Config c;
        load_file(&c, path, data, sizeof data - 1);
        const Diagnostic *d = find_diag(&c, "contains binary data (byte 0x1b), it is not a text file");
        assert_int_equal(d->level, DIAG_ERROR);
        assert_int_equal(d->where.line, 3);
        assert_int_equal(c.diagnostics.n, 1);   /* that one line, nothing about the bytes themselves */
        assert_int_equal(c.n_vms, 0);
        config_done(&c);

        /* White space is text: tab, CR LF, form feed. */
        char path2[] = "/tmp/nestvirt-test-bin-XXXXXX";
        static const char text[] = "[VM a]\r\n\tMemory=4G\r\n\fKernel=/k\n";
        load_file(&c, path2, text, sizeof text - 1);
        assert_int_equal(c.diagnostics.n, 0);
        assert_int_equal(c.n_vms, 1);
        config_done(&c);
}

/* An empty file (or white space only) says so; one with only comments (the shipped one) does not. */
static void test_empty_file(void **state) {
        static const char *const empty[] = { "", "\n\n  \t\n" };
        for (size_t i = 0; i < ELEMENTSOF(empty); i++) {
                char path[] = "/tmp/nestvirt-test-empty-XXXXXX";
                Config c;
                load_file(&c, path, empty[i], strlen(empty[i]));
                const Diagnostic *d = find_diag(&c, "empty, it configures nothing");
                assert_int_equal(d->level, DIAG_WARNING);
                assert_string_equal(d->where.file, path);
                assert_int_equal(c.diagnostics.n, 1);
                config_done(&c);
        }
        char path[] = "/tmp/nestvirt-test-empty-XXXXXX";
        static const char comments[] = "# nestvirt.conf(5)\n;[VM train0]\n";
        Config c;
        load_file(&c, path, comments, sizeof comments - 1);
        assert_int_equal(c.diagnostics.n, 0);
        config_done(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_minimal_vm_and_defaults),
                cmocka_unit_test(test_invalid_utf8),
                cmocka_unit_test(test_length_limits),
                cmocka_unit_test(test_binary_garbage),
                cmocka_unit_test(test_empty_file),
                cmocka_unit_test(test_design_example),
                cmocka_unit_test(test_unknown_section),
                cmocka_unit_test(test_unknown_key),
                cmocka_unit_test(test_key_from_other_section),
                cmocka_unit_test(test_bad_memory),
                cmocka_unit_test(test_bad_device),
                cmocka_unit_test(test_bad_vm_names),
                cmocka_unit_test(test_kernel_and_firmware),
                cmocka_unit_test(test_relative_paths),
                cmocka_unit_test(test_bad_cpu_affinity),
                cmocka_unit_test(test_bad_network),
                cmocka_unit_test(test_bad_disk),
                cmocka_unit_test(test_bad_values),
                cmocka_unit_test(test_outside_section),
                cmocka_unit_test(test_not_an_assignment),
                cmocka_unit_test(test_comments),
                cmocka_unit_test(test_continuation),
                cmocka_unit_test(test_repeated_sections),
                cmocka_unit_test(test_strict),
                cmocka_unit_test(test_invalid_vm_isolated),
                cmocka_unit_test(test_every_error_has_a_location),
                cmocka_unit_test(test_nul_bytes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
