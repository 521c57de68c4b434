/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Writes VALUE to the attribute PATH (sysfs attributes take one write). Returns -errno, logs nothing. */
int sysfs_write(const char *path, const char *value);
/* Reads the attribute PATH into BUF, trailing newline dropped. Returns -errno, logs nothing. */
int sysfs_read(const char *path, char *buf, size_t size);
