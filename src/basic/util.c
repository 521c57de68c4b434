/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <sys/stat.h>

#include "util.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;
        if (l)
                while (l[n])
                        n++;
        return n;
}

void *array_append(void **array, size_t *n, size_t size) {
        size_t capacity = 4;
        char *grown;

        /* Always realloc, to the next power of two: correct whoever allocated the array, and
         * realloc within the block malloc already gave is cheap. */
        while (capacity < *n + 1) {
                if (capacity > SIZE_MAX / 2)
                        return NULL;
                capacity *= 2;
        }
        if (size == 0 || capacity > SIZE_MAX / size)
                return NULL;
        grown = realloc(*array, capacity * size);
        if (!grown)
                return NULL;
        *array = grown;
        memset(grown + *n * size, 0, size);
        return grown + (*n)++ * size;
}

int strv_push(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c = realloc(*l, sizeof(char *) * (n + 2));
        if (!c) {
                free(value);
                return -ENOMEM;
        }
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        char *v = strdup(value);
        if (!v)
                return -ENOMEM;
        return strv_push(l, v);
}

bool strv_contains(char * const *l, const char *s) {
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

void strv_sort(char **l) {
        if (l)
                qsort(l, strv_length(l), sizeof(char *), cmp_str);
}

char *strjoin_many(const char *first, ...) {
        va_list ap;
        size_t len = 0;

        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                len += strlen(s);
        va_end(ap);

        char *r = malloc(len + 1), *p = r;
        if (!r)
                return NULL;
        va_start(ap, first);
        for (const char *s = first; s; s = va_arg(ap, const char *))
                p = stpcpy(p, s);
        va_end(ap);
        *p = 0;
        return r;
}

int asprintf_safe(char **ret, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(ret, fmt, ap);
        va_end(ap);
        if (r < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

char *strstrip(char *s) {
        while (isspace((unsigned char) *s))
                s++;
        size_t l = strlen(s);
        while (l > 0 && isspace((unsigned char) s[l - 1]))
                s[--l] = 0;
        return s;
}

bool string_has_cc(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 127)
                        return true;
        return false;
}

static void sb_reserve(StringBuffer *b, size_t extra) {
        if (b->oom)
                return;
        if (b->length + extra + 1 <= b->allocated)
                return;
        size_t n = MAX(b->allocated * 2, b->length + extra + 1);
        n = MAX(n, (size_t) 256);
        char *d = realloc(b->data, n);
        if (!d) {
                b->oom = true;
                return;
        }
        b->data = d;
        b->allocated = n;
}

void sb_append_n(StringBuffer *b, const char *s, size_t n) {
        sb_reserve(b, n);
        if (b->oom)
                return;
        memcpy(b->data + b->length, s, n);
        b->length += n;
        b->data[b->length] = 0;
}

void sb_append(StringBuffer *b, const char *s) {
        sb_append_n(b, s, strlen(s));
}

void sb_append_char(StringBuffer *b, char c) {
        sb_append_n(b, &c, 1);
}

void sb_appendf(StringBuffer *b, const char *fmt, ...) {
        va_list ap;
        char buf[256];

        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->oom = true;
                return;
        }
        if ((size_t) n < sizeof buf) {
                sb_append_n(b, buf, n);
                return;
        }
        sb_reserve(b, n);
        if (b->oom)
                return;
        va_start(ap, fmt);
        vsnprintf(b->data + b->length, n + 1, fmt, ap);
        va_end(ap);
        b->length += n;
}

char *sb_steal(StringBuffer *b) {
        if (b->oom) {
                sb_done(b);
                return NULL;
        }
        if (!b->data)
                return strdup("");
        char *r = b->data;
        *b = (StringBuffer) {};
        return r;
}

void sb_done(StringBuffer *b) {
        free(b->data);
        *b = (StringBuffer) {};
}

char *path_under_root(const char *root, const char *path) {
        if (isempty(root) || streq(root, "/"))
                return strdup(path);
        size_t l = strlen(root);
        while (l > 1 && root[l - 1] == '/')
                l--;
        char *r;
        if (asprintf(&r, "%.*s%s%s", (int) l, root, path[0] == '/' ? "" : "/", path) < 0)
                return NULL;
        return r;
}

int read_full_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        size_t n = 0, allocated = 4096;
        _cleanup_(freep) char *buf = malloc(allocated + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (n == allocated) {
                        if (allocated >= 64u * 1024 * 1024)
                                return -EFBIG;
                        allocated *= 2;
                        char *b = realloc(buf, allocated + 1);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                ssize_t k = read(fd, buf + n, allocated - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += k;
        }
        buf[n] = 0;
        if (ret_size)
                *ret_size = n;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_one_line_file(const char *path, char **ret) {
        char *s;
        int r = read_full_file(path, &s, NULL);
        if (r < 0)
                return r;
        s[strcspn(s, "\n")] = 0;
        *ret = s;
        return 0;
}

int read_link_basename(const char *path, char **ret) {
        char buf[PATH_MAX];
        ssize_t n = readlink(path, buf, sizeof buf);
        if (n < 0)
                return -errno;
        if ((size_t) n >= sizeof buf)
                return -ENAMETOOLONG;   /* readlink() truncates silently */
        buf[n] = 0;
        const char *b = strrchr(buf, '/');
        char *s = strdup(b ? b + 1 : buf);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

bool path_is_absolute(const char *p) {
        return p && p[0] == '/';
}

/* Absolute, no "." or ".." components, no empty components, no control characters. */
bool path_is_normalized_absolute(const char *p) {
        if (!path_is_absolute(p) || string_has_cc(p))
                return false;
        for (const char *c = p; *c;) {
                while (*c == '/')
                        c++;
                size_t l = strcspn(c, "/");
                if ((l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                c += l;
        }
        return strstr(p, "//") == NULL;
}

int safe_atou64(const char *s, uint64_t *ret) {
        if (isempty(s) || !isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int safe_atou(const char *s, unsigned *ret) {
        uint64_t v;
        int r = safe_atou64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int safe_atoi(const char *s, int *ret) {
        if (isempty(s))
                return -EINVAL;
        errno = 0;
        char *end;
        long v = strtol(s, &end, 10);
        if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
                return -ERANGE;
        if (*end)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

int parse_boolean(const char *s) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

unsigned levenshtein(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        if (la > 64 || lb > 64)
                return UINT_MAX;
        unsigned row[65];
        for (size_t j = 0; j <= lb; j++)
                row[j] = j;
        for (size_t i = 1; i <= la; i++) {
                unsigned prev = row[0];
                row[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned cur = row[j];
                        unsigned cost = tolower((unsigned char) a[i - 1]) != tolower((unsigned char) b[j - 1]);
                        row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), prev + cost);
                        prev = cur;
                }
        }
        return row[lb];
}

uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
        const unsigned char *p = data;
        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

int read_attr_at(int dfd, const char *name, char *buf, size_t size) {
        _cleanup_(closep) int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                n--;
        buf[n] = 0;
        return (int) n;
}
