/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "macro.h"

/* The kernel's pool of 1 GiB pages, below /sys/kernel/mm/ or below each NUMA node. */
#define HUGEPAGES_GIGANTIC_DIR "hugepages/hugepages-1048576kB"

/* ROOT's ATTR ("nr_hugepages", "free_hugepages") of NODE's 1 GiB pool, or of the system-wide
 * pool when the kernel has no NUMA nodes (!PER_NODE). NULL on OOM. */
char *hugepages_pool_path(const char *root, bool per_node, unsigned node, const char *attr);
/* A count of pages, read from PATH. Returns -errno, logs nothing. */
int hugepages_pool_read(const char *path, uint64_t *ret);
/* Tops the pool whose nr_hugepages is PATH up to WANT pages; never shrinks it (pages may be in
 * use, and after switch-root this only tops up). The kernel succeeds and silently gives fewer
 * pages, so the count is read back: *RET_AFTER is what the pool has now, *RET_BEFORE what it
 * had (both 0 when even the first read failed). Returns -errno of the first read, else of the
 * write, else of the read-back; logs nothing. */
int hugepages_pool_reserve(const char *path, uint64_t want, uint64_t *ret_before, uint64_t *ret_after);
