/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "initrd-record.h"
#include "json.h"

/* status's part about the initramfs: what nestvirt did there and whether it read the
 * configuration the main system reads now (the record of initrd-record.h). */
typedef struct InitrdStatus {
        InitrdRecord record;
        bool ran;                  /* a record exists: nestvirt ran in the initramfs */
        bool same;                 /* ... with the configuration of now */
} InitrdStatus;

void initrd_status_load(const char *root, uint64_t digest, InitrdStatus *ret);
void initrd_status_done(InitrdStatus *s);
/* "not-run", "same" or "differs" (status --json's "initramfs_config") */
const char *initrd_status_config(const InitrdStatus *s);
void initrd_status_print(const InitrdStatus *s);
void initrd_status_json(const InitrdStatus *s, JsonWriter *w);
