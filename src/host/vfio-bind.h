/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Puts a list of PCI devices onto vfio-pci, with the other endpoints of their IOMMU groups:
 * refuse the devices the running system cannot lose, detach each device, load vfio-pci (it is
 * never autoloaded), probe, bring in the rest of each group, verify. The sysfs work, in
 * libvirt's order, is pci-device.c's. Used by bind-vfio (the plan's claims) and apply (the
 * claims that are new). */

#include "macro.h"

typedef struct VfioBindOptions {
        const char *root;      /* sysfs under it; NULL: this machine */
        bool force;            /* bind even devices behind mounts, swap or the console */
        bool in_initrd;        /* storage controllers wait for the main system */
} VfioBindOptions;

/* Binds ADDRESSES (NULL-terminated, "0000:41:00.0"). Every problem is logged where it is found.
 * Returns the number of devices that did not end up on vfio-pci (refused ones included), or
 * -ENOMEM. With OUTCOME, adds "device=ADDRESS vfio-pci" (or "failed") to it for each device
 * it put on vfio-pci or tried to, group members included: the initramfs's record. */
int vfio_bind_devices(const VfioBindOptions *o, char *const *addresses, char ***outcome);
