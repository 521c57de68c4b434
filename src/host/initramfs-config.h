/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which configuration a kernel's initramfs carries, as the initramfs module and hook record it
 * (runtime-paths.h, INITRAMFS_DIGEST_DIR/KVER: `nestvirt config-digest` at build time), and
 * its rebuild with the image's own tool. One place for the record, for apply (check and status
 * read it themselves so far). */

#include <stdint.h>

#include "macro.h"

typedef enum InitramfsConfigState {
        INITRAMFS_CONFIG_UNRECORDED,   /* not built with nestvirt's module or hook */
        INITRAMFS_CONFIG_SAME,
        INITRAMFS_CONFIG_DIFFERS,
} InitramfsConfigState;

/* The kernel running under ROOT: uname's release for the real root, else ROOT's
 * /proc/sys/kernel/osrelease. NULL when unknown (or on OOM). */
char *initramfs_running_kernel(const char *root);
/* Compares the record for KVER under ROOT with DIGEST (config.digest). */
InitramfsConfigState initramfs_config_state(const char *root, const char *kver, uint64_t digest);
/* The command that rebuilds KVER's initramfs on this machine, by the tool installed:
 * "update-initramfs -u -k KVER" (initramfs-tools) or "dracut -f --kver KVER". NULL when
 * neither is installed under ROOT. */
char **initramfs_rebuild_command(const char *root, const char *kver);
/* Runs ARGV, waits; returns its exit status, or -errno when it could not be run. Logs. */
int initramfs_rebuild(char *const *argv);
