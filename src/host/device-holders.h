/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which processes hold a PCI device open, through its /dev nodes: found by the device numbers
 * of the nodes that belong to it, compared with what every /proc/PID/fd/N points to.
 *
 * The nodes of a device: every "dev" attribute below /sys/bus/pci/devices/ADDRESS (the class
 * devices a driver made for it: DRM cards and render nodes, sound, nvme, input, tty ...);
 * /dev/vfio/GROUP when it is on vfio-pci; and for the nvidia driver, which makes no class
 * device, /dev/nvidiaN with N the "Device Minor" of /proc/driver/nvidia/gpus/ADDRESS/information
 * (major 195). Not attributable to one device: /dev/nvidiactl, /dev/nvidia-uvm and other
 * shared control nodes, network interfaces (no /dev node), and memory mapped through sysfs
 * resource files. */

#include "macro.h"

/* One line per holder, "PID (COMM) has /dev/... open", in *RET (NULL: none). Returns -ENOMEM
 * only; what cannot be read (other users' processes without privileges) is skipped. */
int pci_device_find_holders(const char *root, const char *address, char ***ret);
