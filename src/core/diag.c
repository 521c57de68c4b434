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

void location_format(Location where, char *buf, size_t size) {
        if (where.file && where.line > 0)
                snprintf(buf, size, "%s:%u: ", where.file, where.line);
        else if (where.file)
                snprintf(buf, size, "%s: ", where.file);
        else
                buf[0] = 0;
}

void diag_format_location(const Diagnostic *d, char *buf, size_t size) {
        location_format(d->where, buf, size);
}

void diag_write(const Diagnostic *d, bool with_level, FILE *f) {
        if (d->where.file && d->where.line > 0)
                fprintf(f, "%s:%u: ", d->where.file, d->where.line);
        else if (d->where.file)
                fprintf(f, "%s: ", d->where.file);
        if (with_level)
                fprintf(f, "%s: ", diag_level_to_string(d->level));
        fputs(d->message, f);
}

char *diag_format(const Diagnostic *d, bool with_level) {
        char *s = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&s, &n);
        if (!f)
                return NULL;
        diag_write(d, with_level, f);
        if (fclose(f) < 0) {
                free(s);
                return NULL;
        }
        return s;
}
