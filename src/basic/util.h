/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

/* NULL-terminated string vectors, as in systemd. */
char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
size_t strv_length(char * const *l);
int strv_push(char ***l, char *value);          /* takes ownership of value */
int strv_extend(char ***l, const char *value);  /* copies value */
bool strv_contains(char * const *l, const char *s);
void strv_sort(char **l);

char *strjoin_many(const char *first, ...) __attribute__((sentinel));
#define strjoin(...) strjoin_many(__VA_ARGS__, NULL)
int asprintf_safe(char **ret, const char *fmt, ...) _printf_(2, 3);
char *strstrip(char *s);
bool string_has_cc(const char *s);

/* Appends one zeroed element to an array of *N elements of SIZE bytes (capacity rounded up to
 * a power of two) and counts it in *N. Returns the new element, or NULL on OOM or overflow,
 * with the array and *N unchanged. */
void *array_append(void **array, size_t *n, size_t size);
#define ARRAY_APPEND(array, n) \
        ((__typeof__(&(array)[0])) array_append((void **) &(array), &(n), sizeof((array)[0])))

/* Growable string buffer, for building unit files and command lines. */
typedef struct StringBuffer {
        char *data;
        size_t length, allocated;
        bool oom;
} StringBuffer;

void sb_append(StringBuffer *b, const char *s);
void sb_append_n(StringBuffer *b, const char *s, size_t n);
void sb_append_char(StringBuffer *b, char c);
void sb_appendf(StringBuffer *b, const char *fmt, ...) _printf_(2, 3);
char *sb_steal(StringBuffer *b);   /* NULL on OOM */
void sb_done(StringBuffer *b);

/* snprintf() into a fixed path buffer: -ENAMETOOLONG rather than a silently truncated path. */
#define snprintf_path(buf, ...) ((size_t) snprintf((buf), sizeof(buf), __VA_ARGS__) >= sizeof(buf) ? -ENAMETOOLONG : 0)
/* Paths under an alternate root (NULL or "/" means the real root). */
char *path_under_root(const char *root, const char *path);
int read_full_file(const char *path, char **ret, size_t *ret_size);
int read_one_line_file(const char *path, char **ret);
int read_link_basename(const char *path, char **ret);
/* A sysfs attribute: one read (they come whole), trailing newline dropped. Returns its length. */
int read_attr_at(int dfd, const char *name, char *buf, size_t size);
bool path_is_absolute(const char *p);
bool path_is_normalized_absolute(const char *p);

int safe_atou(const char *s, unsigned *ret);
int safe_atou64(const char *s, uint64_t *ret);
int safe_atoi(const char *s, int *ret);
int parse_boolean(const char *s);   /* 1, 0, or -EINVAL */

unsigned levenshtein(const char *a, const char *b);

/* FNV-1a: stable across builds and machines, for derived names and digests (not security). */
#define FNV1A_INIT UINT64_C(0xcbf29ce484222325)
uint64_t fnv1a(uint64_t h, const void *data, size_t n);
