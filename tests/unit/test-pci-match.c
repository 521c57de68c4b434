/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI addresses and device matches (Device=, Passthrough=; DESIGN.md "Configuration (contract)"). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pci-match.h"
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
        /* Intel VMD puts its devices in domains from 0x10000: the kernel's "%04x" prints five digits
         * or more, and they must come back identically. */
        check_address("10000:00:02.0", 0x10000, 0, 2, 0, "10000:00:02.0");
        check_address("10001:e1:00.0", 0x10001, 0xe1, 0, 0, "10001:e1:00.0");
        check_address("ffffffff:ff:1f.7", 0xffffffff, 0xff, 0x1f, 7, "ffffffff:ff:1f.7");
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
                "00000:41:00.0",      /* more than four digits only without leading zeros */
                "010000:00:02.0",
                "100000000:00:02.0",  /* more than 32 bits */
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pci_address_parse_good),
                cmocka_unit_test(test_pci_address_parse_bad),
                cmocka_unit_test(test_pci_address_compare),
                cmocka_unit_test(test_device_match_parse_good),
                cmocka_unit_test(test_device_match_parse_bad),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
