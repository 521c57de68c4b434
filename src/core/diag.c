/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "diag.h"
#include "util.h"

void diag_add(Diagnostics *d, DiagLevel level, Location where, const char *vm, const char *device,
              const char *fmt, ...) {
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        int r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0) {
                d->oom = true;
                return;
        }

        Diagnostic *n = ARRAY_APPEND(d->items, d->n);
        if (!n) {
                free(msg);
                d->oom = true;
                return;
        }
        *n = (Diagnostic) {
                .level = level,
                .where = where,
                .vm = vm ? strdup(vm) : NULL,
                .device = device ? strdup(device) : NULL,
                .message = msg,
        };
}

void diag_done(Diagnostics *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].vm);
                free(d->items[i].device);
                free(d->items[i].message);
        }
        free(d->items);
        *d = (Diagnostics) {};
}

size_t diag_count(const Diagnostics *d, DiagLevel level) {
        size_t n = 0;
        for (size_t i = 0; i < d->n; i++)
                n += d->items[i].level == level;
        return n;
}

size_t diag_count_vm(const Diagnostics *d, DiagLevel level, const char *vm) {
        size_t n = 0;
        for (size_t i = 0; i < d->n; i++)
                n += d->items[i].level == level && streq_ptr(d->items[i].vm, vm);
        return n;
}

const char *diag_level_to_string(DiagLevel l) {
        switch (l) {
        case DIAG_ERROR:
                return "error";
        case DIAG_WARNING:
                return "warning";
        default:
                return "note";
        }
}

void diag_format_location(const Diagnostic *d, char *buf, size_t size) {
        if (d->where.file && d->where.line > 0)
                snprintf(buf, size, "%s:%u: ", d->where.file, d->where.line);
        else if (d->where.file)
                snprintf(buf, size, "%s: ", d->where.file);
        else
                buf[0] = 0;
}
