/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "json.h"
#include "utf8.h"

static void separator(JsonWriter *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (w->need_comma[w->depth])
                fputc(',', w->f);
        w->need_comma[w->depth] = true;
}

static void open_container(JsonWriter *w, char c) {
        separator(w);
        fputc(c, w->f);
        if (w->depth + 1 < ELEMENTSOF(w->need_comma))
                w->depth++;
        w->need_comma[w->depth] = false;
}

static void close_(JsonWriter *w, char c) {
        if (w->depth > 0)
                w->depth--;
        fputc(c, w->f);
}

void json_begin_object(JsonWriter *w) { open_container(w, '{'); }
void json_end_object(JsonWriter *w) { close_(w, '}'); }
void json_begin_array(JsonWriter *w) { open_container(w, '['); }
void json_end_array(JsonWriter *w) { close_(w, ']'); }

/* JSON text is UTF-8 (RFC 8259): a byte that does not start a well-formed sequence is written
 * as U+FFFD, so one bad byte in a file name or sysfs value never makes the whole output invalid. */
static void write_string(FILE *f, const char *s) {
        size_t n = strlen(s);
        fputc('"', f);
        for (; *s; s++, n--) {
                unsigned char c = *s;
                size_t l = utf8_sequence_length(s, n);
                if (l == 0) {
                        fputs("\\ufffd", f);
                        continue;
                }
                if (l > 1) {
                        fwrite(s, 1, l, f);
                        s += l - 1;
                        n -= l - 1;
                        continue;
                }
                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c == '\n')
                        fputs("\\n", f);
                else if (c == '\t')
                        fputs("\\t", f);
                else if (c < 0x20 || c == 0x7f)
                        fprintf(f, "\\u%04x", c);
                else
                        fputc(c, f);
        }
        fputc('"', f);
}

void json_key(JsonWriter *w, const char *key) {
        separator(w);
        write_string(w->f, key);
        fputc(':', w->f);
        w->after_key = true;
}

void json_string(JsonWriter *w, const char *s) {
        separator(w);
        if (s)
                write_string(w->f, s);
        else
                fputs("null", w->f);
}

void json_uint(JsonWriter *w, uint64_t v) {
        separator(w);
        fprintf(w->f, "%" PRIu64, v);
}

void json_int(JsonWriter *w, int64_t v) {
        separator(w);
        fprintf(w->f, "%" PRId64, v);
}

void json_bool(JsonWriter *w, bool b) {
        separator(w);
        fputs(b ? "true" : "false", w->f);
}

void json_null(JsonWriter *w) {
        separator(w);
        fputs("null", w->f);
}

void json_finish(JsonWriter *w) {
        fputc('\n', w->f);
}

void json_field_string(JsonWriter *w, const char *key, const char *s) {
        json_key(w, key);
        json_string(w, s);
}

void json_field_uint(JsonWriter *w, const char *key, uint64_t v) {
        json_key(w, key);
        json_uint(w, v);
}

void json_field_int(JsonWriter *w, const char *key, int64_t v) {
        json_key(w, key);
        json_int(w, v);
}

void json_field_bool(JsonWriter *w, const char *key, bool b) {
        json_key(w, key);
        json_bool(w, b);
}
