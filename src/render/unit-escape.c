/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "unit-escape.h"

void unit_append_specifier_escaped(StringBuffer *b, const char *s) {
        for (; *s; s++) {
                if (*s == '%')
                        sb_append_char(b, '%');
                sb_append_char(b, *s);
        }
}

static bool needs_quotes(const char *s) {
        if (!*s || streq(s, ";"))
                return true;
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || *s == 127 || *s == '"' || *s == '\'' || *s == '\\')
                        return true;
        return false;
}

/* Quoted with "", C escapes and %%; exec lines also expand $VAR, so there $ is doubled too. */
static void append_word(StringBuffer *b, const char *s, bool escape_dollar) {
        bool quote = needs_quotes(s);
        if (!quote && !strchr(s, '%') && !(escape_dollar && strchr(s, '$'))) {
                sb_append(b, s);   /* the common case, one copy */
                return;
        }
        if (quote)
                sb_append_char(b, '"');
        for (; *s; s++) {
                unsigned char c = *s;
                switch (c) {
                case '%':
                        sb_append(b, "%%");
                        break;
                case '$':
                        sb_append(b, escape_dollar ? "$$" : "$");
                        break;
                case '"':
                        sb_append(b, "\\\"");
                        break;
                case '\\':
                        sb_append(b, "\\\\");
                        break;
                case '\n':
                        sb_append(b, "\\n");
                        break;
                case '\t':
                        sb_append(b, "\\t");
                        break;
                default:
                        if (c < ' ' || c == 127)
                                sb_appendf(b, "\\x%02x", c);
                        else
                                sb_append_char(b, c);
                }
        }
        if (quote)
                sb_append_char(b, '"');
}

void unit_append_exec_word(StringBuffer *b, const char *s) {
        append_word(b, s, true);
}

void unit_append_path_word(StringBuffer *b, const char *s) {
        append_word(b, s, false);
}

void unit_append_exec_argv(StringBuffer *b, char * const *argv) {
        for (size_t i = 0; argv && argv[i]; i++) {
                if (i > 0)
                        sb_append_char(b, ' ');
                /* systemd never expands $ in the program's path, so "$$" would stay doubled there. */
                append_word(b, argv[i], i > 0);
        }
}

char *ch_quote_value(const char *s) {
        if (!strpbrk(s, ",\"[]"))
                return strdup(s);
        StringBuffer b = {};
        sb_append_char(&b, '"');
        for (; *s; s++) {
                if (*s == '"')
                        sb_append(&b, "\"\"");
                else
                        sb_append_char(&b, *s);
        }
        sb_append_char(&b, '"');
        return sb_steal(&b);
}
