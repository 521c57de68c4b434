/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* The command line's options: parsed once in main(), passed to every verb. */
typedef struct Options {
        const char *root;       /* --root: config, /sys and /proc under it; NULL for / */
        const char *config;     /* --config: only this file, no drop-ins */
        bool json;              /* --json */
        bool force;             /* --force: bind-vfio binds even devices the system depends on */
        unsigned timeout;       /* --timeout, seconds; 0: the vm subcommand's default */
        unsigned allow_owner;   /* --allow-owner: a uid accepted besides root; 0: none */
        bool dry_run;           /* apply --dry-run: print the changes, make none */
        bool restart;           /* apply --restart: restart the running VMs whose unit changed */
        bool initramfs;         /* apply --initramfs: rebuild a stale initramfs */
} Options;

#define EXIT_PROBLEMS 1
#define EXIT_USAGE 2
