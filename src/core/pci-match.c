/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>

#include "pci-match.h"
#include "util.h"

static int parse_hex(const char *s, size_t len, size_t max_digits, uint32_t *ret) {
        if (len == 0 || len > max_digits)
                return -EINVAL;
        uint32_t v = 0;
        for (size_t i = 0; i < len; i++) {
                if (!isxdigit((unsigned char) s[i]))
                        return -EINVAL;
                v = v * 16 + (isdigit((unsigned char) s[i]) ? s[i] - '0' : (tolower((unsigned char) s[i]) - 'a' + 10));
        }
        *ret = v;
        return 0;
}

/* DDDD:BB:SS.F or BB:SS.F (domain 0), as lspci prints them. The kernel names devices with
 * "%04x" of a 32-bit domain: Intel VMD's are 10000 and up, five digits or more. */
int pci_address_parse(const char *s, PciAddress *ret) {
        uint32_t domain = 0, bus, slot, function;
        const char *p = s;
        const char *c1 = strchr(p, ':');
        if (!c1)
                return -EINVAL;
        const char *c2 = strchr(c1 + 1, ':');
        if (c2) {
                /* Four digits, or more without a leading zero: the one spelling "%04x" gives. */
                if (parse_hex(p, c1 - p, 8, &domain) < 0 || c1 - p < 4 || (c1 - p > 4 && *p == '0'))
                        return -EINVAL;
                p = c1 + 1;
                c1 = c2;
        }
        const char *dot = strchr(c1 + 1, '.');
        if (!dot)
                return -EINVAL;
        if (c1 - p != 2 || dot - (c1 + 1) != 2 || strlen(dot + 1) != 1)
                return -EINVAL;
        if (parse_hex(p, 2, 2, &bus) < 0 || parse_hex(c1 + 1, 2, 2, &slot) < 0 ||
            parse_hex(dot + 1, 1, 1, &function) < 0)
                return -EINVAL;
        if (slot > 0x1f || function > 7)
                return -EINVAL;
        *ret = (PciAddress) { .domain = domain, .bus = bus, .slot = slot, .function = function };
        return 0;
}

void pci_address_format(PciAddress a, char buf[static PCI_ADDRESS_MAX]) {
        snprintf(buf, PCI_ADDRESS_MAX, "%04x:%02x:%02x.%x", a.domain, a.bus, a.slot, a.function);
}

int pci_address_compare(PciAddress a, PciAddress b) {
        if (a.domain != b.domain)
                return a.domain < b.domain ? -1 : 1;
        if (a.bus != b.bus)
                return a.bus < b.bus ? -1 : 1;
        if (a.slot != b.slot)
                return a.slot < b.slot ? -1 : 1;
        if (a.function != b.function)
                return a.function < b.function ? -1 : 1;
        return 0;
}

int device_match_parse(const char *s, bool allow_count, DeviceMatch *ret, const char **reason) {
        DeviceMatch m = { .count = 1 };
        char buf[64];

        if (strlen(s) >= sizeof buf) {
                *reason = "too long; write a PCI address (0000:41:00.0) or vendor:device (10de:2330)";
                return -EINVAL;
        }
        strcpy(buf, s);

        char *star = strchr(buf, '*');
        if (star) {
                *star = 0;
                if (!allow_count) {
                        *reason = "a COUNT is only meaningful in a VM's Device=; [Host] Passthrough= binds every match";
                        return -EINVAL;
                }
                uint64_t c;
                if (safe_atou64(star + 1, &c) < 0 || c > 4096) {
                        *reason = "COUNT after '*' must be a positive number, e.g. 10de:2330*4";
                        return -EINVAL;
                }
                if (c == 0) {
                        *reason = "COUNT of 0 claims nothing; remove the line or give a count of 1 or more";
                        return -EINVAL;
                }
                m.count = (unsigned) c;
                m.count_given = true;
        }

        if (pci_address_parse(buf, &m.address) >= 0) {
                if (star) {
                        *reason = "a PCI address names one device; '*COUNT' works only with vendor:device";
                        return -EINVAL;
                }
                m.by_address = true;
                *ret = m;
                return 0;
        }

        const char *colon = strchr(buf, ':');
        uint32_t v, d;
        if (colon && !strchr(colon + 1, ':') && !strchr(buf, '.') &&
            parse_hex(buf, colon - buf, 4, &v) >= 0 && colon - buf == 4 &&
            parse_hex(colon + 1, strlen(colon + 1), 4, &d) >= 0 && strlen(colon + 1) == 4) {
                m.vendor = v;
                m.device = d;
                *ret = m;
                return 0;
        }

        *reason = "not a PCI address (0000:41:00.0 or 41:00.0) nor a vendor:device id in hex (10de:2330); "
                  "see lspci -nn or 'nestvirt devices'";
        return -EINVAL;
}

void device_match_format(const DeviceMatch *m, char *buf, size_t size) {
        if (m->by_address) {
                char a[PCI_ADDRESS_MAX];
                pci_address_format(m->address, a);
                snprintf(buf, size, "%s", a);
        } else if (m->count_given)
                snprintf(buf, size, "%04x:%04x*%u", m->vendor, m->device, m->count);
        else
                snprintf(buf, size, "%04x:%04x", m->vendor, m->device);
}
