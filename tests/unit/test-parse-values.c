/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small value parsers: PCI addresses, device matches, CPU lists, sizes, Hugepages=, the kernel
 * command line switches (DESIGN.md "Configuration (contract)"). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "config.h"
#include "cpu-set.h"
#include "parse-values.h"
#include "pci-match.h"
#include "proc-cmdline.h"
#include "util.h"

/* ---- PCI addresses ---- */

static void check_address(const char *s, uint32_t domain, uint8_t bus, uint8_t slot, uint8_t function,
                          const char *formatted) {
        PciAddress a = { .domain = 0xdead };
        char buf[PCI_ADDRESS_MAX];

        assert_int_equal(pci_address_parse(s, &a), 0);
        assert_int_equal(a.domain, domain);
        assert_int_equal(a.bus, bus);
        assert_int_equal(a.slot, slot);
        assert_int_equal(a.function, function);
        pci_address_format(a, buf);
        assert_string_equal(buf, formatted);
}

static void test_pci_address_parse_good(void **state) {
        check_address("0000:41:00.0", 0, 0x41, 0, 0, "0000:41:00.0");
        check_address("41:00.0", 0, 0x41, 0, 0, "0000:41:00.0");            /* domain 0 implied */
        check_address("0001:db:1f.7", 1, 0xdb, 0x1f, 7, "0001:db:1f.7");
        check_address("00:1F.3", 0, 0, 0x1f, 3, "0000:00:1f.3");              /* lspci prints lowercase */
        check_address("abcd:00:00.0", 0xabcd, 0, 0, 0, "abcd:00:00.0");
}

static void test_pci_address_parse_bad(void **state) {
        static const char *const bad[] = {
                "",
                "41",
                "41:00",              /* no function */
                "4:00.0",             /* bus needs two digits */
                "041:00.0",
                "41:0.0",
                "41:00.00",
                "41:00.8",            /* function 0-7 */
                "41:20.0",            /* slot 0-1f */
                "g1:00.0",
                "0:41:00.0",          /* domain needs four digits */
                "00000:41:00.0",
                "0000:41:00.0x",
                "0000:41:00:0",
                "0000:41:00.0 ",
                "10de:2330",          /* an id, not an address */
                "0000-41-00.0",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                PciAddress a;
                if (pci_address_parse(bad[i], &a) != -EINVAL)
                        fail_msg("pci_address_parse(\"%s\") accepted a bad address", bad[i]);
        }
}

static void test_pci_address_compare(void **state) {
        PciAddress a, b, c, d;
        assert_int_equal(pci_address_parse("0000:41:00.0", &a), 0);
        assert_int_equal(pci_address_parse("0000:41:00.1", &b), 0);
        assert_int_equal(pci_address_parse("0000:42:00.0", &c), 0);
        assert_int_equal(pci_address_parse("0001:00:00.0", &d), 0);
        assert_true(pci_address_compare(a, b) < 0);
        assert_true(pci_address_compare(b, a) > 0);
        assert_true(pci_address_compare(b, c) < 0);
        assert_true(pci_address_compare(c, d) < 0);
        assert_int_equal(pci_address_compare(a, a), 0);
}

/* ---- device matches ---- */

static void test_device_match_parse_good(void **state) {
        DeviceMatch m;
        const char *reason = NULL;
        char buf[64];

        assert_int_equal(device_match_parse("10de:2330", true, &m, &reason), 0);
        assert_false(m.by_address);
        assert_int_equal(m.vendor, 0x10de);
        assert_int_equal(m.device, 0x2330);
        assert_int_equal(m.count, 1);
        assert_false(m.count_given);
        device_match_format(&m, buf, sizeof buf);
        assert_string_equal(buf, "10de:2330");

        assert_int_equal(device_match_parse("10DE:22BC*4", true, &m, &reason), 0);
        assert_false(m.by_address);
        assert_int_equal(m.vendor, 0x10de);
        assert_int_equal(m.device, 0x22bc);
        assert_int_equal(m.count, 4);
        assert_true(m.count_given);
        device_match_format(&m, buf, sizeof buf);
        assert_string_equal(buf, "10de:22bc*4");

        assert_int_equal(device_match_parse("41:00.0", true, &m, &reason), 0);
        assert_true(m.by_address);
        assert_int_equal(m.address.bus, 0x41);
        assert_int_equal(m.count, 1);
        device_match_format(&m, buf, sizeof buf);
        assert_string_equal(buf, "0000:41:00.0");

        assert_int_equal(device_match_parse("0000:db:00.0", false, &m, &reason), 0);
        assert_true(m.by_address);
        assert_int_equal(m.address.bus, 0xdb);

        /* Passthrough= (no COUNT allowed) still takes plain ids. */
        assert_int_equal(device_match_parse("8086:10d3", false, &m, &reason), 0);
        assert_int_equal(m.vendor, 0x8086);
        assert_int_equal(m.device, 0x10d3);
}

