/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ch-api.h"
#include "http-response.h"
#include "time-util.h"
#include "util.h"

/* Waits until FD is ready for EVENTS or DEADLINE passes. Errors and hangups count as ready:
 * the read or write that follows reports them. */
static int wait_fd(int fd, short events, int64_t deadline) {
        for (;;) {
                int64_t left = deadline - now_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = fd, .events = events };
                int r = poll(&p, 1, (int) MIN(left, (int64_t) INT_MAX));
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r > 0)
                        return 0;
        }
}

static int connect_unix(const char *path, int64_t deadline, int *ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t l = strlen(path);

        if (l >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, l + 1);

        _cleanup_(closep) int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* When the listen backlog is full, a non-blocking connect() to a Unix socket fails with
         * EAGAIN instead of completing later, so there is nothing to poll for: try again. */
        while (connect(fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l + 1)) < 0) {
                if (errno != EAGAIN)
                        return -errno;
                if (now_ms() >= deadline)
                        return -ETIMEDOUT;
                sleep_ms(10);
        }
        *ret = fd;
        fd = -1;
        return 0;
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline) {
        while (n > 0) {
                /* MSG_NOSIGNAL: a server that went away must not kill us with SIGPIPE. */
                ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return -errno;
                        int r = wait_fd(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* No CR, LF or space may reach the request line: they would end it, or start a header. */
static bool is_request_token(const char *s) {
        if (isempty(s))
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || *s == 0x7f)
                        return false;
        return true;
}

static int format_request(const char *method, const char *endpoint, const char *body, char **ret) {
        if (!is_request_token(method) || !is_request_token(endpoint) || endpoint[0] != '/')
                return -EINVAL;

        /* CH's server skips header fields it does not know (Host, Connection); Accept and
         * Content-Type must name a type it knows, or it refuses the request. */
        if (body)
                return asprintf_safe(ret,
                                     "%s %s HTTP/1.1\r\n"
                                     "Host: localhost\r\n"
                                     "Accept: application/json\r\n"
                                     "Content-Type: application/json\r\n"
                                     "Content-Length: %zu\r\n"
                                     "Connection: close\r\n"
                                     "\r\n"
                                     "%s",
                                     method, endpoint, strlen(body), body);
        /* A PUT without a body still says so: some servers wait for one otherwise. */
        return asprintf_safe(ret,
                             "%s %s HTTP/1.1\r\n"
                             "Host: localhost\r\n"
                             "Accept: application/json\r\n"
                             "%s"
                             "Connection: close\r\n"
                             "\r\n",
                             method, endpoint, streq(method, "GET") || streq(method, "HEAD") ? "" : "Content-Length: 0\r\n");
}

/* Reads until the parser has a complete response. The buffer can hold any response the parser
 * accepts plus one byte, so it decides (complete, or too big) before the buffer is full. */
static int read_response(int fd, int64_t deadline, ChApiResponse *ret) {
        const size_t limit = HTTP_HEADER_MAX + CH_API_BODY_MAX + 1;
        _cleanup_(freep) char *buf = NULL;
        size_t n = 0, allocated = 0;
        HttpResponse h;

        for (;;) {
                if (n == allocated) {
                        if (allocated == limit)
                                return -EMSGSIZE;
                        size_t a = MIN(MAX(allocated * 2, (size_t) 4096), limit);
                        char *p = realloc(buf, a);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = a;
                }

                ssize_t k = recv(fd, buf + n, allocated - n, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                int r = wait_fd(fd, POLLIN, deadline);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        /* A Unix socket peer that closes with bytes of ours unread resets the
                         * connection: it may have answered in full before that. */
                        if (errno != ECONNRESET)
                                return -errno;
                        k = 0;
                }
                if (k == 0 && n == 0)
                        return -ECONNRESET;  /* closed without a word: not a malformed answer */
                n += (size_t) k;

                int r = http_response_parse(buf, n, k == 0, CH_API_BODY_MAX, &h);
                if (r == -EAGAIN)
                        continue;
                if (r < 0)
                        return r;
                break;
        }

        /* The body becomes the string: it starts after the status line, so it fits with its NUL. */
        memmove(buf, buf + h.body_offset, h.body_size);
        buf[h.body_size] = 0;
        *ret = (ChApiResponse) { .status = h.status, .body = TAKE_PTR(buf) };
        return 0;
}

int ch_api_request(const char *socket_path, const char *method, const char *endpoint, const char *body,
                   int timeout_ms, ChApiResponse *ret) {
        int64_t deadline = now_ms() + timeout_ms;
        _cleanup_(freep) char *request = NULL;
        _cleanup_(closep) int fd = -1;
        int r;

        r = format_request(method, endpoint, body, &request);
        if (r < 0)
                return r;
        r = connect_unix(socket_path, deadline, &fd);
        if (r < 0)
                return r;
        r = send_all(fd, request, strlen(request), deadline);
        if (r < 0)
                return r;
        return read_response(fd, deadline, ret);
}

void ch_api_response_done(ChApiResponse *r) {
        free(r->body);
        r->body = NULL;
}
