/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 'nestvirt vm console NAME': finds the VM's serial socket and says plainly why there is none
 * (no such VM, Serial= is not socket, the VM is not running); the relay is src/vm/console.c. */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "console.h"
#include "log.h"
#include "util.h"
#include "verb-vm-console.h"
#include "vm-paths.h"

/* Only the configuration: the console must not depend on the devices or the plan. */
static int load_serial_mode(const Options *o, const char *name, SerialMode *ret) {
        ConfigLoadOptions lo = {
                .root = o->root,
                .single_file = o->config,
                .check_ownership = true,
                .allow_owner = o->allow_owner,
        };
        _cleanup_(config_done) Config config = {};

        int r = config_load(&lo, &config);
        if (r < 0)
                return log_error_errno(r, "Failed to load the configuration: %m");
        const VmConfig *c = config_find_vm(&config, name);
        if (!c)
                return log_error_errno(ENOENT, "No VM named '%s' in the configuration; 'nestvirt vm list' lists them.", name);
        *ret = c->serial;
        return 0;
}

static int explain_connect_error(const Options *o, const char *name, const char *path, int error) {
        _cleanup_(freep) char *api = vm_api_socket_path(o->root, name);
        bool running = api && access(api, F_OK) >= 0;

        if ((error == -ENOENT || error == -ECONNREFUSED) && !running)
                return log_error_errno(error, "VM %s is not running (no serial socket at %s); start it with 'systemctl start nestvirt-vm@%s'.",
                                       name, path, name);
        if (error == -ENOENT)
                return log_error_errno(error, "VM %s is running, but without a serial socket at %s: it was started before Serial=socket was set; restart it for a console.",
                                       name, path);
        if (error == -ECONNREFUSED)
                return log_error_errno(error, "Nobody listens on %s: cloud-hypervisor of VM %s has exited, or is still starting.", path, name);
        if (error == -EACCES || error == -EPERM)
                return log_error_errno(error, "Cannot connect to %s: %m; the console is root's (run it with sudo).", path);
        return log_error_errno(error, "Cannot connect to the serial socket %s of VM %s: %m", path, name);
}

static int report_end(const char *name, const ConsoleResult *res) {
        switch (res->end) {
        case CONSOLE_DETACHED:
                fprintf(stderr, "\nDetached from VM %s; it keeps running.\n", name);
                return 0;
        case CONSOLE_CLOSED:
                fprintf(stderr, "\nVM %s closed the console: it shut down, or cloud-hypervisor exited.\n", name);
                return 0;
        default:
                fprintf(stderr, "\nDetached from VM %s on SIG%s; it keeps running.\n", name, sigabbrev_np(res->signal) ?: "?");
                return EXIT_PROBLEMS;
        }
}

int vm_console(const Options *o, const char *name) {
        SerialMode mode = SERIAL_JOURNAL;
        int r;

        if (load_serial_mode(o, name, &mode) < 0)
                return EXIT_PROBLEMS;
        if (mode != SERIAL_SOCKET) {
                log_error("VM %s has no console: Serial=%s%s%s%s. Set Serial=socket in its [VM %s] section, run 'systemctl daemon-reload' and restart it.",
                          name, serial_mode_to_string(mode), mode == SERIAL_JOURNAL ? " (its output is in 'journalctl -u nestvirt-vm@" : "",
                          mode == SERIAL_JOURNAL ? name : "", mode == SERIAL_JOURNAL ? "')" : "", name);
                return EXIT_PROBLEMS;
        }

        _cleanup_(freep) char *path = vm_serial_socket_path(o->root, name);
        if (!path)
                return log_oom(), EXIT_PROBLEMS;
        int sock = console_connect(path);
        if (sock < 0)
                return explain_connect_error(o, name, path, sock), EXIT_PROBLEMS;

        fprintf(stderr, "Connected to the serial console of VM %s; press Ctrl-] to detach.\n", name);
        ConsoleResult res = {};
        r = console_attach(sock, &res);
        if (r < 0)
                return EXIT_PROBLEMS;
        return report_end(name, &res);
}
