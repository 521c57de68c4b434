/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "chase.h"
#include "conf-files.h"
#include "util.h"

enum { DIR_USR, DIR_RUN, DIR_ETC, N_DIRS };
static const char *const dropin_dirs[N_DIRS] = {
        [DIR_USR] = "/usr/lib/nestvirt.conf.d",
        [DIR_RUN] = "/run/nestvirt.conf.d",
        [DIR_ETC] = "/etc/nestvirt.conf.d",
};

typedef struct Candidate {
        char *name;
        int dir;
} Candidate;

static bool owner_is_trusted(const ConfPolicy *p, uid_t uid) {
        return uid == 0 || (p->allow_owner != 0 && uid == p->allow_owner);
}

int conf_unsafe_owner(const ConfPolicy *p, const struct stat *st, const char *fix, char **ret) {
        int r;
        if (!p->check_ownership)
                return 0;
        if (!owner_is_trusted(p, st->st_uid))
                r = asprintf_safe(ret, "owned by uid %u, not root; run chown root:root %s", (unsigned) st->st_uid, fix);
        else if (st->st_mode & (S_IWGRP | S_IWOTH))
                r = asprintf_safe(ret, "writable by %s (mode %04o); run chmod go-w %s",
                                  (st->st_mode & S_IWOTH) ? "everyone" : "its group",
                                  (unsigned) (st->st_mode & 07777), fix);
        else
                return 0;
        return r < 0 ? r : 1;
}

/* One error when ST fails the policy. WHAT says what it is about when that is not the file at
 * WHERE itself ("directory /etc is "), FIX is the path in the command that fixes it. */
static bool report_unsafe(Diagnostics *d, Location where, const ConfPolicy *p, const struct stat *st,
                          const char *what, const char *fix, const char *consequence) {
        _cleanup_(freep) char *why = NULL;
        int r = conf_unsafe_owner(p, st, fix, &why);
        if (r == 0)
                return false;
        if (r < 0)
                d->oom = true;
        else
                diag_add(d, DIAG_ERROR, where, NULL, NULL, "refusing to read: %s%s%s", what, why, consequence);
        return true;
}

int conf_find_unsafe_component(const char *root, const ConfPolicy *p, const char *path, char **ret_path,
                                char **ret_why, bool *ret_directory) {
        _cleanup_(freep) char *prefix = strdup(path);
        if (!prefix)
                return -ENOMEM;
        for (char *s = prefix + 1;; s++) {
                if (*s && *s != '/')
                        continue;
                char saved = *s;
                *s = 0;
                if (prefix[1]) {
                        _cleanup_(freep) char *full = path_under_root(root, prefix);
                        struct stat st;
                        if (!full)
                                return -ENOMEM;
                        int r = stat(full, &st) < 0 ? -errno : conf_unsafe_owner(p, &st, prefix, ret_why);
                        if (r != 0) {
                                if (r != -ENOMEM && !(*ret_path = strdup(prefix)))
                                        r = -ENOMEM;
                                *ret_directory = r > 0 && S_ISDIR(st.st_mode);
                                return r;
                        }
                }
                if (!saved)
                        return 0;
                *s = saved;
        }
}

/* Whoever can write a directory on the way can swap the file or plant a link: check each one
 * below the root, from the top down. DIR is resolved (no links). 1: safe, 0: refused. */
static int check_directories(const char *root, const ConfPolicy *p, const char *dir, Diagnostics *d,
                             Location where, const char *consequence) {
        if (!p->check_ownership)
                return 1;
        _cleanup_(freep) char *bad = NULL, *why = NULL;
        bool directory;
        int r = conf_find_unsafe_component(root, p, dir, &bad, &why, &directory);
        if (r == 0 || r == -ENOENT)
                return 1;   /* ENOENT: nothing below to read, opening it says so */
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                diag_add(d, DIAG_ERROR, where, NULL, NULL, "refusing to read: cannot check directory %s: %s%s", bad,
                         strerror(-r), consequence);
        else
                diag_add(d, DIAG_ERROR, where, NULL, NULL, "refusing to read: directory %s is %s%s", bad, why, consequence);
        return 0;
}

static char *parent_of(const char *path) {
        char *p = strdup(path);
        if (!p)
                return NULL;
        char *slash = strrchr(p, '/');
        if (slash)
                slash[slash == p] = 0;   /* "/etc" -> "/" */
        return p;
}

