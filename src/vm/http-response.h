/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Parses an HTTP/1.x response as it arrives (RFC 9112), enough for Cloud Hypervisor's API
 * socket: status line, header fields, a body framed by Content-Length or by the end of the
 * connection. Chunked transfer coding is not supported: CH's server never sends it. Pure: no
 * I/O, no allocation, so the client can call it after every read on what it has so far. */

#include <stdbool.h>
#include <stddef.h>

/* Header section larger than this is refused: CH sends about 100 bytes. */
#define HTTP_HEADER_MAX (64U * 1024U)

typedef struct HttpResponse {
        int status;             /* 100..999 */
        size_t body_offset;     /* where the body starts in the data */
        size_t body_size;
} HttpResponse;

/* DATA holds the first SIZE bytes received; EOF says the peer closed the connection after them.
 * Returns 0 when the response is complete (bytes after it are ignored: a keep-alive server may
 * stay silent forever), -EAGAIN when more bytes are needed, -EBADMSG when the response is
 * malformed, truncated at EOF, interim (1xx) or chunked, -EMSGSIZE when the body would exceed
 * MAX_BODY bytes. */
int http_response_parse(const char *data, size_t size, bool eof, size_t max_body, HttpResponse *ret);
