/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Cloud Hypervisor must be told each disk's format: without image_type= it guesses, and a raw
 * image it guessed gets sector 0 write-protected. nestvirt gives it raw or qcow2 only. */
typedef enum DiskImageType {
        DISK_IMAGE_RAW,
        DISK_IMAGE_QCOW2,
        DISK_IMAGE_UNSUPPORTED,   /* a format nestvirt does not pass on: vhd, vhdx, vmdk, qcow v1 */
} DiskImageType;

/* The format of the image open as FD, from its magic (a file without one is raw). Returns 0, or
 * -errno when it cannot be read; *ret_format names an unsupported format ("vhdx"). */
int disk_image_type_read_fd(int fd, DiskImageType *ret, const char **ret_format);
/* The same for the file at REAL_PATH (already under any root). Never guessed from the name:
 * the type is decided where the file can be read, at the VM's start ('nestvirt vm prepare'). */
int disk_image_type_read(const char *real_path, DiskImageType *ret, const char **ret_format);
/* For callers that only ask "is it raw": DISK_IMAGE_UNSUPPORTED as well when it cannot be read. */
DiskImageType disk_image_type(const char *root, const char *path);
/* "raw", "qcow2", or NULL for an unsupported one: the only values image_type= is given. */
const char *disk_image_type_to_string(DiskImageType t);
