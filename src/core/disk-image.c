/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "disk-image.h"
#include "util.h"

DiskImageType disk_image_type(const char *root, const char *path) {
        _cleanup_(freep) char *p = path_under_root(root, path);
        if (p) {
                _cleanup_(closep) int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                unsigned char magic[4];
                if (fd >= 0 && read(fd, magic, sizeof magic) == (ssize_t) sizeof magic)
                        return memcmp(magic, "QFI\xfb", 4) == 0 ? DISK_IMAGE_QCOW2 : DISK_IMAGE_RAW;
        }
        size_t l = strlen(path);
        return l > 6 && streq(path + l - 6, ".qcow2") ? DISK_IMAGE_QCOW2 : DISK_IMAGE_RAW;
}

const char *disk_image_type_to_string(DiskImageType t) {
        return t == DISK_IMAGE_QCOW2 ? "qcow2" : "raw";
}
