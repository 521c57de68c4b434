/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device= and Passthrough= matches and PCI addresses. Besides not crashing: what parses
 * formats back to a string that parses to the same match, so what check prints is what the
 * generator acts on. */

#include <stdint.h>

#include "pci-match.h"
#include "fuzz-util.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_match(const DeviceMatch *a, const DeviceMatch *b) {
        if (a->by_address != b->by_address || a->count != b->count || a->count_given != b->count_given)
                return false;
        if (a->by_address)
                return pci_address_compare(a->address, b->address) == 0;
        return a->vendor == b->vendor && a->device == b->device;
}

static void check_match(const char *s, bool allow_count) {
        DeviceMatch m, again;
        const char *reason = NULL;
        char buf[64];

        if (device_match_parse(s, allow_count, &m, &reason) < 0) {
                if (!reason || !*reason)
                        abort();   /* every refusal says what to write instead */
                return;
        }
        if (!m.by_address && m.count == 0)
                abort();
        device_match_format(&m, buf, sizeof buf);
        if (device_match_parse(buf, allow_count, &again, &reason) < 0 || !same_match(&m, &again))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 256)
                return 0;
        _cleanup_(freep) char *s = fuzz_string(data, size);
        if (!s)
                return 0;

        check_match(s, false);
        check_match(s, true);

        PciAddress a, b;
        if (pci_address_parse(s, &a) >= 0) {
                char buf[PCI_ADDRESS_MAX];
                pci_address_format(a, buf);
                if (pci_address_parse(buf, &b) < 0 || pci_address_compare(a, b) != 0)
                        abort();
        }
        return 0;
}
