/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

typedef enum DiskImageType {
        DISK_IMAGE_RAW,
        DISK_IMAGE_QCOW2,
} DiskImageType;

/* From the file's magic when it is readable under root, else from its name (".qcow2").
 * Cloud Hypervisor must be told: without image_type=raw it write-protects sector 0. */
DiskImageType disk_image_type(const char *root, const char *path);
const char *disk_image_type_to_string(DiskImageType t);
