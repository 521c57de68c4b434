/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <time.h>

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

bool vfio_group_node_exists(const char *root, int group, unsigned wait_ms) {
        char rel[64];
        if (group < 0)
                return false;
        snprintf(rel, sizeof rel, "/dev/vfio/%d", group);
        _cleanup_(freep) char *p = path_under_root(root, rel);
        for (unsigned waited = 0;; waited += 50) {
                if (p && access(p, F_OK) >= 0)
                        return true;
                if (waited >= wait_ms)
                        return false;
                nanosleep(&(struct timespec) { .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
}
