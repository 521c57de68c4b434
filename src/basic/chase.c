/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "chase.h"
#include "util.h"

#define CHASE_LINKS_MAX 32

/* The text of the link at PATH, however long. */
static int readlink_malloc(const char *path, char **ret) {
        for (size_t size = 256;; size *= 2) {
                _cleanup_(freep) char *buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
                ssize_t n = readlink(path, buf, size);
                if (n < 0)
                        return -errno;
                if ((size_t) n < size) {
                        buf[n] = 0;
                        *ret = TAKE_PTR(buf);
                        return 0;
                }
                if (size >= 65536)
                        return -ENAMETOOLONG;
        }
}

/* "/a/b" -> "/a", "/a" -> "" (the root): ".." stops at the root. */
static void drop_last_component(char *done) {
        char *slash = strrchr(done, '/');
        if (slash)
                *slash = 0;
}

/* Replaces *todo with LINK's text followed by REST (what was left after the link: "" or "/..."). */
static int splice_link(char **todo, const char *link, const char *rest) {
        char *t = strjoin(link, rest);
        if (!t)
                return -ENOMEM;
        free(*todo);
        *todo = t;
        return 0;
}

int chase_in_root(const char *root, const char *path, char **ret) {
        if (!path_is_absolute(path))
                return -EINVAL;
        _cleanup_(freep) char *todo = strdup(path), *done = strdup("");   /* done: "" is the root */
        if (!todo || !done)
                return -ENOMEM;
        unsigned links = 0;
        bool exists = true;
        size_t at = 0;
        int r;

        for (;;) {
                at += strspn(todo + at, "/");
                if (!todo[at])
                        break;
                const char *p = todo + at;
                size_t l = strcspn(p, "/");
                at += l;
                if (l == 1 && p[0] == '.')
                        continue;
                if (l == 2 && p[0] == '.' && p[1] == '.') {
                        drop_last_component(done);
                        continue;
                }
                _cleanup_(freep) char *next = NULL;
                if (asprintf_safe(&next, "%s/%.*s", done, (int) l, p) < 0)
                        return -ENOMEM;
                if (!exists) {   /* below a missing component nothing can be a link: just append */
                        free(done);
                        done = TAKE_PTR(next);
                        continue;
                }
                _cleanup_(freep) char *full = path_under_root(root, next);
                if (!full)
                        return -ENOMEM;
                struct stat st;
                if (lstat(full, &st) < 0) {
                        if (errno != ENOENT)
                                return -errno;
                        exists = false;
                } else if (S_ISLNK(st.st_mode)) {
                        if (++links > CHASE_LINKS_MAX)
                                return -ELOOP;
                        _cleanup_(freep) char *target = NULL;
                        r = readlink_malloc(full, &target);
                        if (r < 0)
                                return r;
                        if (target[0] == '/')
                                done[0] = 0;   /* absolute: from the root, not from the host's / */
                        r = splice_link(&todo, target, todo + at);
                        if (r < 0)
                                return r;
                        at = 0;
                        continue;
                } else if (todo[at + strspn(todo + at, "/")] && !S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                free(done);
                done = TAKE_PTR(next);
        }

        char *resolved = done[0] ? TAKE_PTR(done) : strdup("/");
        if (!resolved)
                return -ENOMEM;
        *ret = resolved;
        return exists;
}
