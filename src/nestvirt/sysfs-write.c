/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "runtime.h"
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
        _cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                n--;
        buf[n] = 0;
        return 0;
}