static void check_bad_match(const char *s, bool allow_count, const char *needle) {
        DeviceMatch m;
        const char *reason = NULL;
        if (device_match_parse(s, allow_count, &m, &reason) != -EINVAL)
                fail_msg("device_match_parse(\"%s\") accepted a bad match", s);
        assert_non_null(reason);
        if (!strstr(reason, needle))
                fail_msg("device_match_parse(\"%s\"): reason \"%s\" lacks \"%s\"", s, reason, needle);
}

static void test_device_match_parse_bad(void **state) {
        check_bad_match("10de", true, "vendor:device");
        check_bad_match("10de:233", true, "vendor:device");
        check_bad_match("10de:23300", true, "vendor:device");
        check_bad_match("10dg:2330", true, "vendor:device");
        check_bad_match("10de:2330:1", true, "vendor:device");
        check_bad_match("", true, "vendor:device");
        check_bad_match("10de:2330*0", true, "COUNT of 0");
        check_bad_match("10de:2330*", true, "COUNT");
        check_bad_match("10de:2330*x", true, "COUNT");
        check_bad_match("10de:2330*-1", true, "COUNT");
        check_bad_match("10de:2330*4097", true, "COUNT");
        check_bad_match("41:00.0*2", true, "vendor:device");
        check_bad_match("0000:41:00.0*1", true, "one device");
        check_bad_match("10de:2330*2", false, "Passthrough");
        check_bad_match("0123456789012345678901234567890123456789012345678901234567890123456789", true, "too long");
}

/* ---- CPU sets ---- */

static void check_cpu_roundtrip(const char *in, const char *out, unsigned count) {
        _cleanup_(cpu_set_done) CpuSet s = {};
        assert_int_equal(cpu_set_parse(in, &s), 0);
        assert_int_equal(cpu_set_count(&s), count);
        _cleanup_(freep) char *f = cpu_set_format(&s);
        assert_non_null(f);
        assert_string_equal(f, out);
}

static void test_cpu_set_roundtrip(void **state) {
        check_cpu_roundtrip("0-3,8,10-11", "0-3,8,10-11", 7);
        check_cpu_roundtrip("0-3,8,10-11\n", "0-3,8,10-11", 7);   /* the kernel's cpulist */
        check_cpu_roundtrip("11,10,8,3,2,1,0", "0-3,8,10-11", 7);
        check_cpu_roundtrip("0-1,2-3", "0-3", 4);
        check_cpu_roundtrip("63-64", "63-64", 2);                  /* across a word boundary */
        check_cpu_roundtrip("127,128,191", "127-128,191", 3);
        check_cpu_roundtrip("5", "5", 1);
        check_cpu_roundtrip("8191", "8191", 1);
        check_cpu_roundtrip("", "", 0);
}

static void test_cpu_set_membership(void **state) {
        _cleanup_(cpu_set_done) CpuSet s = {}, copy = {};
        assert_int_equal(cpu_set_parse("0-3,8,10-11", &s), 0);
        for (unsigned c = 0; c < 200; c++) {
                bool expect = c <= 3 || c == 8 || c == 10 || c == 11;
                if (cpu_set_has(&s, c) != expect)
                        fail_msg("CPU %u: has=%d, expected %d", c, cpu_set_has(&s, c), expect);
        }
        assert_int_equal(cpu_set_copy(&copy, &s), 0);
        assert_int_equal(cpu_set_count(&copy), 7);
        assert_true(cpu_set_has(&copy, 10));
        assert_false(cpu_set_has(&copy, 9));
        assert_int_equal(cpu_set_add(&copy, CPU_SET_MAX), -ERANGE);
}

static void test_cpu_set_parse_bad(void **state) {
        static const struct {
                const char *s;
                int r;
        } bad[] = {
                { "3-1", -ERANGE },
                { "a", -EINVAL },
                { "1-", -EINVAL },
                { "-1", -EINVAL },
                { "1-a", -EINVAL },
                { "0-3x", -EINVAL },
                { "0-3,junk", -EINVAL },
                { "8192", -ERANGE },
                { "0-8192", -ERANGE },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CpuSet s = {};
                int r = cpu_set_parse(bad[i].s, &s);
                if (r != bad[i].r)
                        fail_msg("cpu_set_parse(\"%s\") = %d, expected %d", bad[i].s, r, bad[i].r);
                cpu_set_done(&s);
        }
}

/* ---- Memory= ---- */

