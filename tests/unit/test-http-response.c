/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What comes back from Cloud Hypervisor's API socket: the HTTP response parser, fed the way the
 * client feeds it (growing prefixes, then EOF). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http-response.h"
#include "macro.h"

#define MAX_BODY 1024

static int parse(const char *s, bool eof, HttpResponse *h) {
        return http_response_parse(s, strlen(s), eof, MAX_BODY, h);
}

/* Checks that S parses to STATUS and BODY, and that every shorter prefix asks for more bytes:
 * the client must never stop early. */
static void check_complete(const char *s, bool needs_eof, int status, const char *body) {
        HttpResponse h = {};
        size_t n = strlen(s);

        for (size_t i = 0; i < n; i++)
                assert_int_equal(http_response_parse(s, i, false, MAX_BODY, &h), -EAGAIN);
        assert_int_equal(http_response_parse(s, n, false, MAX_BODY, &h), needs_eof ? -EAGAIN : 0);
        if (needs_eof)
                assert_int_equal(http_response_parse(s, n, true, MAX_BODY, &h), 0);
        assert_int_equal(h.status, status);
        assert_int_equal(h.body_size, strlen(body));
        assert_memory_equal(s + h.body_offset, body, h.body_size);
}

static void test_http_cloud_hypervisor(void **state) {
        /* What micro_http writes: empty reason phrase, keep-alive, no length on 204. */
        check_complete("HTTP/1.1 204 \r\nServer: Cloud Hypervisor API\r\nConnection: keep-alive\r\n\r\n",
                       false, 204, "");
        check_complete("HTTP/1.1 200 \r\nServer: Cloud Hypervisor API\r\nConnection: keep-alive\r\n"
                       "Content-Type: application/json\r\nContent-Length: 19\r\n\r\n{\"state\":\"Running\"}",
                       false, 200, "{\"state\":\"Running\"}");
        check_complete("HTTP/1.1 500 \r\nContent-Length: 27\r\n\r\n[\"Error from API\",\"no VM\"]\n",
                       false, 500, "[\"Error from API\",\"no VM\"]\n");
}

static void test_http_framing(void **state) {
        HttpResponse h = {};

        /* Without Content-Length the body runs to EOF. */
        check_complete("HTTP/1.0 200 OK\r\n\r\nhello", true, 200, "hello");
        check_complete("HTTP/1.1 404 Not Found\r\nX-A: b\r\n\r\n", true, 404, "");
        /* Bare LF line ends, tabs and spaces around values, any case of the field name. */
        check_complete("HTTP/1.1 200 OK\ncontent-LENGTH:\t 2 \n\nok", false, 200, "ok");
        check_complete("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, 200, "");
        check_complete("HTTP/1.1 201 Created\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", false, 201, "abc");
        check_complete("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 1\r\n\r\nx", false, 200, "x");

        /* Bytes after the response (a pipelined next one, junk) are not the body's. */
        assert_int_equal(parse("HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nokEXTRA", false, &h), 0);
        assert_int_equal(h.body_size, 2);
        /* 204 and 304 have no body even when a length is announced. */
        assert_int_equal(parse("HTTP/1.1 204 \r\nContent-Length: 5\r\n\r\n", false, &h), 0);
        assert_int_equal(h.body_size, 0);
        assert_int_equal(parse("HTTP/1.1 304 Not Modified\r\n\r\n", false, &h), 0);
        assert_int_equal(h.status, 304);
}

static void test_http_truncated(void **state) {
        HttpResponse h = {};

        assert_int_equal(parse("", true, &h), -EBADMSG);
        assert_int_equal(parse("HTTP/1.1 200 OK\r\n", true, &h), -EBADMSG);
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", true, &h), -EBADMSG);
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", false, &h), -EAGAIN);
        /* A CR at the very end may still be followed by its LF. */
        assert_int_equal(parse("HTTP/1.1 200 OK\r", false, &h), -EAGAIN);
}

static void test_http_malformed(void **state) {
        static const char *const bad[] = {
                "garbage\r\n\r\n",
                "HTTP/2 200 \r\n\r\n",
                "HTTP/1.1 2x0 OK\r\n\r\n",
                "HTTP/1.1 20 OK\r\n\r\n",
                "HTTP/1.1 099 \r\n\r\n",
                "HTTP/1.1 2000\r\n\r\n",
                "HTTP/1.1  200 OK\r\n\r\n",
                "http/1.1 200 OK\r\n\r\n",
                "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
                "HTTP/1.1 200 OK\r\nName : space before colon\r\n\r\n",
                "HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
                "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
                "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n",
                "HTTP/1.1 200 OK\r\nA: b\001\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\nx",
                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 \r\n\r\n",
        };
        HttpResponse h;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int r = parse(bad[i], false, &h);
                if (r != -EBADMSG)
                        fail_msg("accepted (%d): %s", r, bad[i]);
        }
        /* A NUL is data to the client, not the end of a C string. */
        static const char nul[] = "HTTP/1.1 200 OK\r\nA: \0\r\n\r\n";
        assert_int_equal(http_response_parse(nul, sizeof nul - 1, false, MAX_BODY, &h), -EBADMSG);
}

static void test_http_limits(void **state) {
        HttpResponse h = {};
        char *big;

        /* The length alone is enough to refuse; saturation keeps huge values from wrapping. */
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n", false, &h), -EMSGSIZE);
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551617\r\n\r\n", false, &h), -EMSGSIZE);
        assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n", false, &h), -EAGAIN);

        /* To EOF: refused as soon as more than the maximum arrived. */
        size_t head = strlen("HTTP/1.1 200 OK\r\n\r\n");
        big = malloc(head + MAX_BODY + 2);
        assert_non_null(big);
        memcpy(big, "HTTP/1.1 200 OK\r\n\r\n", head);
        memset(big + head, 'x', MAX_BODY + 1);
        assert_int_equal(http_response_parse(big, head + MAX_BODY, true, MAX_BODY, &h), 0);
        assert_int_equal(h.body_size, MAX_BODY);
        assert_int_equal(http_response_parse(big, head + MAX_BODY + 1, false, MAX_BODY, &h), -EMSGSIZE);
        free(big);

        /* A header section that never ends. */
        big = malloc(HTTP_HEADER_MAX + 64);
        assert_non_null(big);
        strcpy(big, "HTTP/1.1 200 OK\r\n");
        for (size_t n = strlen(big); n + 9 < HTTP_HEADER_MAX + 32; n += 8)
                strcpy(big + n, "X: 1234\n");
        assert_int_equal(http_response_parse(big, strlen(big), false, MAX_BODY, &h), -EBADMSG);
        free(big);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_http_cloud_hypervisor),
                cmocka_unit_test(test_http_framing),
                cmocka_unit_test(test_http_truncated),
                cmocka_unit_test(test_http_malformed),
                cmocka_unit_test(test_http_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
