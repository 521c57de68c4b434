/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the runtime actions (reserve-hugepages, bind-vfio, status) share: writing sysfs,
 * loading modules, and knowing which devices the boot depends on. */

#include "macro.h"

#define VFIO_DRIVER "vfio-pci"

/* Writes VALUE to ROOT/PATH (sysfs attributes take one write). Returns -errno, logs nothing. */
int sysfs_write(const char *path, const char *value);
int sysfs_read(const char *path, char *buf, size_t size);
/* ROOT/dev/vfio/GROUP; devtmpfs creates it as vfio registers the group, so allow a moment. */
bool vfio_group_node_exists(const char *root, int group, unsigned wait_ms);

/* Loads a module (and its dependencies) with libkmod, with OPTIONS for it; 0 if loaded or built in. */
int module_load(const char *name, const char *options);
bool module_is_loaded(const char *name);
bool module_exists(const char *name);

/* PCI addresses ("0000:00:1f.2") of every device the running system depends on: the
 * controllers (and bridges) behind mounted file systems and active swap, and the device of
 * the active console. */
int boot_devices_find(const char *root, char ***ret, char ***ret_reasons);

/* A digest of the configuration files as read, to tell whether the initramfs saw the same. */
#define INITRD_CONFIG_STAMP "/run/nestvirt/initrd-config"
/* Written by the initramfs module/hook: one file per kernel version, holding the digest
 * ('nestvirt config-digest') of the config packed into that kernel's initramfs. */
#define INITRAMFS_DIGEST_DIR "/var/lib/nestvirt/initramfs"

/* journalctl MESSAGE_ID=... finds these events. */
#define MESSAGE_ID_HUGEPAGES_SHORTFALL "da0de3b05c774ef5a572dae12e6312d1"
#define MESSAGE_ID_DEVICE_REFUSED "c9f7ff7d34ba4b29ba1e671cea8cf7c7"
#define MESSAGE_ID_UNSAFE_INTERRUPTS "a62ca494159a4da2bd4b2d75dcb08f92"
