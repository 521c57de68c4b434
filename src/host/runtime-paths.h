/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Files the runtime actions leave for later ones (listed in nestvirt(8), FILES). */

/* A digest of the configuration files as read, to tell whether the initramfs saw the same. */
#define INITRD_CONFIG_STAMP "/run/nestvirt/initrd-config"
/* Written by the initramfs module/hook: one file per kernel version, holding the digest
 * ('nestvirt config-digest') of the config packed into that kernel's initramfs. */
#define INITRAMFS_DIGEST_DIR "/var/lib/nestvirt/initramfs"
