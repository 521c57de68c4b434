/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "diag.h"

/* The configuration files a boot would read, each checked by the config reader's own policy
 * (conf-files.h: regular files owned by root, not writable by group or others, and so their
 * directories and link targets, links resolved inside the root), with their contents. What
 * `nestvirt config-files` prints for the initramfs builders, and what `check` compares the
 * initramfs's copies with: both see exactly the files the running system would accept. */
typedef struct AcceptedFile {
        char *logical;   /* /etc/nestvirt.conf.d/10-vm.conf */
        char *target;    /* where its links lead inside the root; the same when no link */
        char *data;      /* the contents, NUL-terminated */
        size_t size;
} AcceptedFile;

typedef struct AcceptedConfig {
        AcceptedFile *files;   /* lowest precedence first */
        size_t n;
        size_t refused;        /* files (or drop-in directories) the policy refused */
        char **paths;          /* every file listed, accepted or not: the diagnostics name them */
        Diagnostics diagnostics;
} AcceptedConfig;

/* ROOT NULL or "/" is this system. ALLOW_OWNER: trusted like root (unprivileged CI), 0: none.
 * Refusals are counted and described in ret->diagnostics (FILE: message). -ENOMEM only. */
int conf_accepted_load(const char *root, uid_t allow_owner, AcceptedConfig *ret);
void conf_accepted_done(AcceptedConfig *c);

/* Is NAME ("etc/nestvirt.conf.d/10-vm.conf", no leading "/", as an initramfs lists it) a path
 * the configuration is read from? */
bool conf_is_config_path(const char *name);
/* Does C accept a file NAME (as above) with exactly these contents? */
bool conf_accepted_matches(const AcceptedConfig *c, const char *name, const char *data, size_t size);
