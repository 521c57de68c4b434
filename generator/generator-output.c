/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "generator-output.h"
#include "log.h"
#include "util.h"

static int write_all(int fd, const char *s, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, s, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                s += k;
                n -= k;
        }
        return 0;
}

int generator_write_file(const char *dir, const char *name, const char *content) {
        _cleanup_(freep) char *path = strjoin(dir, "/", name);
        _cleanup_(freep) char *tmp = strjoin(dir, "/.#", name, "XXXXXX");
        if (!path || !tmp)
                return log_oom();

        _cleanup_(closep) int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create %s: %m", tmp);

        int r = write_all(fd, content, strlen(content));
        if (r >= 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return log_error_errno(r, "Failed to write %s: %m", path);
        }
        return 0;
}

int generator_add_wants(const char *dir, const char *unit, const char *name, const char *target) {
        _cleanup_(freep) char *wants = strjoin(dir, "/", unit, ".wants");
        _cleanup_(freep) char *link = strjoin(dir, "/", unit, ".wants/", name);
        if (!wants || !link)
                return log_oom();

        if (mkdir(wants, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", wants);
        if (symlink(target, link) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create symlink %s: %m", link);
        return 0;
}
