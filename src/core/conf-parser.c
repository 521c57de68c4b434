/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>

#include "conf-parser.h"
#include "util.h"

static bool is_comment(const char *l) {
        return *l == '#' || *l == ';';
}

/* What parse_line() needs besides the line: the callbacks and whether a section is open. */
typedef struct Parser {
        const char *file;
        bool in_section;
        ConfSectionCallback on_section;
        ConfItemCallback on_item;
        void *userdata;
        Diagnostics *diagnostics;
} Parser;

static int parse_line(Parser *p, unsigned line, char *l) {
        Location where = { p->file, line };
        Diagnostics *d = p->diagnostics;

        l = strstrip(l);
        if (!*l || is_comment(l))
                return 0;

        if (*l == '[') {
                size_t k = strlen(l);
                if (l[k - 1] != ']') {
                        diag_add(d, DIAG_ERROR, where, NULL, NULL,
                                 "invalid section header '%s'; write it as [Host] or [VM NAME]", l);
                        p->in_section = false;
                        return 0;
                }
                l[k - 1] = 0;
                p->in_section = true;
                return p->on_section(p->userdata, where, strstrip(l + 1));
        }

        char *eq = strchr(l, '=');
        /* Inside a section, the section's owner reports a broken line, so it can mark itself broken. */
        if ((!eq || eq == l) && p->in_section)
                return p->on_item(p->userdata, where, NULL, l);
        if (!eq) {
                diag_add(d, DIAG_ERROR, where, NULL, NULL,
                         "'%s' is not an assignment; write Key=Value, or start the line with # for a comment", l);
                return 0;
        }
        *eq = 0;
        char *key = strstrip(l), *value = strstrip(eq + 1);
        if (!*key) {
                diag_add(d, DIAG_ERROR, where, NULL, NULL, "assignment without a key; write Key=Value");
                return 0;
        }
        if (!p->in_section) {
                diag_add(d, DIAG_ERROR, where, NULL, NULL,
                         "%s= is outside of any section; put it under [Host] or [VM NAME]", key);
                return 0;
        }
        return p->on_item(p->userdata, where, key, value);
}

/* The first byte no text file has: NUL or a control character other than white space. */
static const char *find_binary(const char *data, size_t size) {
        for (const char *p = data; p < data + size; p++) {
                unsigned char c = *p;
                if ((c < 0x20 && !isspace(c)) || c == 0x7f)
                        return p;
        }
        return NULL;
}

/* Binary data gets one line for the file, not one error per "line" of garbage: those would echo
 * the bytes, which the journal stores as an unreadable blob, and /dev/kmsg drops all but the
 * first ten. Returns whether the data is binary. */
static bool report_binary(const char *file, const char *data, size_t size, Diagnostics *d) {
        const char *bad = find_binary(data, size);
        if (!bad)
                return false;
        unsigned bad_line = 1;   /* every error names FILE:LINE: the line of the first such byte */
        for (const char *q = data; q < bad; q++)
                bad_line += *q == '\n';
        if (*bad == 0)
                diag_add(d, DIAG_ERROR, (Location) { file, bad_line }, NULL, NULL,
                         "contains NUL bytes, it is not a text file; replace it with a valid config");
        else
                diag_add(d, DIAG_ERROR, (Location) { file, bad_line }, NULL, NULL,
                         "contains binary data (byte 0x%02x), it is not a text file; replace it with a "
                         "valid config", (unsigned char) *bad);
        return true;
}

/* The physical lines of the data, without their "\n" or "\r\n", counted from 1. */
typedef struct LineReader {
        const char *p, *end;
        unsigned line;
} LineReader;

static bool next_line(LineReader *r, const char **ret, size_t *ret_len) {
        if (r->p >= r->end)
                return false;
        const char *nl = memchr(r->p, '\n', r->end - r->p);
        size_t len = nl ? (size_t) (nl - r->p) : (size_t) (r->end - r->p);
        *ret = r->p;
        r->p = nl ? nl + 1 : r->end;
        r->line++;
        if (len > 0 && (*ret)[len - 1] == '\r')
                len--;
        *ret_len = len;
        return true;
}

static bool line_is_comment(const char *l, size_t len) {
        const char *t = l;
        while (t < l + len && isspace((unsigned char) *t))
                t++;
        return t < l + len && is_comment(t);
}

/* Parses the logical line collected in PENDING, which began at physical line START, and empties it. */
static int flush_line(Parser *p, StringBuffer *pending, unsigned start) {
        if (pending->oom)
                return -ENOMEM;
        int r = parse_line(p, start, pending->data ?: (char[]) { 0 });
        pending->length = 0;
        if (pending->data)
                pending->data[0] = 0;
        return r;
}

int conf_parse_buffer(const char *file, const char *data, size_t size, ConfSectionCallback on_section,
                      ConfItemCallback on_item, void *userdata, Diagnostics *d) {
        if (report_binary(file, data, size, d))
                return 0;

        Parser parser = { .file = file, .on_section = on_section, .on_item = on_item, .userdata = userdata,
                          .diagnostics = d };
        LineReader reader = { .p = data, .end = data + size };
        StringBuffer pending = {};   /* a logical line: physical lines joined at trailing backslashes */
        unsigned start = 0;
        const char *l;
        size_t len;
        int r = 0;

        while (r >= 0 && next_line(&reader, &l, &len)) {
                if (pending.length > 0) {
                        /* Comment lines inside a continuation are dropped, as systemd does. */
                        if (line_is_comment(l, len))
                                continue;
                } else
                        start = reader.line;

                /* A comment never continues. */
                bool continued = len > 0 && l[len - 1] == '\\' && !(pending.length == 0 && line_is_comment(l, len));
                if (continued) {
                        sb_append_n(&pending, l, len - 1);
                        sb_append_char(&pending, ' ');
                        if (reader.p < reader.end)
                                continue;
                } else
                        sb_append_n(&pending, l, len);
                r = flush_line(&parser, &pending, start);
        }

        /* Comment lines after a continuation, up to the end of the file: what the continuation
         * collected still counts, as if the comments were not there. */
        if (r >= 0 && pending.length > 0)
                r = flush_line(&parser, &pending, start);

        sb_done(&pending);
        return r;
}
