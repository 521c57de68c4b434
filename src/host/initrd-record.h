/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "config.h"
#include "runtime-paths.h"

/* What nestvirt did in the initramfs, for the main system: /run survives switch-root, the
 * initrd's kernel log lines may not (kmsg rate-limits, an initrd journal that is not kept).
 * One key=value file, each run of reserve-hugepages and bind-vfio in the initrd replacing its
 * own lines ("VERB.KEY=...") and the configuration it saw ("config.digest=", "config.file=").
 * The main system's run of the same verb logs them (initrd_record_log); status shows them. */

typedef struct RecordNode {
        unsigned node;
        uint64_t planned, before, after;
} RecordNode;

typedef struct RecordDevice {
        char *address;
        bool bound;                /* on vfio-pci when the initrd's run verified it */
} RecordDevice;

typedef struct InitrdRecord {
        char *digest;              /* of the configuration the initrd read (config-digest) */
        char **files;              /* the files it read, in order */
        int hugepages_exit;        /* reserve-hugepages' exit status; -1: it did not run there */
        int vfio_exit;             /* bind-vfio's; -1: it did not run there */
        RecordNode *nodes;
        size_t n_nodes;
        RecordDevice *devices;
        size_t n_devices;
} InitrdRecord;

/* In the initrd: replaces VERB's lines with LINES (each "KEY=VALUE", without the prefix) and
 * its exit status, and the configuration C. Locked against the other verb's concurrent run;
 * replaced atomically. Logs a failure as a warning (the boot goes on). */
int initrd_record_save(const char *root, const char *verb, const Config *c, int exit_status, char **lines);
/* Returns 1 and the record, 0 when there is none (nestvirt did not run in the initramfs),
 * -errno. Unknown lines are skipped (a newer initramfs than the root). */
int initrd_record_load(const char *root, InitrdRecord *ret);
void initrd_record_done(InitrdRecord *r);
/* After switch-root: logs VERB's part of ROOT's record to the journal ("In the initramfs: ..."),
 * so it is there even when the initrd's own log lines were lost. Nothing without a record. */
void initrd_record_log_verb(const char *root, const char *verb);
