/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A minimal HTTP/1.1 client for Cloud Hypervisor's API socket (docs/api.md): one request per
 * connection, "Connection: close", no libcurl. CH's server (micro_http) keeps the connection
 * open after answering, so a response ends where its Content-Length says, not at EOF. */

/* Bodies larger than this are refused: vm.info of a big VM is a few KiB. */
#define CH_API_BODY_MAX (1024U * 1024U)

typedef struct ChApiResponse {
        int status;        /* HTTP status code, e.g. 200, 204 */
        char *body;        /* NUL-terminated, possibly empty; never NULL after success */
} ChApiResponse;

/* METHOD ENDPOINT (e.g. "PUT", "/api/v1/vm.power-button") with an optional JSON body, over the
 * Unix socket at SOCKET_PATH, giving up after TIMEOUT_MS in total. Returns 0 when a complete
 * response arrived (whatever its status), -ENOENT/-ECONNREFUSED when nobody listens,
 * -ETIMEDOUT, -EBADMSG for a malformed response, -EMSGSIZE for a body over CH_API_BODY_MAX,
 * another negative errno from the socket calls; logs nothing. */
int ch_api_request(const char *socket_path, const char *method, const char *endpoint, const char *body,
                   int timeout_ms, ChApiResponse *ret);
void ch_api_response_done(ChApiResponse *r);