static void test_parse_memory_good(void **state) {
        static const struct {
                const char *s;
                uint64_t gib;
        } good[] = {
                { "64G", 64 },
                { "1G", 1 },
                { "1024M", 1 },
                { "65536M", 64 },
                { "1048576K", 1 },
                { "1T", 1024 },
                { "2T", 2048 },
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                uint64_t v = 0;
                const char *reason = NULL;
                int r = parse_memory_gib(good[i].s, &v, &reason);
                if (r != 0 || v != good[i].gib)
                        fail_msg("parse_memory_gib(\"%s\") = %d, %" PRIu64 " GiB, expected %" PRIu64, good[i].s, r,
                                 v, good[i].gib);
        }
}

static void check_bad_memory(const char *s, const char *needle) {
        uint64_t v = 12345;
        const char *reason = NULL;
        int r = parse_memory_gib(s, &v, &reason);
        if (r >= 0)
                fail_msg("parse_memory_gib(\"%s\") accepted a bad size", s);
        assert_int_equal(v, 12345);
        assert_non_null(reason);
        if (!strstr(reason, needle))
                fail_msg("parse_memory_gib(\"%s\"): reason \"%s\" lacks \"%s\"", s, reason, needle);
}

static void test_parse_memory_bad(void **state) {
        check_bad_memory("64GB", "64G");
        check_bad_memory("64g", "write 64G");
        check_bad_memory("64GiB", "64G");
        check_bad_memory("512m", "512M");
        check_bad_memory("64", "64G");
        check_bad_memory("1536M", "1G or 2G");
        check_bad_memory("512M", "1G");
        check_bad_memory("1025M", "1G or 2G");
        check_bad_memory("1K", "1G");
        check_bad_memory("0G", "at least 1G");
        check_bad_memory("G", "16G");
        check_bad_memory("", "16G");
        check_bad_memory("-1G", "16G");
        check_bad_memory("64X", "unknown unit");
        check_bad_memory("99999999999999999999G", "too large");
        check_bad_memory("20000000T", "too large");
}

/* ---- Hugepages= ---- */

static void test_parse_hugepages(void **state) {
        HostConfig h = {};
        const char *reason = NULL;

        assert_int_equal(parse_hugepages("12", &h, &reason), 0);
        assert_int_equal(h.hugepages_mode, HUGEPAGES_TOTAL);
        assert_int_equal(h.hugepages_total, 12);

        assert_int_equal(parse_hugepages("1:2,0:4", &h, &reason), 0);
        assert_int_equal(h.hugepages_mode, HUGEPAGES_PER_NODE);
        assert_int_equal(h.n_hugepages_nodes, 2);
        assert_int_equal(h.hugepages_nodes[0].node, 0);   /* sorted by node */
        assert_int_equal(h.hugepages_nodes[0].count, 4);
        assert_int_equal(h.hugepages_nodes[1].node, 1);
        assert_int_equal(h.hugepages_nodes[1].count, 2);

        assert_int_equal(parse_hugepages("0:8", &h, &reason), 0);
        assert_int_equal(h.hugepages_mode, HUGEPAGES_PER_NODE);
        assert_int_equal(h.n_hugepages_nodes, 1);
        assert_int_equal(h.hugepages_nodes[0].count, 8);

        assert_int_equal(parse_hugepages("auto", &h, &reason), 0);
        assert_int_equal(h.hugepages_mode, HUGEPAGES_AUTO);

        static const char *const bad[] = { "", "x", "0:", ":4", "0:4,0:2", "0:4,x", "-1", "0:-1", "1024:1", "auto1" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                HostConfig g = { .hugepages_mode = HUGEPAGES_AUTO };
                reason = NULL;
                if (parse_hugepages(bad[i], &g, &reason) != -EINVAL)
                        fail_msg("parse_hugepages(\"%s\") accepted a bad value", bad[i]);
                assert_non_null(reason);
                assert_int_equal(g.hugepages_mode, HUGEPAGES_AUTO);   /* unchanged on error */
                free(g.hugepages_nodes);
        }
        reason = NULL;
        HostConfig g = {};
        assert_int_equal(parse_hugepages("0:4,0:2", &g, &reason), -EINVAL);
        assert_non_null(strstr(reason, "node 0 is given twice"));

        free(h.hugepages_nodes);
}

/* ---- MAC, CIDR, tap names, tristates, argument splitting ---- */