/* Adds LOGICAL unless it is missing or masked. Its directory and any link resolve inside ROOT. */
static int push_file(ConfFile **files, size_t *n, const char *root, const char *logical) {
        _cleanup_(freep) char *dir = parent_of(logical), *dir_target = NULL, *in_root = NULL, *full = NULL;
        if (!dir)
                return -ENOMEM;
        int r = chase_in_root(root, dir, &dir_target);
        if (r <= 0)
                return r == 0 || r == -ENOTDIR ? 0 : r;   /* no directory, no file */
        in_root = strjoin(streq(dir_target, "/") ? "" : dir_target, strrchr(logical, '/'));
        full = in_root ? path_under_root(root, in_root) : NULL;
        if (!full)
                return -ENOMEM;
        struct stat st;
        if (lstat(full, &st) < 0 && errno == ENOENT)
                return 0;

        char *target = NULL;
        r = chase_in_root(root, in_root, &target);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                target = TAKE_PTR(in_root);   /* a link loop ...: opening it says so */
        if (streq(target, "/dev/null")) {   /* the mask; whether the root has a /dev or not */
                free(target);
                return 0;
        }
        ConfFile *f = ARRAY_APPEND(*files, *n);
        if (!f) {
                free(target);
                return -ENOMEM;
        }
        *f = (ConfFile) { .logical = strdup(logical), .target = target, .in_root = true };
        f->real = path_under_root(root, target);
        return f->logical && f->real ? 0 : -ENOMEM;
}

static int cmp_candidate(const void *a, const void *b) {
        const Candidate *x = a, *y = b;
        int r = strcmp(x->name, y->name);
        if (r != 0)
                return r;
        /* Same name: the winner (highest dir) first, so the others can be dropped. */
        return y->dir - x->dir;
}

static int collect_dir(const char *root, const ConfPolicy *p, Diagnostics *d, int dir, Candidate **c, size_t *n) {
        _cleanup_(freep) char *target = NULL, *path = NULL;
        int r = chase_in_root(root, dropin_dirs[dir], &target);
        if (r <= 0)
                return r == 0 || r == -ENOTDIR ? 0 : r;
        /* Anyone who can write here could mask a vendor drop-in or plant one: none of it counts. */
        r = check_directories(root, p, target, d, (Location) { dropin_dirs[dir], 0 }, "; none of its drop-ins is read");
        if (r <= 0)
                return r;
        path = path_under_root(root, target);
        if (!path)
                return -ENOMEM;
        DIR *dd = opendir(path);
        if (!dd)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;

        struct dirent *de;
        r = 0;
        while (r >= 0 && (de = readdir(dd))) {
                size_t l = strlen(de->d_name);
                if (de->d_name[0] == '.' || l < 6 || !streq(de->d_name + l - 5, ".conf"))
                        continue;
                Candidate *x = ARRAY_APPEND(*c, *n);
                if (!x || !(*x = (Candidate) { .name = strdup(de->d_name), .dir = dir }).name)
                        r = -ENOMEM;
        }
        closedir(dd);
        return r;
}

int conf_files_list(const char *root, const ConfPolicy *policy, Diagnostics *d, ConfFile **ret, size_t *ret_n) {
        Candidate *c = NULL;
        size_t n_c = 0, n = 0;
        ConfFile *files = NULL;
        int r = 0;

        for (int dir = 0; dir < N_DIRS && r >= 0; dir++)
                r = collect_dir(root, policy, d, dir, &c, &n_c);
        if (r < 0)
                goto finish;

        if (n_c > 0)   /* qsort() with a NULL array is undefined, even for 0 elements */
                qsort(c, n_c, sizeof(Candidate), cmp_candidate);

        /* Pass 1: vendor drop-ins that nothing overrides; pass 2: the main file;
         * pass 3: /run and /etc drop-ins, by name. */
        for (int pass = 1; pass <= 3 && r >= 0; pass++) {
                if (pass == 2) {
                        r = push_file(&files, &n, root, CONFIG_MAIN_FILE);
                        continue;
                }
                for (size_t i = 0; i < n_c && r >= 0; i++) {
                        if (i > 0 && streq(c[i].name, c[i - 1].name))
                                continue;   /* masked by a higher directory */
                        if ((pass == 1) != (c[i].dir == DIR_USR))
                                continue;
                        _cleanup_(freep) char *logical = strjoin(dropin_dirs[c[i].dir], "/", c[i].name);
                        r = logical ? push_file(&files, &n, root, logical) : -ENOMEM;
                }
        }

finish:
        for (size_t i = 0; i < n_c; i++)
                free(c[i].name);
        free(c);
        if (r < 0) {
                conf_files_free(files, n);
                return r;
        }
        *ret = files;
        *ret_n = n;
        return 0;
}

