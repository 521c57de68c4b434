/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "diag.h"

typedef struct PciAddress {
        uint32_t domain;
        uint8_t bus, slot, function;
} PciAddress;

#define PCI_ADDRESS_MAX 20   /* "ffffffff:00:00.0" (a 32-bit domain) + NUL, rounded */

int pci_address_parse(const char *s, PciAddress *ret);
void pci_address_format(PciAddress a, char buf[static PCI_ADDRESS_MAX]);
int pci_address_compare(PciAddress a, PciAddress b);

/* MATCH[*COUNT]: a PCI address, or vendor:device in hex. */
typedef struct DeviceMatch {
        bool by_address;
        PciAddress address;
        uint16_t vendor, device;
        unsigned count;          /* for id matches in a VM; 1 unless given */
        bool count_given;
        Location where;
} DeviceMatch;

/* On failure returns -EINVAL and sets *reason to a sentence that says what to write instead. */
int device_match_parse(const char *s, bool allow_count, DeviceMatch *ret, const char **reason);
/* "0000:41:00.0", "10de:2330" or "10de:2330*4" */
void device_match_format(const DeviceMatch *m, char *buf, size_t size);
