/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>

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

static bool is_masked(const char *real) {
        char buf[PATH_MAX];
        ssize_t n = readlink(real, buf, sizeof buf - 1);
        if (n < 0)
                return false;
        buf[n] = 0;
        /* Compare the link text: under --root the target must not be resolved on the host. */
        return streq(buf, "/dev/null");
}

static int push_file(ConfFile **files, size_t *n, const char *root, const char *logical) {
        _cleanup_(freep) char *real = path_under_root(root, logical);
        if (!real)
                return -ENOMEM;
        if (is_masked(real) || access(real, F_OK) < 0)
                return 0;
        ConfFile *f = realloc(*files, sizeof(ConfFile) * (*n + 1));
        if (!f)
                return -ENOMEM;
        *files = f;
        f[*n].logical = strdup(logical);
        if (!f[*n].logical)
                return -ENOMEM;
        f[*n].real = TAKE_PTR(real);
        (*n)++;
        return 0;
}

static int cmp_candidate(const void *a, const void *b) {
        const Candidate *x = a, *y = b;
        int r = strcmp(x->name, y->name);
        if (r != 0)
                return r;
        /* Same name: the winner (highest dir) first, so the others can be dropped. */
        return y->dir - x->dir;
}

static int collect_dir(const char *root, int dir, Candidate **c, size_t *n) {
        _cleanup_(freep) char *path = path_under_root(root, dropin_dirs[dir]);
        if (!path)
                return -ENOMEM;
        DIR *d = opendir(path);
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;

        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (de->d_name[0] == '.' || l < 6 || !streq(de->d_name + l - 5, ".conf"))
                        continue;
                Candidate *x = realloc(*c, sizeof(Candidate) * (*n + 1));
                if (!x) {
                        r = -ENOMEM;
                        break;
                }
                *c = x;
                x[*n] = (Candidate) { .name = strdup(de->d_name), .dir = dir };
                if (!x[*n].name) {
                        r = -ENOMEM;
                        break;
                }
                (*n)++;
        }
        closedir(d);
        return r;
}

int conf_files_list(const char *root, ConfFile **ret, size_t *ret_n) {
        Candidate *c = NULL;
        size_t n_c = 0, n = 0;
        ConfFile *files = NULL;
        int r = 0;

        for (int dir = 0; dir < N_DIRS && r >= 0; dir++)
                r = collect_dir(root, dir, &c, &n_c);
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

void conf_files_free(ConfFile *f, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(f[i].logical);
                free(f[i].real);
        }
        free(f);
}
