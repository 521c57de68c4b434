/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "unit-escape.h"
#include "utf8.h"

void unit_append_specifier_escaped(StringBuffer *b, const char *s) {
        for (; *s; s++) {
                if (*s == '%')
                        sb_append_char(b, '%');
                sb_append_char(b, *s);
        }
}

/* A plain setting's value is the rest of its line, taken as it is: no quoting or C escapes
 * could bring a newline, another control character, bytes that are not UTF-8 (systemd drops
 * such lines), white space at either end (stripped) or a final backslash (it continues the
 * line) through. Only % can be escaped. */
static bool setting_value_is_representable(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || !string_is_safe_text(s))
                return false;
        return !strchr(" \t", s[0]) && !strchr(" \t\\", s[n - 1]);
}

bool unit_append_setting(StringBuffer *b, const char *key, const char *value) {
        if (!setting_value_is_representable(value))
                return false;
        sb_appendf(b, "%s=", key);
        unit_append_specifier_escaped(b, value);
        sb_append_char(b, '\n');
        return true;
}

static bool needs_quotes(const char *s, size_t n) {
        if (n == 0 || (n == 1 && *s == ';'))
                return true;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= ' ' || s[i] == 127 || s[i] == '"' || s[i] == '\'' || s[i] == '\\')
                        return true;
        return false;
}

/* The first N bytes of S quoted with "", C escapes and %%; exec lines also expand $VAR, so
 * there $ is doubled too. TAIL, a ${VAR} reference meant to be expanded, follows as it is. */
static void append_word(StringBuffer *b, const char *s, size_t n, bool escape_dollar, const char *tail) {
        bool quote = needs_quotes(s, n) && !(n == 0 && *tail);
        if (!quote && !memchr(s, '%', n) && !(escape_dollar && memchr(s, '$', n))) {
                sb_appendf(b, "%.*s%s", (int) n, s, tail);   /* the common case */
                return;
        }
        if (quote)
                sb_append_char(b, '"');
        for (size_t i = 0; i < n; i++) {
                unsigned char c = s[i];
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
        sb_append(b, tail);
        if (quote)
                sb_append_char(b, '"');
}

void unit_append_exec_word(StringBuffer *b, const char *s) {
        append_word(b, s, strlen(s), true, "");
}

void unit_append_path_word(StringBuffer *b, const char *s) {
        append_word(b, s, strlen(s), false, "");
}

void unit_append_exec_argv_expanding(StringBuffer *b, char * const *argv, const size_t *literal) {
        for (size_t i = 0; argv && argv[i]; i++) {
                if (i > 0)
                        sb_append_char(b, ' ');
                size_t n = strlen(argv[i]);
                /* systemd never expands $ in the program's path, so "$$" would stay doubled there. */
                if (i == 0 || !literal)
                        append_word(b, argv[i], n, i > 0, "");
                else
                        append_word(b, argv[i], MIN(literal[i], n), true, argv[i] + MIN(literal[i], n));
        }
}

void unit_append_exec_argv(StringBuffer *b, char * const *argv) {
        unit_append_exec_argv_expanding(b, argv, NULL);
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
