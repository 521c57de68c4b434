/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "macro.h"

#define CONFIG_MAIN_FILE "/etc/nestvirt.conf"

typedef struct ConfFile {
        char *logical;   /* /etc/nestvirt.conf.d/10-vm.conf */
        char *real;      /* ROOT/etc/nestvirt.conf.d/10-vm.conf */
} ConfFile;

/* The files to read, lowest precedence first (DESIGN.md "Configuration"):
 * /usr/lib/nestvirt.conf.d/ drop-ins (vendor defaults), /etc/nestvirt.conf, then the
 * drop-ins of /run/nestvirt.conf.d/ and /etc/nestvirt.conf.d/ sorted by file name.
 * A name in /etc masks it in /run and /usr/lib, a name in /run masks it in /usr/lib,
 * and a symlink to /dev/null masks the name altogether. Missing files are skipped. */
int conf_files_list(const char *root, ConfFile **ret, size_t *ret_n);
void conf_files_free(ConfFile *f, size_t n);
