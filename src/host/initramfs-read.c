/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "initramfs-read.h"
#include "util.h"

extern char **environ;

#define CPIO_HEADER 110
#define CPIO_NAME_MAX 4096

/* A stream (the file, or a decompressor's output) read through a buffer that can be peeked. */
typedef struct Reader {
        int fd;
        uint64_t offset;          /* bytes consumed from the stream */
        size_t pos, len;
        uint8_t buf[65536];
} Reader;

static const struct {
        uint8_t magic[6];
        size_t size;
        const char *tool;
} decompressors[] = {
        { { 0x1f, 0x8b }, 2, "gzip" },
        { { 0x28, 0xb5, 0x2f, 0xfd }, 4, "zstd" },
        { { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, "xz" },
        { { 0x02, 0x21, 0x4c, 0x18 }, 4, "lz4" },   /* the legacy frame the kernel reads */
        { { 0x04, 0x22, 0x4d, 0x18 }, 4, "lz4" },
        { { 'B', 'Z', 'h' }, 3, "bzip2" },
        { { 0x89, 'L', 'Z', 'O' }, 4, "lzop" },
};

static int say(char *error, size_t size, int r, const char *fmt, ...) _printf_(4, 5);
static int say(char *error, size_t size, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(error, size, fmt, ap);
        va_end(ap);
        return r;
}

/* At least N (<= sizeof buf) bytes buffered, unless the stream ends first. Returns how many. */
static ssize_t peek(Reader *r, size_t n) {
        if (r->pos > 0 && r->len - r->pos < n) {
                memmove(r->buf, r->buf + r->pos, r->len - r->pos);
                r->len -= r->pos;
                r->pos = 0;
        }
        while (r->len - r->pos < n) {
                ssize_t k = read(r->fd, r->buf + r->len, sizeof r->buf - r->len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                r->len += k;
        }
        return r->len - r->pos;
}

/* Consumes N bytes, copied to DST unless it is NULL. -ENODATA when the stream ends first. */
static int take(Reader *r, void *dst, uint64_t n) {
        while (n > 0) {
                ssize_t have = peek(r, 1);
                if (have < 0)
                        return have;
                if (have == 0)
                        return -ENODATA;
                size_t k = MIN((uint64_t) have, n);
                if (dst) {
                        memcpy(dst, r->buf + r->pos, k);
                        dst = (uint8_t *) dst + k;
                }
                r->pos += k;
                r->offset += k;
                n -= k;
        }
        return 0;
}

static int align4(Reader *r) {
        return take(r, NULL, (4 - r->offset % 4) % 4);
}

static const char *normalize_name(const char *name) {
        for (;;) {
                if (name[0] == '/')
                        name++;
                else if (name[0] == '.' && name[1] == '/')
                        name += 2;
                else
                        return name;
        }
}

static int add_entry(Initramfs *i, const char *name, mode_t mode, size_t size, char *data) {
        InitramfsEntry *e = ARRAY_APPEND(i->entries, i->n);
        if (!e)
                return -ENOMEM;
        *e = (InitramfsEntry) { .name = strdup(name), .mode = mode, .size = size, .data = data };
        return e->name ? 0 : -ENOMEM;
}

static bool parse_hex(const char *s, uint32_t *ret) {
        uint32_t v = 0;
        for (int k = 0; k < 8; k++) {
                char c = s[k];
                int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (d < 0)
                        return false;
                v = v << 4 | (uint32_t) d;
        }
        *ret = v;
        return true;
}

/* One cpio entry; sets *TRAILER at the end of an archive. */
static int read_entry(Reader *r, InitramfsWant want, Initramfs *out, bool *trailer, char *error, size_t esize) {
        uint64_t at = r->offset;
        char h[CPIO_HEADER + 1] = {};
        uint32_t f[13];
        if (take(r, h, CPIO_HEADER) < 0)
                return say(error, esize, -EBADMSG, "truncated cpio header at byte %" PRIu64, at);
        for (int k = 0; k < 13; k++)
                if (!parse_hex(h + 6 + 8 * k, &f[k]))
                        return say(error, esize, -EBADMSG, "bad cpio header at byte %" PRIu64, at);
        uint32_t mode = f[1], size = f[6], namesize = f[11];
        if (namesize == 0 || namesize > CPIO_NAME_MAX)
                return say(error, esize, -EBADMSG, "bad name size in the cpio header at byte %" PRIu64, at);
        char name[CPIO_NAME_MAX + 1] = {};
        if (take(r, name, namesize) < 0 || align4(r) < 0)
                return say(error, esize, -EBADMSG, "truncated cpio entry at byte %" PRIu64, at);
        *trailer = streq(name, "TRAILER!!!");
        const char *n = normalize_name(name);

        _cleanup_(freep) char *data = NULL;
        bool keep = (S_ISLNK(mode) && size < PATH_MAX) ||
                    (S_ISREG(mode) && size <= INITRAMFS_FILE_MAX && !*trailer && want && want(n));
        if (keep && !(data = calloc(1, size + 1)))
                return -ENOMEM;
        if (take(r, data, size) < 0 || align4(r) < 0)
                return say(error, esize, -EBADMSG, "truncated contents of %s at byte %" PRIu64, n, at);
        if (*trailer || !*n || streq(n, "."))
                return 0;
        int k = add_entry(out, n, mode, size, data);
        if (k >= 0)
                data = NULL;
        return k;
}

/* Archives until the stream ends (0) or, with STOP_AT_OTHER, until data that is not cpio
 * starts (1: a compressed part). Zero padding between archives is skipped. */
static int read_archives(Reader *r, bool stop_at_other, InitramfsWant want, Initramfs *out, unsigned *archives,
                         char *error, size_t esize) {
        for (;;) {
                ssize_t have = peek(r, 6);
                if (have < 0)
                        return say(error, esize, have, "cannot read: %s", strerror(-have));
                if (have < 4)
                        return 0;
                const uint8_t *p = r->buf + r->pos;
                if (!p[0] && !p[1] && !p[2] && !p[3]) {
                        (void) take(r, NULL, 4);
                        continue;
                }
                if (have < 6 || (memcmp(p, "070701", 6) != 0 && memcmp(p, "070702", 6) != 0)) {
                        if (stop_at_other)
                                return 1;
                        return say(error, esize, -EBADMSG, "data that is not cpio at byte %" PRIu64, r->offset);
                }
                bool trailer = false;
                int k = read_entry(r, want, out, &trailer, error, esize);
                if (k < 0)
                        return k;
                *archives += trailer;
        }
}

static int spawn_decompressor(const char *tool, int input, pid_t *ret_pid, int *ret_fd) {
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, input, 0);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        char *argv[] = { (char *) tool, (char *) "-dc", NULL };
        int r = posix_spawnp(ret_pid, tool, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (r != 0) {
                close(pipefd[0]);
                return -r;
        }
        *ret_fd = pipefd[0];
        return 0;
}

/* The rest of the file, from R's offset, through TOOL. */
static int read_compressed(Reader *file, const char *tool, InitramfsWant want, Initramfs *out, char *error,
                           size_t esize) {
        uint64_t at = file->offset;
        if (lseek(file->fd, (off_t) at, SEEK_SET) < 0)
                return say(error, esize, -errno, "cannot seek: %s", strerror(errno));
        pid_t pid;
        _cleanup_(freep) Reader *r = calloc(1, sizeof(Reader));
        if (!r)
                return -ENOMEM;
        int k = spawn_decompressor(tool, file->fd, &pid, &r->fd);
        if (k == -ENOENT)
                return say(error, esize, k, "its part at byte %" PRIu64 " is %s-compressed and %s is not installed "
                           "here (not on PATH); install %s", at, tool, tool, tool);
        if (k < 0)
                return say(error, esize, k, "cannot run %s: %s", tool, strerror(-k));
        unsigned archives = 0;
        k = read_archives(r, false, want, out, &archives, error, esize);
        close(r->fd);   /* a decompressor still writing gets SIGPIPE */
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (k >= 0 && archives == 0)
                return say(error, esize, -EBADMSG, "%s -dc of its part at byte %" PRIu64 " gave no cpio archive "
                           "(exit status %d): the file is damaged", tool, at,
                           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        return k;
}

int initramfs_read(const char *path, InitramfsWant want, Initramfs *ret, char *error, size_t error_size) {
        Initramfs out = {};
        _cleanup_(freep) Reader *r = calloc(1, sizeof(Reader));
        if (!r)
                return -ENOMEM;
        _cleanup_(closep) int fd = r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return say(error, error_size, -errno, "cannot open it: %s", strerror(errno));
        unsigned archives = 0;
        int k = read_archives(r, true, want, &out, &archives, error, error_size);
        if (k == 1) {
                const uint8_t *p = r->buf + r->pos;
                size_t have = r->len - r->pos;
                const char *tool = NULL;
                for (size_t i = 0; i < ELEMENTSOF(decompressors) && !tool; i++)
                        if (have >= decompressors[i].size && memcmp(p, decompressors[i].magic, decompressors[i].size) == 0)
                                tool = decompressors[i].tool;
                k = tool ? read_compressed(r, tool, want, &out, error, error_size)
                         : say(error, error_size, -EBADMSG, "neither cpio nor a compression format known here at "
                               "byte %" PRIu64, r->offset);
        } else if (k == 0 && archives == 0)
                k = say(error, error_size, -EBADMSG, "no cpio archive in it");
        if (k < 0) {
                initramfs_done(&out);
                return k;
        }
        *ret = out;
        return 0;
}

static const InitramfsEntry *find_exact(const Initramfs *i, const char *name, size_t len) {
        for (size_t k = i->n; k > 0; k--)   /* the last entry of a name wins */
                if (strlen(i->entries[k - 1].name) == len && strncmp(i->entries[k - 1].name, name, len) == 0)
                        return &i->entries[k - 1];
        return NULL;
}

/* "a/./b/../c" -> "a/c" in place; ".." never climbs above the top. */
static void squash_dots(char *p) {
        char *out = p;
        for (char *s = p; *s;) {
                char *e = strchrnul(s, '/');
                size_t l = e - s;
                if ((l == 1 && s[0] == '.') || l == 0) {
                } else if (l == 2 && s[0] == '.' && s[1] == '.') {
                        while (out > p && *--out != '/')
                                ;
                } else {
                        if (out > p)
                                *out++ = '/';
                        memmove(out, s, l);
                        out += l;
                }
                s = *e ? e + 1 : e;
        }
        *out = 0;
}

const InitramfsEntry *initramfs_find(const Initramfs *i, const char *path) {
        char cur[PATH_MAX];
        if (snprintf_path(cur, "%s", normalize_name(path)) < 0)
                return NULL;
        squash_dots(cur);
        for (unsigned hops = 0; hops < 32; hops++) {
                bool followed = false;
                for (char *s = cur; !followed; s++) {
                        if (*s && *s != '/')
                                continue;
                        const InitramfsEntry *e = find_exact(i, cur, s - cur);
                        if (e && S_ISLNK(e->mode) && e->data) {
                                char next[PATH_MAX];
                                int dir = (int) (s - cur);
                                while (dir > 0 && cur[dir - 1] != '/')
                                        dir--;
                                if (e->data[0] == '/' ? snprintf_path(next, "%s%s", e->data, s) < 0
                                                      : snprintf_path(next, "%.*s%s%s", dir, cur, e->data, s) < 0)
                                        return NULL;
                                snprintf(cur, sizeof cur, "%s", normalize_name(next));
                                squash_dots(cur);
                                followed = true;
                        } else if (!*s)
                                return e;
                }
        }
        return NULL;   /* a loop of links */
}

void initramfs_done(Initramfs *i) {
        for (size_t k = 0; k < i->n; k++) {
                free(i->entries[k].name);
                free(i->entries[k].data);
        }
        free(i->entries);
        *i = (Initramfs) {};
}
