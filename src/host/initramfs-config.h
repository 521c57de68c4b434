/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which configuration a kernel's initramfs carries, read from the image itself (its copies of
 * the configuration files, initramfs-read.h), and its rebuild with the image's own tool. For
 * apply; check says which file differs (check-initramfs.c). */

#include <stdint.h>

#include "macro.h"

typedef enum InitramfsConfigState {
        INITRAMFS_CONFIG_UNRECORDED,    /* no image, or not built with nestvirt's module or hook */
        INITRAMFS_CONFIG_SAME,
        INITRAMFS_CONFIG_DIFFERS,
} InitramfsConfigState;

/* The kernel running under ROOT: uname's release for the real root, else ROOT's
 * /proc/sys/kernel/osrelease. NULL when unknown (or on OOM). */
char *initramfs_running_kernel(const char *root);
/* Compares the copies in KVER's initramfs under ROOT with the files the boot reads now.
 * UNRECORDED also when the image is missing or cannot be read (logged). */
InitramfsConfigState initramfs_config_state(const char *root, const char *kver);
/* The command that rebuilds KVER's initramfs on this machine, by the tool installed:
 * "update-initramfs -u -k KVER" (initramfs-tools) or "dracut -f --kver KVER". NULL when
 * neither is installed under ROOT. */
char **initramfs_rebuild_command(const char *root, const char *kver);
/* Runs ARGV, waits; returns its exit status, or -errno when it could not be run. Logs. */
int initramfs_rebuild(char *const *argv);
