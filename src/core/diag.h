/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "macro.h"

/* Problems found while reading the config or planning. The core never prints: it collects,
 * and each command decides how to report (check prints all, the generator logs to kmsg). */

typedef enum DiagLevel {
        DIAG_ERROR,
        DIAG_WARNING,
        DIAG_NOTE,
} DiagLevel;

typedef struct Location {
        const char *file;   /* logical path (without --root), owned by the config's file list */
        unsigned line;      /* 0 when not tied to a line */
} Location;

typedef struct Diagnostic {
        DiagLevel level;
        Location where;
        char *vm;           /* VM the problem belongs to, or NULL for host-level */
        char *device;       /* PCI address, when the problem is about one device */
        char *message;      /* "what is wrong; what to do" */
} Diagnostic;

typedef struct Diagnostics {
        Diagnostic *items;
        size_t n;
        bool oom;
} Diagnostics;

void diag_add(Diagnostics *d, DiagLevel level, Location where, const char *vm, const char *device,
              const char *fmt, ...) _printf_(6, 7);
void diag_done(Diagnostics *d);
size_t diag_count(const Diagnostics *d, DiagLevel level);
size_t diag_count_vm(const Diagnostics *d, DiagLevel level, const char *vm);
const char *diag_level_to_string(DiagLevel l);
/* "FILE:LINE: ", "FILE: " or "": the prefix of every message about a place in the config. */
void location_format(Location where, char *buf, size_t size);
void diag_format_location(const Diagnostic *d, char *buf, size_t size);
/* The one way a diagnostic reads: the location prefix, "LEVEL: " when WITH_LEVEL, the message
 * (no newline). diag_format returns it as a string, NULL on OOM. */
void diag_write(const Diagnostic *d, bool with_level, FILE *f);
char *diag_format(const Diagnostic *d, bool with_level);
