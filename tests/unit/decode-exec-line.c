/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>

#include "decode-exec-line.h"
#include "util.h"

/* A reference decoder: what systemd makes of one ExecStart= line.
 *
 * systemd (config_parse_exec) splits the line with extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE),
 * treats an unquoted lone ";" as a command separator, resolves specifiers ("%%" -> "%") and, at
 * exec time, environment variables ("$$" -> "$", "$X"/"${X}" substituted). This decoder implements
 * exactly that and fails on anything the escaper must never produce: a lone '%' or '$', an unquoted
 * ';' word, an unknown backslash escape, an unterminated quote, a raw control character. */

int unhex(char c) {
        return isdigit((unsigned char) c) ? c - '0' : tolower((unsigned char) c) - 'a' + 10;
}

/* Returns the next word (malloc'ed) or NULL at the end; fails the test on bad input. */
static char *next_exec_word(const char **p) {
        const char *s = *p;
        StringBuffer raw = {};   /* after unquoting and unescaping */
        char quote = 0;
        bool any = false, quoted_any = false;

        while (*s == ' ' || *s == '\t')
                s++;
        if (!*s) {
                *p = s;
                return NULL;
        }
        const char *start = s;
        for (; *s; s++) {
                unsigned char c = *s;
                if (c < ' ' || c == 127)
                        fail_msg("raw control character 0x%02x in ExecStart= line", c);
                if (!quote && (c == ' ' || c == '\t'))
                        break;
                if (!quote && (c == '"' || c == '\'')) {
                        quote = c;
                        quoted_any = true;
                        continue;
                }
                if (quote && c == (unsigned char) quote) {
                        quote = 0;
                        continue;
                }
                if (c == '\\') {
                        s++;
                        switch (*s) {
                        case 'n': sb_append_char(&raw, '\n'); break;
                        case 't': sb_append_char(&raw, '\t'); break;
                        case 'r': sb_append_char(&raw, '\r'); break;
                        case '\\': sb_append_char(&raw, '\\'); break;
                        case '"': sb_append_char(&raw, '"'); break;
                        case '\'': sb_append_char(&raw, '\''); break;
                        case 's': sb_append_char(&raw, ' '); break;
                        case 'x':
                                if (!isxdigit((unsigned char) s[1]) || !isxdigit((unsigned char) s[2]))
                                        fail_msg("bad \\x escape in ExecStart= line");
                                if (unhex(s[1]) == 0 && unhex(s[2]) == 0)
                                        fail_msg("\\x00 is refused by systemd");
                                sb_append_char(&raw, (char) (unhex(s[1]) << 4 | unhex(s[2])));
                                s += 2;
                                break;
                        default:
                                fail_msg("unknown escape '\\%c' in ExecStart= line", *s ? *s : '0');
                        }
                        any = true;
                        continue;
                }
                sb_append_char(&raw, (char) c);
                any = true;
        }
        if (quote)
                fail_msg("unterminated quote in ExecStart= line");
        if (!quoted_any && s - start == 1 && *start == ';')
                fail_msg("unquoted ';' word: systemd takes it as a command separator");
        (void) any;
        *p = s;

        /* Specifiers, then environment variables. */
        _cleanup_(freep) char *word = sb_steal(&raw);
        assert_non_null(word);
        StringBuffer out = {};
        for (const char *w = word; *w; w++) {
                /* The one reference nestvirt writes on purpose (a disk's image type, set by 'vm
                 * prepare'): kept as it is, for the caller to compare. */
                const char *end;
                if (startswith(w, "${NESTVIRT_DISK") && (end = strchr(w, '}'))) {
                        sb_append_n(&out, w, (size_t) (end - w + 1));
                        w = end;
                        continue;
                }
                if (*w == '%' || *w == '$') {
                        if (w[1] != *w)
                                fail_msg("lone '%c' in word \"%s\": systemd would expand it", *w, word);
                        w++;
                }
                sb_append_char(&out, *w);
        }
        char *r = sb_steal(&out);
        assert_non_null(r);
        return r;
}

char **decode_exec_line(const char *line) {
        char **l = NULL;
        const char *p = line;
        char *w;
        while ((w = next_exec_word(&p)))
                assert_int_equal(strv_push(&l, w), 0);
        return l;
}
