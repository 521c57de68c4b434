/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "hugepages.h"
#include "sysfs-write.h"
#include "util.h"

char *hugepages_pool_path(const char *root, bool per_node, unsigned node, const char *attr) {
        char rel[128];
        if (per_node)
                snprintf(rel, sizeof rel, "/sys/devices/system/node/node%u/" HUGEPAGES_GIGANTIC_DIR "/%s", node, attr);
        else
                snprintf(rel, sizeof rel, "/sys/kernel/mm/" HUGEPAGES_GIGANTIC_DIR "/%s", attr);
        return path_under_root(root, rel);
}

int hugepages_pool_read(const char *path, uint64_t *ret) {
        char buf[32];
        int r = sysfs_read(path, buf, sizeof buf);
        return r < 0 ? r : safe_atou64(buf, ret);
}

int hugepages_pool_reserve(const char *path, uint64_t want, uint64_t *ret_before, uint64_t *ret_after) {
        uint64_t before = 0, after;
        char buf[32];

        *ret_before = *ret_after = 0;
        int r = hugepages_pool_read(path, &before);
        if (r < 0)
                return r;
        *ret_before = *ret_after = after = before;
        if (before >= want)
                return 0;

        snprintf(buf, sizeof buf, "%" PRIu64, want);
        r = sysfs_write(path, buf);
        int k = hugepages_pool_read(path, &after);   /* unchanged when it fails */
        *ret_after = after;
        return r < 0 ? r : k;
}
