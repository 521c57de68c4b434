/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "util.h"
#include "vm-command.h"
#include "vm-net.h"
#include "vm-verbs.h"

unsigned arg_timeout = 0;

char *vm_api_socket_path(const char *root, const char *name) {
        _cleanup_(freep) char *p = strjoin(VM_RUNTIME_DIR "/", name, "/api.sock");
        return p ? path_under_root(root, p) : NULL;
}

char *vm_seed_path(const char *root, const char *name) {
        _cleanup_(freep) char *p = strjoin(VM_RUNTIME_DIR "/", name, "/" VM_SEED_FILE);
        return p ? path_under_root(root, p) : NULL;
}

static int parse_pid(const char *s, pid_t *ret) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v <= 0 || v != (pid_t) v)
                return -EINVAL;
        *ret = (pid_t) v;
        return 0;
}

/* Loads config and plan as the generator does, and finds NAME among the planned VMs. */
static int load_vm(Context *ctx, const char *name, size_t *ret) {
        if (context_load(ctx, /* strict= */ false) < 0)
                return -EIO;
        for (size_t i = 0; i < ctx->plan.n_vms; i++) {
                if (!streq(ctx->plan.vms[i].config->name, name))
                        continue;
                if (!ctx->plan.vms[i].valid) {
                        /* Show only what concerns this VM (and the host). */
                        for (size_t k = 0; k < 2; k++) {
                                const Diagnostics *d = k ? &ctx->plan.diagnostics : &ctx->config.diagnostics;
                                for (size_t j = 0; j < d->n; j++) {
                                        if (d->items[j].level != DIAG_ERROR || (d->items[j].vm && !streq(d->items[j].vm, name)))
                                                continue;
                                        char where[512];
                                        diag_format_location(&d->items[j], where, sizeof where);
                                        log_error("%s%s", where, d->items[j].message);
                                }
                        }
                        return log_error_errno(EINVAL,
                                               "VM %s has configuration errors (above); fix them and run 'systemctl daemon-reload'.",
                                               name);
                }
                *ret = i;
                return 0;
        }
        return log_error_errno(ENOENT,
                               "No VM named '%s' in the configuration; 'nestvirt plan' lists them.", name);
}

int verb_vm(int argc, char *argv[]) {
        static const char *const usage =
                "Usage: nestvirt vm argv|preflight|prepare|net-up|net-down NAME\n"
                "       nestvirt vm wait-running|stop NAME [MAIN_PID]\n";
        if (argc < 3) {
                fputs(usage, stderr);
                return EXIT_USAGE;
        }
        const char *sub = argv[1], *name = argv[2];
        bool stop = streq(sub, "stop"), wait = streq(sub, "wait-running");
        if (stop || wait ? argc > 4 : argc != 3) {
                fputs(usage, stderr);
                return EXIT_USAGE;
        }
        if (!vm_name_is_valid(name)) {
                fprintf(stderr, "nestvirt vm: '%s' is not a VM name ([a-z0-9][a-z0-9-]{0,31})\n", name);
                return EXIT_USAGE;
        }

        /* Like stop: whatever became of the config, a stopped VM's rule goes. */
        if (streq(sub, "net-down"))
                return vm_net_down(name) < 0 ? EXIT_PROBLEMS : 0;

        /* These two act on a running VM and must work whatever became of the config. */
        if (stop || wait) {
                /* systemd leaves $MAINPID unset, so no argument, once the main process exited. */
                pid_t pid = 0;
                if (argc == 4 && parse_pid(argv[3], &pid) < 0) {
                        fprintf(stderr, "nestvirt vm %s: '%s' is not a process id\n", sub, argv[3]);
                        return EXIT_USAGE;
                }
                if (stop)
                        return vm_stop(name, pid, arg_timeout) < 0 ? EXIT_PROBLEMS : 0;
                return vm_wait_running(name, pid, arg_timeout) < 0 ? EXIT_PROBLEMS : 0;
        }

        int (*run)(Context *, size_t);
        if (streq(sub, "argv"))
                run = vm_print_argv;
        else if (streq(sub, "preflight"))
                run = vm_preflight;
        else if (streq(sub, "prepare"))
                run = vm_prepare;
        else if (streq(sub, "net-up"))
                run = vm_net_up;
        else {
                fprintf(stderr, "nestvirt vm: unknown subcommand '%s'\n%s", sub, usage);
                return EXIT_USAGE;
        }

        _cleanup_(context_done) Context ctx = {};
        size_t vm = 0;
        if (load_vm(&ctx, name, &vm) < 0)
                return EXIT_PROBLEMS;
        return run(&ctx, vm) < 0 ? EXIT_PROBLEMS : 0;
}
