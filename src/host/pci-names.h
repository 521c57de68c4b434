/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "inventory.h"

/* The PCI database's name for a device, or NULL. */
char *pci_device_name(const PciDevice *d);
