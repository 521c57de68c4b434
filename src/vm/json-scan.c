/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "json-scan.h"
#include "macro.h"

static const char *skip_space(const char *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        return p;
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Appends one byte if it fits (one byte stays free for the NUL); counts it regardless. */
static void put(char *buf, size_t size, size_t *n, char c) {
        if (buf && *n + 1 < size)
                buf[*n] = c;
        (*n)++;
}

/* \uXXXX as UTF-8. Surrogates, paired or not, become U+FFFD: no key or state we look for
 * lies outside the Basic Multilingual Plane. */
static void put_code_point(char *buf, size_t size, size_t *n, unsigned cp) {
        if (cp >= 0xd800 && cp <= 0xdfff)
                cp = 0xfffd;
        if (cp < 0x80)
                put(buf, size, n, (char) cp);
        else if (cp < 0x800) {
                put(buf, size, n, (char) (0xc0 | (cp >> 6)));
                put(buf, size, n, (char) (0x80 | (cp & 0x3f)));
        } else {
                put(buf, size, n, (char) (0xe0 | (cp >> 12)));
                put(buf, size, n, (char) (0x80 | ((cp >> 6) & 0x3f)));
                put(buf, size, n, (char) (0x80 | (cp & 0x3f)));
        }
}

/* P points at the opening quote. Unescapes into BUF (may be NULL to just skip) and returns the
 * position after the closing quote, or NULL when the string is malformed. *RET_LENGTH gets the
 * full unescaped length, which exceeds SIZE - 1 when BUF was too small; *RET_NUL whether a
 * \u0000 was among it, which a C string cannot carry. */
static const char *read_string(const char *p, char *buf, size_t size, size_t *ret_length, bool *ret_nul) {
        size_t n = 0;
        bool nul = false;

        for (p++;; p++) {
                unsigned char c = *p;
                if (c == '"')
                        break;
                if (c < 0x20)
                        return NULL;  /* also the end of the text: unterminated */
                if (c != '\\') {
                        put(buf, size, &n, (char) c);
                        continue;
                }
                p++;
                switch (*p) {
                case '"': case '\\': case '/':
                        put(buf, size, &n, *p);
                        break;
                case 'b': put(buf, size, &n, '\b'); break;
                case 'f': put(buf, size, &n, '\f'); break;
                case 'n': put(buf, size, &n, '\n'); break;
                case 'r': put(buf, size, &n, '\r'); break;
                case 't': put(buf, size, &n, '\t'); break;
                case 'u': {
                        unsigned cp = 0;
                        for (int i = 1; i <= 4; i++) {
                                int h = hex_value(p[i]);
                                if (h < 0)
                                        return NULL;
                                cp = cp * 16 + (unsigned) h;
                        }
                        p += 4;
                        nul = nul || cp == 0;
                        put_code_point(buf, size, &n, cp);
                        break;
                }
                default:
                        return NULL;
                }
        }
        if (buf && size > 0)
                buf[MIN(n, size - 1)] = 0;
        if (ret_length)
                *ret_length = n;
        if (ret_nul)
                *ret_nul = nul;
        return p + 1;
}

/* Skips one value of any type. Objects and arrays are skipped by counting brackets outside
 * strings: their insides are never looked at, so checking their grammar would buy nothing. */
static const char *skip_value(const char *p) {
        if (*p == '"')
                return read_string(p, NULL, 0, NULL, NULL);

        if (*p == '{' || *p == '[') {
                size_t depth = 0;
                for (;; p++) {
                        if (*p == 0)
                                return NULL;
                        if (*p == '"') {
                                p = read_string(p, NULL, 0, NULL, NULL);
                                if (!p)
                                        return NULL;
                                p--;  /* the loop steps past the closing quote */
                        } else if (*p == '{' || *p == '[')
                                depth++;
                        else if (*p == '}' || *p == ']') {
                                if (--depth == 0)
                                        return p + 1;
                        }
                }
        }

        /* A number, true, false or null. */
        const char *start = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '+' ||
               *p == '.' || *p == 'E')
                p++;
        return p == start ? NULL : p;
}

int json_object_member(const char *json, const char *key, const char **ret) {
        const char *p = skip_space(json);

        if (*p != '{')
                return -EMEDIUMTYPE;
        p = skip_space(p + 1);
        if (*p == '}')
                return -ENOENT;

        for (;;) {
                char name[64];
                size_t n;

                if (*p != '"')
                        return -EBADMSG;
                p = read_string(p, name, sizeof name, &n, NULL);
                if (!p)
                        return -EBADMSG;
                p = skip_space(p);
                if (*p != ':')
                        return -EBADMSG;
                p = skip_space(p + 1);

                /* Compare lengths too: a "\u0000" inside a name must not end it early. */
                if (n == strlen(key) && n < sizeof name && streq(name, key)) {
                        *ret = p;
                        return 0;
                }

                p = skip_value(p);
                if (!p)
                        return -EBADMSG;
                p = skip_space(p);
                if (*p == '}')
                        return -ENOENT;
                if (*p != ',')
                        return -EBADMSG;
                p = skip_space(p + 1);
        }
}

int json_member_path(const char *json, const char *const *path, const char **ret) {
        const char *p = json;
        for (; *path; path++) {
                int r = json_object_member(p, *path, &p);
                if (r < 0)
                        return r;
        }
        *ret = skip_space(p);
        return 0;
}

int json_array_element(const char *json, size_t index, const char **ret) {
        const char *p = skip_space(json);

        if (*p != '[')
                return -EMEDIUMTYPE;
        p = skip_space(p + 1);
        if (*p == ']')
                return -ENOENT;
        for (size_t i = 0;; i++) {
                if (!*p)
                        return -EBADMSG;
                if (i == index) {
                        *ret = p;
                        return 0;
                }
                p = skip_value(p);
                if (!p)
                        return -EBADMSG;
                p = skip_space(p);
                if (*p == ']')
                        return -ENOENT;
                if (*p != ',')
                        return -EBADMSG;
                p = skip_space(p + 1);
        }
}

int json_value_string(const char *value, char *buf, size_t size) {
        const char *p = skip_space(value);
        size_t n;
        bool nul;

        if (*p != '"')
                return -EMEDIUMTYPE;
        if (!read_string(p, buf, size, &n, &nul) || nul)
                return -EBADMSG;   /* a NUL inside would cut the value short unseen */
        return n < size ? 0 : -ENOBUFS;
}

int json_value_uint(const char *value, uint64_t *ret) {
        const char *p = skip_space(value);
        uint64_t v = 0;

        if (*p == '-')
                return -ERANGE;
        if (*p < '0' || *p > '9')
                return -EMEDIUMTYPE;
        for (; *p >= '0' && *p <= '9'; p++) {
                unsigned d = (unsigned) (*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        if (*p == '.' || *p == 'e' || *p == 'E')
                return -ERANGE;   /* a fraction or an exponent: not a count of anything */
        *ret = v;
        return 0;
}

int json_value_bool(const char *value, bool *ret) {
        const char *p = skip_space(value);

        if (strncmp(p, "true", 4) == 0)
                *ret = true;
        else if (strncmp(p, "false", 5) == 0)
                *ret = false;
        else
                return -EMEDIUMTYPE;
        return 0;
}

int json_top_level_string(const char *json, const char *key, char *buf, size_t size) {
        const char *value;

        int r = json_object_member(json, key, &value);
        if (r == -EMEDIUMTYPE)
                return -EBADMSG;   /* not an object at all */
        if (r < 0)
                return r;
        return json_value_string(value, buf, size);
}