int conf_file_single(const char *path, ConfFile *ret) {
        _cleanup_(freep) char *abs = NULL, *cwd = NULL;
        if (!path_is_absolute(path) && !(cwd = getcwd(NULL, 0)))
                return -errno;
        abs = cwd ? strjoin(cwd, "/", path) : strdup(path);
        if (!abs)
                return -ENOMEM;
        char *resolved = NULL;
        int r = chase_in_root(NULL, abs, &resolved);
        if (r == -ENOMEM)
                return r;
        *ret = (ConfFile) {
                .logical = strdup(path),
                /* The target is named in messages only when it differs: a link. */
                .target = r >= 0 && !streq(resolved, abs) ? resolved : strdup(path),
                .real = r >= 0 ? strdup(resolved) : TAKE_PTR(abs),
        };
        if (ret->target != resolved)
                free(resolved);
        if (!ret->logical || !ret->target || !ret->real) {
                conf_file_done(ret);
                return -ENOMEM;
        }
        return 0;
}

static const char *file_type_name(mode_t mode) {
        return S_ISDIR(mode) ? "a directory"
             : S_ISFIFO(mode) ? "a FIFO (named pipe)"
             : S_ISCHR(mode) ? "a character device"
             : S_ISBLK(mode) ? "a block device"
             : S_ISSOCK(mode) ? "a socket"
             : S_ISLNK(mode) ? "a symbolic link"
             : "not a file";
}

static bool is_link(const ConfFile *f) {
        return !streq(f->target, f->logical);
}

static int report_cannot_open(Diagnostics *d, Location where, const char *root, const ConfFile *f, int error) {
        if (error == ENOENT && is_link(f))
                diag_add(d, DIAG_ERROR, where, NULL, NULL, "cannot open: it links to %s, which does not exist%s; "
                         "fix or remove the link", f->target, isempty(root) || streq(root, "/") ? "" : " in the root");
        else
                diag_add(d, DIAG_ERROR, where, NULL, NULL,
                         "cannot open: %s; check that it exists and is readable by root", strerror(error));
        return 0;
}

/* Opens what F names only if it is a regular file the policy accepts: a device is never opened
 * (that alone can act), a FIFO never waited on (the boot would hang). Returns 1 and the fd,
 * 0 when refused (reported), -ENOMEM. */
