/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The two subcommands around a running Cloud Hypervisor: readiness (ExecStartPost=, CH has no
 * sd_notify) and the graceful stop (ExecStop=). Both talk to CH's API socket only and never
 * read the config, so they work whatever became of it since the start. */

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "ch-api.h"
#include "json-scan.h"
#include "log.h"
#include "time-util.h"
#include "util.h"
#include "vm-lifecycle.h"
#include "vm-paths.h"

#define WAIT_RUNNING_DEFAULT_SEC 30U
#define WAIT_RUNNING_POLL_MS 100
/* Below the unit's TimeoutStopSec=90s: systemd's SIGTERM must not cut the wait short. */
#define STOP_DEFAULT_SEC 60U
#define EXIT_POLL_MS 100

static int ms_until(int64_t deadline) {
        return (int) MAX(MIN(deadline - now_ms(), (int64_t) INT_MAX), (int64_t) 0);
}

/* An error body for a log line: CH sends a JSON array of messages, others send text. Control
 * characters become spaces so the message stays one line; long bodies are cut. */
static const char *body_for_log(const char *body, char *buf, size_t size) {
        size_t n = 0;

        body = body ? body + strspn(body, " \t\r\n") : "";
        if (!*body)
                return "(empty body)";
        for (; *body && n + 1 < size; body++)
                buf[n++] = (unsigned char) *body < ' ' ? ' ' : *body;
        while (n > 0 && buf[n - 1] == ' ')
                n--;
        buf[n] = 0;
        if (*body && size > 4)
                memcpy(buf + MIN(n, size - 4), "...", 4);
        return buf;
}

/* A pidfd pins the process itself: the PID number could be reused while we wait. */
static int pidfd_open_(pid_t pid) {
#ifdef SYS_pidfd_open
        return (int) syscall(SYS_pidfd_open, pid, 0);
#else
        errno = ENOSYS;
        return -1;
#endif
}

/* ---- vm wait-running ---- */

/* Whether the process has exited (a zombie counts: it is systemd's child, not ours). */
static bool process_exited(int pidfd, pid_t pid) {
        if (pid <= 0)
                return false;
        if (pidfd < 0)
                return kill(pid, 0) < 0 && errno == ESRCH;
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        return poll(&p, 1, 0) > 0;
}

int vm_wait_running(const char *root, const char *name, pid_t main_pid, unsigned timeout_sec) {
        unsigned timeout = timeout_sec ?: WAIT_RUNNING_DEFAULT_SEC;
        char last[PATH_MAX + 128] = "", state[32], b[512];
        bool seen = false;      /* the socket existed at some point */
        int r;

        _cleanup_(freep) char *path = vm_api_socket_path(root, name);
        if (!path)
                return log_oom();

        _cleanup_(closep) int pidfd = main_pid > 0 ? pidfd_open_(main_pid) : -1;
        int64_t start = now_ms(), deadline = start + (int64_t) timeout * 1000;
        while (now_ms() < deadline) {
                _cleanup_(ch_api_response_done) ChApiResponse resp = {};

                /* A hypervisor that died will never answer: say so now, not at the timeout. */
                if (process_exited(pidfd, main_pid))
                        return log_error_errno(ESRCH, "VM %s: cloud-hypervisor (PID %d) exited before the VM was running (%s); see journalctl -u nestvirt-vm@%s for its error.",
                                               name, (int) main_pid, last[0] ? last : "no answer yet", name);

                /* The whole remaining time: CH answers only once its control loop runs, after
                 * guest memory is allocated and mapped, which takes a while for a big VM. */
                r = ch_api_request(path, "GET", "/api/v1/vm.info", NULL, ms_until(deadline), &resp);
                if (r != -ENOENT)
                        seen = true;
                if (r == -ENOENT)
                        snprintf(last, sizeof last, seen ? "the API socket %s disappeared" :
                                 "the API socket %s never appeared: is cloud-hypervisor running?", path);
                else if (r == -ECONNREFUSED)
                        snprintf(last, sizeof last, "nobody listens on %s: cloud-hypervisor exited or has not started yet", path);
                else if (r == -ECONNRESET)
                        snprintf(last, sizeof last, "the API on %s closed the connection without answering", path);
                else if (r == -ETIMEDOUT)
                        snprintf(last, sizeof last, "the API on %s accepted the connection but did not answer", path);
                else if (r == -EBADMSG || r == -EMSGSIZE)
                        return log_error_errno(r, "VM %s: the API on %s sent a malformed answer to GET /api/v1/vm.info (%m); is that Cloud Hypervisor?",
                                               name, path);
                else if (r < 0)
                        return log_error_errno(r, "VM %s: cannot query the API on %s: %m.", name, path);
                else if (resp.status == 404) {
                        /* openapi: the VM is not created yet. CH creates it from its command
                         * line just after opening the socket: a short window. */
                        snprintf(last, sizeof last, "the API says the VM is not created yet (HTTP 404)");
                } else if (resp.status != 200)
                        return log_error_errno(EPROTO, "VM %s: GET /api/v1/vm.info on %s failed: HTTP %d: %s; check journalctl -u nestvirt-vm@%s.",
                                               name, path, resp.status, body_for_log(resp.body, b, sizeof b), name);
                else {
                        r = json_top_level_string(resp.body, "state", state, sizeof state);
                        if (r < 0)
                                return log_error_errno(r, "VM %s: the answer to GET /api/v1/vm.info on %s has no \"state\" string: %s",
                                                       name, path, body_for_log(resp.body, b, sizeof b));
                        if (streq(state, "Running")) {
                                log_info("VM %s is running (after %.1f s).", name, (double) (now_ms() - start) / 1000.0);
                                return 0;
                        }
                        if (streq(state, "Shutdown"))
                                return log_error_errno(ESHUTDOWN, "VM %s shut down instead of starting (state Shutdown); check journalctl -u nestvirt-vm@%s and the guest's serial log.",
                                                       name, name);
                        /* Created (booting), Paused, BreakPoint: only time tells. */
                        snprintf(last, sizeof last, "last state: %s", state);
                }

                sleep_ms(MIN((int64_t) WAIT_RUNNING_POLL_MS, (int64_t) ms_until(deadline)));
        }

        return log_error_errno(ETIMEDOUT, "VM %s did not reach state Running within %u s (%s); check journalctl -u nestvirt-vm@%s%s.",
                               name, timeout, last[0] ? last : "no answer", name,
                               startswith(last, "last state: Created") ? "; a VM with much memory may need a larger --timeout" : "");
}

