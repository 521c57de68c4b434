/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <strings.h>

#include "http-response.h"
#include "macro.h"

/* One line of the header section, without its terminator. */
typedef struct Line {
        const char *p;
        size_t n;
} Line;

/* Finds the line starting at *POS. A bare LF ends a line too (RFC 9112 2.2 allows that);
 * a CR elsewhere, a NUL or another control character makes the response malformed.
 * Returns 1 with *POS moved past the line, 0 when the line is not complete yet. */
static int next_line(const char *data, size_t size, size_t *pos, Line *ret) {
        for (size_t i = *pos; i < size; i++) {
                unsigned char c = data[i];
                if (c == '\n') {
                        size_t end = i;
                        if (end > *pos && data[end - 1] == '\r')
                                end--;
                        *ret = (Line) { data + *pos, end - *pos };
                        *pos = i + 1;
                        return 1;
                }
                if (c == '\r' && i + 1 < size && data[i + 1] != '\n')
                        return -EBADMSG;
                if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
                        return -EBADMSG;
        }
        return 0;
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* RFC 9110 5.6.2 token characters, for field names. */
static bool is_tchar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
                (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "HTTP/1.x SP 3DIGIT [SP reason]". Cloud Hypervisor's server sends "HTTP/1.1 204 " with an
 * empty reason phrase; the space after the code is optional here too. */
static int parse_status_line(Line l, int *ret) {
        if (l.n < 12 || memcmp(l.p, "HTTP/1.", 7) != 0 || !is_digit(l.p[7]) || l.p[8] != ' ')
                return -EBADMSG;
        if (!is_digit(l.p[9]) || !is_digit(l.p[10]) || !is_digit(l.p[11]) || l.p[9] == '0')
                return -EBADMSG;
        if (l.n > 12 && l.p[12] != ' ')
                return -EBADMSG;
        *ret = (l.p[9] - '0') * 100 + (l.p[10] - '0') * 10 + (l.p[11] - '0');
        return 0;
}

static bool name_is(Line name, const char *s) {
        return name.n == strlen(s) && strncasecmp(name.p, s, name.n) == 0;
}

/* Content-Length: 1*DIGIT. Values past any sane body saturate, so the caller reports the
 * size instead of wrapping around. */
static int parse_length(Line v, uint64_t *ret) {
        uint64_t n = 0;
        if (v.n == 0)
                return -EBADMSG;
        for (size_t i = 0; i < v.n; i++) {
                if (!is_digit(v.p[i]))
                        return -EBADMSG;
                n = MIN(n * 10 + (uint64_t) (v.p[i] - '0'), UINT64_C(1) << 48);
        }
        *ret = n;
        return 0;
}

/* How the body is framed, as the header fields say. */
typedef struct Framing {
        bool have_length;
        uint64_t length;        /* Content-Length, when have_length */
} Framing;

/* One "name: value" field. Only the framing fields matter here; the rest are skipped. */
static int parse_field(Line l, Framing *f) {
        /* No obsolete line folding, no space before the colon (RFC 9112 5.1, 5.2). */
        Line name = { l.p, 0 };
        while (name.n < l.n && is_tchar(l.p[name.n]))
                name.n++;
        if (name.n == 0 || name.n == l.n || l.p[name.n] != ':')
                return -EBADMSG;
        Line value = { l.p + name.n + 1, l.n - name.n - 1 };
        while (value.n > 0 && (value.p[0] == ' ' || value.p[0] == '\t'))
                value.p++, value.n--;
        while (value.n > 0 && (value.p[value.n - 1] == ' ' || value.p[value.n - 1] == '\t'))
                value.n--;

        if (name_is(name, "Content-Length")) {
                uint64_t v;
                int r = parse_length(value, &v);
                if (r < 0)
                        return r;
                if (f->have_length && v != f->length)
                        return -EBADMSG;  /* two framings: a smuggling pattern */
                f->have_length = true;
                f->length = v;
        } else if (name_is(name, "Transfer-Encoding")) {
                if (!(value.n == 8 && strncasecmp(value.p, "identity", 8) == 0))
                        return -EBADMSG;  /* chunked or compressed: not spoken here */
        }
        return 0;
}

/* The status line and the header fields, up to the empty line. Returns 1 with *POS at the
 * body, 0 when the header section is not complete yet. */
static int parse_header(const char *data, size_t size, size_t *pos, int *status, Framing *f) {
        Line l;
        int r;

        r = next_line(data, size, pos, &l);
        if (r <= 0)
                return r;
        r = parse_status_line(l, status);
        if (r < 0)
                return r;

        for (;;) {
                r = next_line(data, size, pos, &l);
                if (r <= 0)
                        return r;
                if (*pos > HTTP_HEADER_MAX)
                        return -EBADMSG;
                if (l.n == 0)
                        return 1;  /* the empty line ends the header section */
                r = parse_field(l, f);
                if (r < 0)
                        return r;
        }
}

int http_response_parse(const char *data, size_t size, bool eof, size_t max_body, HttpResponse *ret) {
        Framing f = {};
        size_t pos = 0;
        int status, r;

        r = parse_header(data, size, &pos, &status, &f);
        if (r < 0)
                return r;
        if (r == 0) {
                if (size > HTTP_HEADER_MAX)
                        return -EBADMSG;
                return eof ? -EBADMSG : -EAGAIN;
        }

        /* Interim responses only follow "Expect: 100-continue", which we never send. */
        if (status < 200)
                return -EBADMSG;

        *ret = (HttpResponse) { .status = status, .body_offset = pos };
        if (status == 204 || status == 304)
                return 0;  /* never a body, whatever the headers say */

        size_t have = size - pos;
        if (f.have_length) {
                if (f.length > max_body)
                        return -EMSGSIZE;
                if (have < f.length)
                        return eof ? -EBADMSG : -EAGAIN;
                ret->body_size = (size_t) f.length;
                return 0;
        }
        /* No length: the body runs to the end of the connection. */
        if (have > max_body)
                return -EMSGSIZE;
        if (!eof)
                return -EAGAIN;
        ret->body_size = have;
        return 0;
}
