/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One PCI device's driver binding, in the sysfs under ROOT (NULL or "/": this machine), the
 * way libvirt's virpci.c does it. The accessors return -errno and log nothing; the steps
 * (detach, probe, verify) log once, where they decide. */

#include "macro.h"

#define VFIO_DRIVER "vfio-pci"

/* The driver bound to ADDRESS ("0000:41:00.0"): *ret is its name, or NULL when none is. */
int pci_device_get_driver(const char *root, const char *address, char **ret);
/* driver_override: only DRIVER may bind the device from now on; NULL clears it. */
int pci_device_set_driver_override(const char *root, const char *address, const char *driver);
/* Lets go of the bound driver (its unbind attribute). */
int pci_device_unbind(const char *root, const char *address);
/* drivers_probe: the kernel binds the driver that may have the device. */
int pci_device_drivers_probe(const char *root, const char *address);
/* The number of the device's IOMMU group, or -errno (-ENOENT: in none). */
int pci_device_iommu_group(const char *root, const char *address);
/* ROOT/dev/vfio/GROUP; devtmpfs creates it as vfio registers the group, so allow a moment. */
bool vfio_group_node_exists(const char *root, int group, unsigned wait_ms);

/* Binding in libvirt's order: first pci_device_detach() (driver_override to DRIVER, so nothing
 * else can grab the device in between, then unbind), then, once DRIVER is loaded,
 * pci_device_probe(). Both do nothing for a device already on DRIVER. */
int pci_device_detach(const char *root, const char *address, const char *driver);
int pci_device_probe(const char *root, const char *address, const char *driver);
/* Whether ADDRESS ended up usable on vfio-pci: bound (probing it again for a while if it is
 * not yet), in an IOMMU group, its /dev/vfio node present. Logs the verdict either way. */
int pci_device_verify_vfio(const char *root, const char *address);
