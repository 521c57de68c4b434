/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "utf8.h"

/* RFC 3629, section 4: the ranges each continuation byte may take after a given lead byte. */
size_t utf8_sequence_length(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s;
        if (n == 0)
                return 0;
        if (p[0] < 0x80)
                return 1;
        size_t len;
        unsigned char lo = 0x80, hi = 0xbf;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                len = 2;
        else if (p[0] >= 0xe0 && p[0] <= 0xef) {
                len = 3;
                if (p[0] == 0xe0)
                        lo = 0xa0;   /* overlong */
                else if (p[0] == 0xed)
                        hi = 0x9f;   /* surrogates */
        } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
                len = 4;
                if (p[0] == 0xf0)
                        lo = 0x90;   /* overlong */
                else if (p[0] == 0xf4)
                        hi = 0x8f;   /* above U+10FFFF */
        } else
                return 0;
        if (n < len || p[1] < lo || p[1] > hi)
                return 0;
        for (size_t i = 2; i < len; i++)
                if (p[i] < 0x80 || p[i] > 0xbf)
                        return 0;
        return len;
}

bool utf8_is_valid(const char *s) {
        size_t n = strlen(s);
        for (size_t i = 0; i < n;) {
                size_t l = utf8_sequence_length(s + i, n - i);
                if (l == 0)
                        return false;
                i += l;
        }
        return true;
}

bool string_is_safe_text(const char *s) {
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 127)
                        return false;
        return utf8_is_valid(s);
}
