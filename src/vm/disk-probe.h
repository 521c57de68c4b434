/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a VM's disk image holds, as the guest will see it: a file system on the whole disk,
 * or a partition table and what each partition holds. Read with libblkid from the image
 * file itself (no loop devices), so it works on images in CI as well as on the host. */

#include <stddef.h>

#include "macro.h"

typedef enum DiskProbeState {
        DISK_PROBED,
        DISK_QCOW2,        /* its contents are compressed/indirected: not looked into */
        DISK_UNREADABLE,   /* error holds the errno */
} DiskProbeState;

/* The content blkid found; all NULL when there is none. */
typedef struct DiskContent {
        char *type;        /* "ext4", "swap", "iso9660" ... */
        char *usage;       /* "filesystem", "other" (swap), "crypto", "raid" ... */
        char *uuid;
        char *label;
        bool ambivalent;   /* more than one signature: blkid refuses to pick one */
} DiskContent;

typedef struct DiskPartition {
        unsigned number;   /* as the guest kernel numbers it: vda1, vda5 ... */
        char *uuid;        /* PARTUUID: GPT entry GUID, or "ssssssss-nn" on msdos */
        char *name;        /* PARTLABEL (GPT only) */
        bool extended;     /* an msdos extended partition: a container, never a file system */
        DiskContent content;
} DiskPartition;

typedef struct DiskProbe {
        const char *path;  /* as the config names it (for messages), not owned */
        DiskProbeState state;
        int error;
        char *table;       /* partition table type ("dos", "gpt"), or NULL */
        DiskContent content;   /* a file system on the whole disk */
        DiskPartition *partitions;
        size_t n_partitions;
} DiskProbe;

/* Probes the image at REAL_PATH (already under --root); PATH is kept for messages. An image
 * that cannot be opened is not an error here: state says so. Returns 0 or -ENOMEM. */
int disk_probe(const char *path, const char *real_path, DiskProbe *ret);
void disk_probe_done(DiskProbe *p);

/* The content holds a file system a kernel could mount as root (not swap, LUKS, LVM ...). */
static inline bool disk_content_is_file_system(const DiskContent *c) {
        return c->type && !c->ambivalent && streq_ptr(c->usage, "filesystem");
}
