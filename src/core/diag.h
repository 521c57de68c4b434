/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

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
/* "FILE:LINE: " prefix, or "FILE: " or "" */
void diag_format_location(const Diagnostic *d, char *buf, size_t size);
