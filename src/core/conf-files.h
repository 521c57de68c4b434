/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "diag.h"
#include "macro.h"

#define CONFIG_MAIN_FILE "/etc/nestvirt.conf"
/* A configuration is a few kilobytes; anything near this is not one. */
#define CONF_FILE_SIZE_MAX (1024 * 1024)

/* Root reads these files at every boot and runs what they say: what someone other than root
 * could have written is refused (files, the directories that hold them, link targets). */
typedef struct ConfPolicy {
        bool check_ownership;   /* owned by root, not writable by group or others */
        uid_t allow_owner;      /* with check_ownership: accept this owner as if it were root
                                 * (unprivileged image builds); 0 = root only */
} ConfPolicy;

struct stat;
/* Whether ST fails POLICY: 1 with *RET the reason and its fix ("owned by uid 1000, not root;
 * run chown root:root FIX", "writable by its group (mode 0775); run chmod go-w FIX"), 0 when it
 * passes, -ENOMEM. Looks only at ST. */
int conf_unsafe_owner(const ConfPolicy *policy, const struct stat *st, const char *fix, char **ret);
/* Walks PATH (resolved, no links) inside ROOT from its first directory down to PATH itself:
 * whoever can write one of them can swap what lies below. Returns 1 with the first component
 * POLICY refuses in *RET_PATH, the reason in *RET_WHY and whether it is a directory; 0 when
 * all pass; -errno of a failed stat() with *RET_PATH set; -ENOMEM. */
int conf_find_unsafe_component(const char *root, const ConfPolicy *policy, const char *path, char **ret_path,
                                char **ret_why, bool *ret_directory);

typedef struct ConfFile {
        char *logical;          /* /etc/nestvirt.conf.d/10-vm.conf */
        char *target;           /* where its links lead inside the root; the same when no link */
        char *real;             /* ROOT + target: what is opened */
        bool in_root;           /* listed under a root: its directories are checked too */
} ConfFile;

/* The files to read, lowest precedence first (DESIGN.md "Configuration"):
 * /usr/lib/nestvirt.conf.d/ drop-ins (vendor defaults), /etc/nestvirt.conf, then the
 * drop-ins of /run/nestvirt.conf.d/ and /etc/nestvirt.conf.d/ sorted by file name.
 * A name in /etc masks it in /run and /usr/lib, a name in /run masks it in /usr/lib,
 * and a symlink to /dev/null masks the name altogether. Missing files are skipped; a link
 * whose target is missing is listed (reading it says so). Links resolve inside ROOT.
 * A drop-in directory the policy refuses is skipped whole, with one error naming it in D. */
int conf_files_list(const char *root, const ConfPolicy *policy, Diagnostics *d, ConfFile **ret, size_t *ret_n);
/* --config FILE: that path on this system, links resolved. */
int conf_file_single(const char *path, ConfFile *ret);
/* Reads one file: refuses, with an error at WHERE (its logical path, owned by the caller), what
 * the policy refuses, anything but a regular file (without opening devices or blocking on a
 * FIFO), a file over CONF_FILE_SIZE_MAX and text that is not UTF-8 (at its line). Returns 1 and
 * the contents (NUL-terminated), 0 when refused, -ENOMEM. */
int conf_file_read(const char *root, const ConfFile *f, const ConfPolicy *policy, Location where, Diagnostics *d,
                   char **ret, size_t *ret_size);
void conf_file_done(ConfFile *f);
void conf_files_free(ConfFile *f, size_t n);
