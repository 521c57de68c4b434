/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fake-ch's API: HTTP/1.1 on the Unix socket, answered as CH's micro_http does, with the
 * connection kept open until the client closes it. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fake-ch.h"

#define MAX_CLIENTS 8
#define SHUTDOWN_DELAY_MS 1500   /* power button to exit: a guest shutting down */

typedef struct Client { int fd; size_t n; char buf[8192]; } Client;

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* As CH's micro_http writes them: "HTTP/1.1 200 \r\n", its Server, keep-alive, and a
 * Content-Type/Content-Length pair except for 204. */
static void respond(int fd, int status, const char *body) {
        char out[2048];
        int n = snprintf(out, sizeof out, "HTTP/1.1 %d \r\nServer: Cloud Hypervisor API\r\nConnection: keep-alive\r\n", status);
        if (status != 204)
                n += snprintf(out + n, sizeof out - (size_t) n, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                              strlen(body ?: ""));
        n += snprintf(out + n, sizeof out - (size_t) n, "\r\n%s", status != 204 && body ? body : "");
        if (send(fd, out, (size_t) n, MSG_NOSIGNAL) != n)
                say("api: answer not sent in full: %s", strerror(errno));
}

/* One complete request at the start of C's buffer: answered and removed. Returns false when
 * more bytes are needed. SHUTDOWN_AT is set by the power button. */
static bool serve_one(Client *c, int64_t *shutdown_at) {
        char *end = memmem(c->buf, c->n, "\r\n\r\n", 4), method[16], target[256];
        size_t body = 0;
        if (!end)
                return false;
        *end = 0;
        for (char *h = strstr(c->buf, "\r\n"); h; h = strstr(h + 2, "\r\n"))
                if (!strncasecmp(h + 2, "Content-Length:", 15))
                        body = strtoul(h + 17, NULL, 10);
        size_t total = (size_t) (end + 4 - c->buf) + body;
        if (total > c->n) {
                *end = '\r';
                return false;
        }
        if (sscanf(c->buf, "%15s %255s", method, target) != 2)
                snprintf(method, sizeof method, "?"), snprintf(target, sizeof target, "?");

        int status;
        char info[512];
        if (!strcmp(target, "/api/v1/vm.info") && !strcmp(method, "GET")) {
                snprintf(info, sizeof info, "{\"config\":{\"cpus\":{\"boot_vcpus\":%u,\"max_vcpus\":%u},\"memory\":"
                         "{\"size\":0}},\"state\":\"Running\",\"memory_actual_size\":%llu}",
                         options.boot_vcpus, options.boot_vcpus,
                         (unsigned long long) (options.n_zones ? options.zones[0].size : 0));
                respond(c->fd, status = 200, info);
        } else if (!strcmp(target, "/api/v1/vmm.ping") && !strcmp(method, "GET"))
                respond(c->fd, status = 200, "{\"build_version\":\"fake-ch (nestvirt boot lab)\",\"version\":\"fake\"}");
        else if (!strcmp(target, "/api/v1/vm.power-button") && !strcmp(method, "PUT")) {
                respond(c->fd, status = 204, NULL);
                if (!*shutdown_at)
                        *shutdown_at = now_ms() + SHUTDOWN_DELAY_MS;
        } else if (!strncmp(target, "/api/v1/", 8))
                respond(c->fd, status = 405, "[\"fake-ch: method or endpoint not served by this stand-in\"]");
        else
                respond(c->fd, status = 404, "[\"not found\"]");
        say("api: %s %s -> %d%s", method, target, status,
            status == 204 && !strcmp(target, "/api/v1/vm.power-button") ? " (power button: the guest shuts down)" : "");
        memmove(c->buf, c->buf + total, c->n - total);
        c->n -= total;
        return true;
}

_Noreturn void serve(int lfd) {
        Client clients[MAX_CLIENTS] = {};
        int64_t shutdown_at = 0;
        for (size_t i = 0; i < MAX_CLIENTS; i++)
                clients[i].fd = -1;
        say("running: the VM is 'Running'; serving the API on %s", options.api_socket);
        for (;;) {
                struct pollfd p[MAX_CLIENTS + 1] = { { .fd = lfd, .events = POLLIN } };
                for (size_t i = 0; i < MAX_CLIENTS; i++)
                        p[i + 1] = (struct pollfd) { .fd = clients[i].fd, .events = POLLIN };
                int timeout = shutdown_at ? (int) (shutdown_at - now_ms() > 0 ? shutdown_at - now_ms() : 0) : -1;
                int r = poll(p, MAX_CLIENTS + 1, timeout);
                if (r < 0 && errno != EINTR)
                        fail("api", errno, "poll");
                if (shutdown_at && now_ms() >= shutdown_at) {
                        say("guest shut down %d ms after the power button: exiting 0", SHUTDOWN_DELAY_MS);
                        exit(0);
                }
                if (r <= 0)
                        continue;
                if (p[0].revents & POLLIN) {
                        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                        size_t i = 0;
                        while (i < MAX_CLIENTS && clients[i].fd >= 0)
                                i++;
                        if (fd >= 0 && i < MAX_CLIENTS)
                                clients[i] = (Client) { .fd = fd };
                        else if (fd >= 0)
                                close(fd);
                }
                for (size_t i = 0; i < MAX_CLIENTS; i++) {
                        Client *c = &clients[i];
                        if (c->fd < 0 || !(p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        ssize_t k = c->n < sizeof c->buf ? recv(c->fd, c->buf + c->n, sizeof c->buf - c->n, 0) : 0;
                        if (k <= 0) {   /* the client closed (CH keeps it open until then) */
                                close(c->fd);
                                c->fd = -1;
                                continue;
                        }
                        c->n += (size_t) k;
                        while (serve_one(c, &shutdown_at))
                                ;
                }
        }
}
