/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>

#include "conf-parser.h"
#include "util.h"

static bool is_comment(const char *l) {
        return *l == '#' || *l == ';';
}

static int parse_line(const char *file, unsigned line, char *l, bool *in_section,
                      ConfSectionCallback on_section, ConfItemCallback on_item, void *userdata,
                      Diagnostics *d) {
        Location where = { file, line };

        l = strstrip(l);
        if (!*l || is_comment(l))
                return 0;

        if (*l == '[') {
                size_t k = strlen(l);
                if (l[k - 1] != ']') {
                        diag_add(d, DIAG_ERROR, where, NULL, NULL,
                                 "invalid section header '%s'; write it as [Host] or [VM NAME]", l);
                        *in_section = false;
                        return 0;
                }
                l[k - 1] = 0;
                *in_section = true;
                return on_section(userdata, where, strstrip(l + 1));
        }

        char *eq = strchr(l, '=');
        /* Inside a section, the section's owner reports a broken line, so it can mark itself broken. */
        if ((!eq || eq == l) && *in_section)
                return on_item(userdata, where, NULL, l);
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
        if (!*in_section) {
                diag_add(d, DIAG_ERROR, where, NULL, NULL,
                         "%s= is outside of any section; put it under [Host] or [VM NAME]", key);
                return 0;
        }
        return on_item(userdata, where, key, value);
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

int conf_parse_buffer(const char *file, const char *data, size_t size, ConfSectionCallback on_section,
                      ConfItemCallback on_item, void *userdata, Diagnostics *d) {
        /* Binary data gets one line for the file, not one error per "line" of garbage: those
         * would echo the bytes, which the journal stores as an unreadable blob, and /dev/kmsg
         * drops all but the first ten. */
        const char *bad = find_binary(data, size);
        if (bad) {
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
                return 0;
        }

        StringBuffer pending = {};
        unsigned line = 0, start_line = 0;
        bool in_section = false;
        int r = 0;
        const char *p = data, *end = data + size;

        while (p < end && r >= 0) {
                const char *nl = memchr(p, '\n', end - p);
                size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);
                line++;

                const char *l = p;
                p = nl ? nl + 1 : end;
                if (len > 0 && l[len - 1] == '\r')
                        len--;

                /* Comment lines inside a continuation are dropped, as systemd does. */
                if (pending.length > 0) {
                        const char *t = l;
                        while (t < l + len && isspace((unsigned char) *t))
                                t++;
                        if (t < l + len && is_comment(t))
                                continue;
                } else
                        start_line = line;

                bool continued = len > 0 && l[len - 1] == '\\';
                if (continued) {
                        const char *t = l;
                        while (t < l + len && isspace((unsigned char) *t))
                                t++;
                        /* A comment never continues. */
                        if (pending.length == 0 && t < l + len && is_comment(t))
                                continued = false;
                }

                if (continued) {
                        sb_append_n(&pending, l, len - 1);
                        sb_append_char(&pending, ' ');
                        if (p < end)
                                continue;
                } else
                        sb_append_n(&pending, l, len);

                if (pending.oom) {
                        r = -ENOMEM;
                        break;
                }
                r = parse_line(file, start_line, pending.data ?: (char[]) { 0 }, &in_section,
                               on_section, on_item, userdata, d);
                pending.length = 0;
                if (pending.data)
                        pending.data[0] = 0;
        }

        /* Comment lines after a continuation, up to the end of the file: what the continuation
         * collected still counts, as if the comments were not there. */
        if (r >= 0 && pending.length > 0)
                r = pending.oom ? -ENOMEM : parse_line(file, start_line, pending.data, &in_section,
                                                       on_section, on_item, userdata, d);

        sb_done(&pending);
        return r;
}
