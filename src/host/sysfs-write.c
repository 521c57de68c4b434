/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "sysfs-write.h"
#include "util.h"

int sysfs_write(const char *path, const char *value) {
        _cleanup_(closep) int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        size_t l = strlen(value);
        ssize_t n = write(fd, value, l);
        if (n < 0)
                return -errno;
        return (size_t) n == l ? 0 : -EIO;
}

int sysfs_read(const char *path, char *buf, size_t size) {
        int r = read_attr_at(AT_FDCWD, path, buf, size);
        return r < 0 ? r : 0;
}