static int open_checked(const char *root, const ConfFile *f, const ConfPolicy *p, Location where, Diagnostics *d,
                        struct stat *st, int *ret_fd) {
        _cleanup_(freep) char *what = NULL, *parent = NULL;
        if (asprintf_safe(&what, "its link target %s is ", f->target) < 0)
                return -ENOMEM;
        if (f->in_root) {
                if (!(parent = parent_of(f->target)))
                        return -ENOMEM;
                int r = check_directories(root, p, parent, d, where, "");
                if (r <= 0)
                        return r;
        }
        if (lstat(f->real, st) < 0)
                return report_cannot_open(d, where, root, f, errno);
        if (!S_ISREG(st->st_mode)) {
                if (S_ISLNK(st->st_mode))   /* the real path is resolved: only a loop leaves a link */
                        return report_cannot_open(d, where, root, f, ELOOP);
                diag_add(d, DIAG_ERROR, where, NULL, NULL, "refusing to read: %s%s, not a regular file; replace it "
                         "with one (a link to /dev/null masks a drop-in)", is_link(f) ? what : "it is ",
                         file_type_name(st->st_mode));
                return 0;
        }
        _cleanup_(closep) int fd = open(f->real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
        if (fd < 0)
                return report_cannot_open(d, where, root, f, errno);
        struct stat opened;
        if (fstat(fd, &opened) < 0 || opened.st_dev != st->st_dev || opened.st_ino != st->st_ino) {
                diag_add(d, DIAG_ERROR, where, NULL, NULL, "refusing to read: it was replaced while being read; try again");
                return 0;
        }
        *st = opened;
        if (report_unsafe(d, where, p, st, is_link(f) ? what : "", is_link(f) ? f->target : f->logical, ""))
                return 0;
        *ret_fd = fd;
        fd = -1;
        return 1;
}

/* Reads at most CONF_FILE_SIZE_MAX bytes: -EFBIG beyond (the size can lie: /proc, a growing file). */
static int read_bounded(int fd, char **ret, size_t *ret_size) {
        size_t n = 0, allocated = 4096;
        _cleanup_(freep) char *buf = malloc(allocated + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (n == allocated) {
                        allocated *= 2;
                        char *b = realloc(buf, allocated + 1);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                ssize_t k = read(fd, buf + n, allocated - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += k;
                if (n > CONF_FILE_SIZE_MAX)
                        return -EFBIG;
        }
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

/* Control bytes make the file binary: the parser says so, once for the file. */
static bool has_control_bytes(const char *data, size_t size) {
        for (size_t i = 0; i < size; i++) {
                unsigned char c = data[i];
                if ((c < 0x20 && !strchr("\t\n\v\f\r", c)) || c == 0x7f)
                        return true;
        }
        return false;
}

/* The first byte that does not start a well-formed UTF-8 sequence (no overlong forms, no
 * surrogates, nothing above U+10FFFF), or NULL. */
static const char *find_invalid_utf8(const char *data, size_t size) {
        const unsigned char *p = (const unsigned char *) data, *end = p + size;
        while (p < end) {
                unsigned n;
                uint32_t c = *p, min;
                if (c < 0x80) {
                        p++;
                        continue;
                }
                if ((c & 0xe0) == 0xc0)
                        n = 1, min = 0x80, c &= 0x1f;
                else if ((c & 0xf0) == 0xe0)
                        n = 2, min = 0x800, c &= 0x0f;
                else if ((c & 0xf8) == 0xf0)
                        n = 3, min = 0x10000, c &= 0x07;
                else
                        return (const char *) p;
                if ((size_t) (end - p) < n + 1)
                        return (const char *) p;
                for (unsigned i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return (const char *) p;
                        c = c << 6 | (p[i] & 0x3f);
                }
                if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                        return (const char *) p;
                p += n + 1;
        }
        return NULL;
}

int conf_file_read(const char *root, const ConfFile *f, const ConfPolicy *policy, Location where, Diagnostics *d,
                   char **ret, size_t *ret_size) {
        struct stat st;
        _cleanup_(closep) int fd = -1;
        int r = open_checked(root, f, policy, where, d, &st, &fd);
        if (r <= 0)
                return r;

        _cleanup_(freep) char *data = NULL;
        size_t size = 0;
        r = st.st_size > CONF_FILE_SIZE_MAX ? -EFBIG : read_bounded(fd, &data, &size);
        if (r == -EFBIG)
                diag_add(d, DIAG_ERROR, where, NULL, NULL, "refusing to read: larger than %u KiB, no configuration "
                         "is that big; check what was written to %s", CONF_FILE_SIZE_MAX / 1024, f->logical);
        else if (r < 0 && r != -ENOMEM)
                diag_add(d, DIAG_ERROR, where, NULL, NULL, "cannot read: %s", strerror(-r));
        if (r < 0)
                return r == -ENOMEM ? r : 0;

        /* Units, the journal and JSON output all expect UTF-8: stop bad bytes at their line. */
        const char *bad = has_control_bytes(data, size) ? NULL : find_invalid_utf8(data, size);
        if (bad) {
                unsigned line = 1;
                for (const char *q = data; q < bad; q++)
                        line += *q == '\n';
                diag_add(d, DIAG_ERROR, (Location) { where.file, line }, NULL, NULL,
                         "not valid UTF-8 (byte 0x%02x), the file is not read; save it as UTF-8",
                         (unsigned char) *bad);
                return 0;
        }
        *ret = TAKE_PTR(data);
        *ret_size = size;
        return 1;
}

void conf_file_done(ConfFile *f) {
        free(f->logical);
        free(f->target);
        free(f->real);
        *f = (ConfFile) {};
}

void conf_files_free(ConfFile *f, size_t n) {
        for (size_t i = 0; i < n; i++)
                conf_file_done(&f[i]);
        free(f);
}
