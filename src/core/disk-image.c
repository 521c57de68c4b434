/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "disk-image.h"
#include "util.h"

/* The headers that name a format at offset 0 (qemu's block drivers probe the same bytes). */
static const struct {
        const char *magic;
        size_t size;
        const char *format;
} unsupported[] = {
        { "vhdxfile", 8, "vhdx" },
        { "conectix", 8, "vhd" },                 /* a dynamic VHD's copy of its footer */
        { "KDMV", 4, "vmdk" },
        { "# Disk DescriptorFile", 21, "vmdk" },
        { "<<< Oracle VM VirtualBox Disk Image >>>", 39, "vdi" },
};

#define QCOW_MAGIC "QFI\xfb"

int disk_image_type_read_fd(int fd, DiskImageType *ret, const char **ret_format) {
        unsigned char head[64] = {};
        ssize_t n = pread(fd, head, sizeof head, 0);
        if (n < 0)
                return -errno;
        const char *format = NULL;
        DiskImageType t = DISK_IMAGE_RAW;
        if ((size_t) n >= 8 && memcmp(head, QCOW_MAGIC, 4) == 0) {
                /* Big-endian version after the magic: Cloud Hypervisor reads versions 2 and 3. */
                unsigned version = (unsigned) head[4] << 24 | head[5] << 16 | head[6] << 8 | head[7];
                if (version == 2 || version == 3)
                        t = DISK_IMAGE_QCOW2;
                else {
                        t = DISK_IMAGE_UNSUPPORTED;
                        format = version == 1 ? "qcow (version 1)" : "qcow of an unknown version";
                }
        }
        for (size_t i = 0; t == DISK_IMAGE_RAW && i < ELEMENTSOF(unsupported); i++)
                if ((size_t) n >= unsupported[i].size && memcmp(head, unsupported[i].magic, unsupported[i].size) == 0) {
                        t = DISK_IMAGE_UNSUPPORTED;
                        format = unsupported[i].format;
                }
        *ret = t;
        if (ret_format)
                *ret_format = format;
        return 0;
}

int disk_image_type_read(const char *real_path, DiskImageType *ret, const char **ret_format) {
        /* O_NONBLOCK: a FIFO named as a disk must not hang the start. */
        _cleanup_(closep) int fd = open(real_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return -EBADFD;
        return disk_image_type_read_fd(fd, ret, ret_format);
}

DiskImageType disk_image_type(const char *root, const char *path) {
        _cleanup_(freep) char *p = path_under_root(root, path);
        DiskImageType t;
        if (!p || disk_image_type_read(p, &t, NULL) < 0)
                return DISK_IMAGE_UNSUPPORTED;
        return t;
}

const char *disk_image_type_to_string(DiskImageType t) {
        return t == DISK_IMAGE_QCOW2 ? "qcow2" : t == DISK_IMAGE_RAW ? "raw" : NULL;
}
