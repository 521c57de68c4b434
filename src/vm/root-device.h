/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* root= of a VM's Cmdline=, and whether the VM's disks hold what it names. Pure: the disks
 * come probed (disk-probe.h), so every verdict can be tested without images. */

#include "disk-probe.h"

typedef enum RootKind {
        ROOT_NONE,            /* no root= at all */
        ROOT_VD_DISK,         /* /dev/vdX: the whole of disk X */
        ROOT_VD_PARTITION,    /* /dev/vdXN */
        ROOT_UUID,            /* UUID=, LABEL=: a file system's; resolved by an initramfs */
        ROOT_LABEL,
        ROOT_PARTUUID,        /* PARTUUID=, PARTLABEL=: a partition's; the kernel resolves them */
        ROOT_PARTLABEL,
        ROOT_OTHER,           /* /dev/sda, /dev/disk/by-*, nfs, 08:01 ...: not checked */
} RootKind;

typedef struct RootSpec {
        RootKind kind;
        char *value;          /* what follows root=, quotes removed; NULL for ROOT_NONE */
        const char *key;      /* for UUID= ...: the part after '=', inside value */
        unsigned disk;        /* 0-based: vda is the first --disk */
        unsigned partition;   /* 1-based, for ROOT_VD_PARTITION */
} RootSpec;

/* Splits CMDLINE as the kernel does (spaces, double quotes, "--" ends the kernel's part);
 * the last root= wins. Returns 0, or -ENOMEM. */
int root_spec_parse(const char *cmdline, RootSpec *ret);
void root_spec_done(RootSpec *s);

/* The guest's name of disk INDEX: 0 -> "vda", 25 -> "vdz", 26 -> "vdaa", up to "vdzzz" (virtio-blk
 * names disks as sd does). */
void vd_disk_name(unsigned index, char buf[static 8]);

typedef enum RootVerdict {
        ROOT_RESOLVED,        /* message says what root= is: "root=/dev/vda1 is ext4 on disk 1" */
        ROOT_NOT_CHECKED,     /* a notice: qcow2, unreadable disk, a form not resolved here */
        ROOT_UNRESOLVED,      /* the guest will not find its root: message says why, what to do */
} RootVerdict;

/* Resolves SPEC against the VM's disks, in --disk order. With SEED, a cloud-init seed disk
 * follows them. *ret_message is a sentence without the VM's name; NULL on OOM. */
RootVerdict root_resolve(const RootSpec *spec, const DiskProbe *disks, size_t n_disks, bool seed,
                         char **ret_message);