static void test_parse_mac_cidr(void **state) {
        const char *reason;

        assert_int_equal(parse_mac("52:54:00:12:34:56", &reason), 0);
        assert_int_equal(parse_mac("02:AB:cd:00:00:01", &reason), 0);
        reason = NULL;
        assert_int_equal(parse_mac("01:00:5e:00:00:01", &reason), -EINVAL);
        assert_non_null(strstr(reason, "multicast"));
        reason = NULL;
        assert_int_equal(parse_mac("zz:54:00:12:34:56", &reason), -EINVAL);
        assert_non_null(strstr(reason, "six hex pairs"));
        assert_int_equal(parse_mac("00:00:00:00:00:00", &reason), -EINVAL);
        assert_int_equal(parse_mac("52:54:00:12:34", &reason), -EINVAL);
        assert_int_equal(parse_mac("52:54:00:12:34:567", &reason), -EINVAL);
        assert_int_equal(parse_mac("52-54-00-12-34-56", &reason), -EINVAL);
        assert_int_equal(parse_mac("52:54:00:12:34:+6", &reason), -EINVAL);

        assert_int_equal(parse_cidr("192.168.249.1/24", &reason), 0);
        assert_int_equal(parse_cidr("10.0.0.1/30", &reason), 0);
        reason = NULL;
        assert_int_equal(parse_cidr("10.0.0.1", &reason), -EINVAL);
        assert_non_null(strstr(reason, "/PREFIX"));
        reason = NULL;
        assert_int_equal(parse_cidr("10.0.0.1/33", &reason), -EINVAL);
        assert_non_null(strstr(reason, "prefix length"));
        assert_int_equal(parse_cidr("10.0.0.1/0", &reason), -EINVAL);
        assert_int_equal(parse_cidr("10.0.0.1/", &reason), -EINVAL);
        assert_int_equal(parse_cidr("10.0.0/24", &reason), -EINVAL);
        reason = NULL;
        assert_int_equal(parse_cidr("fd00::1/64", &reason), -EINVAL);
        assert_non_null(strstr(reason, "IPv4"));

        char ip[64], mask[64];
        assert_int_equal(cidr_to_ip_mask("192.168.249.1/24", ip, mask), 0);
        assert_string_equal(ip, "192.168.249.1");
        assert_string_equal(mask, "255.255.255.0");
        assert_int_equal(cidr_to_ip_mask("10.1.2.3/20", ip, mask), 0);
        assert_string_equal(mask, "255.255.240.0");

        assert_true(tap_name_is_valid("nv-train0"));
        assert_true(tap_name_is_valid("abcdefghijklmno"));     /* 15 */
        assert_false(tap_name_is_valid("abcdefghijklmnop"));   /* 16 */
        assert_false(tap_name_is_valid(""));
        assert_false(tap_name_is_valid(".."));
        assert_false(tap_name_is_valid("a/b"));
        assert_false(tap_name_is_valid("a b"));

        Tristate t;
        assert_int_equal(parse_tristate("auto", &t), 0);
        assert_int_equal(t, TRISTATE_AUTO);
        assert_int_equal(parse_tristate("yes", &t), 0);
        assert_int_equal(t, TRISTATE_YES);
        assert_int_equal(parse_tristate("off", &t), 0);
        assert_int_equal(t, TRISTATE_NO);
        assert_true(parse_tristate("maybe", &t) < 0);
}

static void test_split_arguments(void **state) {
        _cleanup_(strv_freep) char **l = NULL;
        const char *reason = NULL;

        assert_int_equal(split_arguments("  --rng src=/dev/urandom \"--a b\" 'c d' e\\ f \"\" x\"y z\"w  ", &l,
                                         &reason), 0);
        assert_int_equal(strv_length(l), 7);
        assert_string_equal(l[0], "--rng");
        assert_string_equal(l[1], "src=/dev/urandom");
        assert_string_equal(l[2], "--a b");
        assert_string_equal(l[3], "c d");
        assert_string_equal(l[4], "e f");
        assert_string_equal(l[5], "");
        assert_string_equal(l[6], "xy zw");
        l = strv_free(l);

        assert_int_equal(split_arguments("", &l, &reason), 0);
        assert_non_null(l);
        assert_int_equal(strv_length(l), 0);
        l = strv_free(l);

        reason = NULL;
        assert_int_equal(split_arguments("--a \"b", &l, &reason), -EINVAL);
        assert_null(l);
        assert_non_null(strstr(reason, "quote"));
}

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
                cmocka_unit_test(test_pci_address_parse_good),
                cmocka_unit_test(test_pci_address_parse_bad),
                cmocka_unit_test(test_pci_address_compare),
                cmocka_unit_test(test_device_match_parse_good),
                cmocka_unit_test(test_device_match_parse_bad),
                cmocka_unit_test(test_cpu_set_roundtrip),
                cmocka_unit_test(test_cpu_set_membership),
                cmocka_unit_test(test_cpu_set_parse_bad),
                cmocka_unit_test(test_parse_memory_good),
                cmocka_unit_test(test_parse_memory_bad),
                cmocka_unit_test(test_parse_hugepages),
                cmocka_unit_test(test_parse_mac_cidr),
                cmocka_unit_test(test_split_arguments),
                cmocka_unit_test(test_kernel_switches),
                cmocka_unit_test(test_kernel_switches_read),
                cmocka_unit_test(test_util_helpers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
