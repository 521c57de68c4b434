/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Reads an initramfs the way the kernel unpacks it: one or more concatenated cpio (newc)
 * archives, each uncompressed (early microcode, usually first) or compressed. A compressed
 * part is piped through the decompressor its magic names, found on PATH (gzip, zstd, xz,
 * lz4, bzip2, lzop); it runs to the end of the file, as the kernel's does. Lists every entry
 * and keeps the contents of the small files the caller wants. Writes nothing. */

#define INITRAMFS_FILE_MAX (1024 * 1024)   /* contents kept up to this size */

typedef struct InitramfsEntry {
        char *name;      /* "usr/bin/nestvirt": no leading "./" or "/" */
        mode_t mode;
        size_t size;
        char *data;      /* NUL-terminated: wanted regular files up to INITRAMFS_FILE_MAX, link targets */
} InitramfsEntry;

typedef struct Initramfs {
        InitramfsEntry *entries;   /* a later entry of the same name replaces the earlier one */
        size_t n;
} Initramfs;

/* Should the contents of regular file NAME be kept? */
typedef bool (*InitramfsWant)(const char *name);

/* Returns 0, or -errno with a sentence in ERROR that says what failed ("it is
 * zstd-compressed and zstd is not installed here", "truncated cpio header at byte N"). */
int initramfs_read(const char *path, InitramfsWant want, Initramfs *ret, char *error, size_t error_size);
/* The entry PATH ("/usr/bin/x" or "usr/bin/x") names inside the archive, links of the archive
 * (bin -> usr/bin) followed; NULL when there is none. */
const InitramfsEntry *initramfs_find(const Initramfs *i, const char *path);
void initramfs_done(Initramfs *i);