/* ---- vm stop ---- */


/* Waits for the process to exit (or become a zombie: it is systemd's child, not ours).
 * Without a pidfd, polls kill(pid, 0). Returns 0 or -ETIMEDOUT. */
static int wait_for_exit(int pidfd, pid_t pid, int64_t deadline) {
        for (;;) {
                if (pidfd < 0 && kill(pid, 0) < 0 && errno == ESRCH)
                        return 0;
                int left = ms_until(deadline);
                if (left <= 0)
                        return -ETIMEDOUT;
                if (pidfd < 0) {
                        sleep_ms(MIN(left, EXIT_POLL_MS));
                        continue;
                }
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                int r = poll(&p, 1, left);
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r > 0)
                        return 0;
        }
}

int vm_stop(const char *root, const char *name, pid_t main_pid, unsigned timeout_sec) {
        unsigned timeout = timeout_sec ?: STOP_DEFAULT_SEC;
        char b[512];
        int r;

        /* systemd leaves $MAINPID unset when the main process exited before ExecStop= runs,
         * e.g. after a poweroff inside the guest. */
        if (main_pid <= 0) {
                log_info("VM %s: no main PID given (systemd passes none once cloud-hypervisor has exited); nothing to stop.", name);
                return 0;
        }

        _cleanup_(freep) char *path = vm_api_socket_path(root, name);
        if (!path)
                return log_oom();

        _cleanup_(closep) int pidfd = pidfd_open_(main_pid);
        if (pidfd < 0 && (errno == ESRCH || (kill(main_pid, 0) < 0 && errno == ESRCH))) {
                log_info("VM %s: its main process %d has exited already; nothing to stop.", name, (int) main_pid);
                return 0;
        }
        if (pidfd < 0)
                log_debug("VM %s: pidfd_open(%d) failed (%m); polling for the process instead.", name, (int) main_pid);

        int64_t start = now_ms(), deadline = start + (int64_t) timeout * 1000;
        _cleanup_(ch_api_response_done) ChApiResponse resp = {};
        r = ch_api_request(path, "PUT", "/api/v1/vm.power-button", NULL, ms_until(deadline), &resp);
        if (r == -ENOENT || r == -ECONNREFUSED) {
                log_warning_errno(r, "VM %s: the API on %s is gone (%m), so the power button cannot be pressed; systemd will now hard power-off the VM with SIGTERM.",
                                  name, path);
                return 0;
        }
        if (r < 0) {
                log_warning_errno(r, "VM %s: pressing the power button through %s failed: %s; systemd will now hard power-off the VM with SIGTERM.",
                                  name, path,
                                  r == -ETIMEDOUT ? "the API did not answer in time" :
                                  r == -EBADMSG ? "the API's answer was malformed" :
                                  r == -ECONNRESET ? "the API closed the connection without answering" : strerror(-r));
                return 0;
        }
        if (resp.status < 200 || resp.status > 299) {
                log_warning("VM %s: the API refused the power button: HTTP %d: %s; systemd will now hard power-off the VM with SIGTERM.",
                            name, resp.status, body_for_log(resp.body, b, sizeof b));
                return 0;
        }

        log_info("VM %s: pressed the ACPI power button; waiting up to %u s for cloud-hypervisor (PID %d) to exit.",
                 name, timeout, (int) main_pid);
        r = wait_for_exit(pidfd, main_pid, deadline);
        if (r == -ETIMEDOUT) {
                log_warning("VM %s did not shut down within %u s of the ACPI power button; systemd will now hard power-off it with SIGTERM. "
                            "The guest may lack ACPI support: it needs acpid or systemd-logind, and a kernel with CONFIG_ACPI_BUTTON.",
                            name, timeout);
                return 0;
        }
        if (r < 0) {
                log_warning_errno(r, "VM %s: cannot wait for cloud-hypervisor (PID %d) to exit: %m; systemd will now stop it with SIGTERM.",
                                  name, (int) main_pid);
                return 0;
        }
        log_info("VM %s shut down after %.1f s.", name, (double) (now_ms() - start) / 1000.0);
        return 0;
}
