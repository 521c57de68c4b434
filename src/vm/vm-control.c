/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "ch-api.h"
#include "log.h"
#include "util.h"
#include "vm-control.h"
#include "vm-paths.h"

#define CONTROL_DEFAULT_SEC 10U

/* Says why a request got no answer: most often, the VM is not running. */
static int log_request_error(const char *name, const char *path, const char *request, int r) {
        if (r == -ENOENT)
                return log_error_errno(r, "VM %s is not running (no API socket at %s); start it with 'systemctl start nestvirt-vm@%s'.",
                                       name, path, name);
        if (r == -ECONNREFUSED)
                return log_error_errno(r, "VM %s is not running: nobody listens on %s (cloud-hypervisor exited).", name, path);
        if (r == -EACCES || r == -EPERM)
                return log_error_errno(r, "Cannot connect to %s: %m; the API socket is root's (run it with sudo).", path);
        if (r == -ETIMEDOUT)
                return log_error_errno(r, "VM %s: the API on %s did not answer %s in time.", name, path, request);
        if (r == -EBADMSG || r == -EMSGSIZE || r == -ECONNRESET)
                return log_error_errno(r, "VM %s: the API on %s sent no valid answer to %s (%m); is that Cloud Hypervisor?",
                                       name, path, request);
        return log_error_errno(r, "VM %s: %s on %s failed: %m", name, request, path);
}

/* One request; fails (logged) unless the answer has a 2xx status. */
static int request(const char *root, const char *name, unsigned timeout_sec, const char *method, const char *endpoint,
                   ChApiResponse *ret) {
        _cleanup_(freep) char *path = vm_api_socket_path(root, name);
        _cleanup_(freep) char *what = strjoin(method, " ", endpoint);
        if (!path || !what)
                return log_oom();

        int r = ch_api_request(path, method, endpoint, NULL, (int) (timeout_sec ?: CONTROL_DEFAULT_SEC) * 1000, ret);
        if (r < 0)
                return log_request_error(name, path, what, r);
        if (ret->status < 200 || ret->status > 299) {
                /* Control characters of the body must not reach the terminal. */
                for (char *p = ret->body; *p; p++)
                        if ((unsigned char) *p < ' ')
                                *p = ' ';
                log_error("VM %s: %s failed: HTTP %d: %.300s", name, what, ret->status,
                          isempty(ret->body) ? "(empty body)" : ret->body);
                ch_api_response_done(ret);
                return -EPROTO;
        }
        return 0;
}

int vm_fetch_info(const char *root, const char *name, unsigned timeout_sec, VmInfo *ret) {
        _cleanup_(ch_api_response_done) ChApiResponse resp = {};
        int r = request(root, name, timeout_sec, "GET", "/api/v1/vm.info", &resp);
        if (r < 0)
                return r;
        r = vm_info_parse(resp.body, ret);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "VM %s: the answer to GET /api/v1/vm.info has no \"state\": is that Cloud Hypervisor?", name);
        return 0;
}

int vm_reboot(const char *root, const char *name, unsigned timeout_sec) {
        _cleanup_(ch_api_response_done) ChApiResponse resp = {};
        int r = request(root, name, timeout_sec, "PUT", "/api/v1/vm.reboot", &resp);
        if (r < 0)
                return r;
        log_info("VM %s is rebooting.", name);
        return 0;
}
