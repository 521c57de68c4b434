/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "initrd-record.h"
#include "runtime-paths.h"
#include "util.h"

void record_initrd_config(const char *root, uint64_t digest) {
        _cleanup_(freep) char *dir = path_under_root(root, "/run/nestvirt");
        _cleanup_(freep) char *stamp = path_under_root(root, INITRD_CONFIG_STAMP);
        char buf[32];
        if (!dir || !stamp)
                return;
        (void) mkdir(dir, 0755);
        snprintf(buf, sizeof buf, "%016" PRIx64 "\n", digest);
        _cleanup_(fclosep) FILE *f = fopen(stamp, "we");
        if (f)
                fputs(buf, f);
}
