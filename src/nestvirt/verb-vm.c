/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 'nestvirt vm SUBCOMMAND NAME': what nestvirt-vm@NAME.service runs around Cloud Hypervisor,
 * and what an admin runs to debug it. Each subcommand lives in its own file; this one only
 * checks the arguments and finds the VM. */

#include <errno.h>
#include <stdlib.h>

#include "context.h"
#include "log.h"
#include "util.h"
#include "verb-vm-console.h"
#include "verb-vm-info.h"
#include "verb-vm-list.h"
#include "verb-vm.h"
#include "vm-argv.h"
#include "vm-control.h"
#include "vm-lifecycle.h"
#include "vm-net.h"
#include "vm-preflight.h"
#include "vm-prepare.h"

static const char *const usage =
        "Usage: nestvirt vm list [--json]\n"
        "       nestvirt vm info NAME [--json]\n"
        "       nestvirt vm console|reboot NAME\n"
        "       nestvirt vm argv|preflight|prepare|net-up|net-down NAME\n"
        "       nestvirt vm wait-running|stop NAME [MAIN_PID]\n";

static int parse_pid(const char *s, pid_t *ret) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v <= 0 || v != (pid_t) v)
                return -EINVAL;
        *ret = (pid_t) v;
        return 0;
}

/* Shows only what concerns this VM (and the host). */
static int log_vm_errors(const Context *ctx, const char *name) {
        const Diagnostics *lists[] = { &ctx->config.diagnostics, &ctx->plan.diagnostics };
        for (size_t k = 0; k < ELEMENTSOF(lists); k++)
                for (size_t j = 0; j < lists[k]->n; j++) {
                        const Diagnostic *d = &lists[k]->items[j];
                        if (d->level != DIAG_ERROR || (d->vm && !streq(d->vm, name)))
                                continue;
                        _cleanup_(freep) char *s = diag_format(d, /* with_level= */ false);
                        if (!s)
                                return log_oom();
                        log_error("%s", s);
                }
        return 0;
}

/* Loads config and plan as the generator does, and finds NAME among the planned VMs. */
static int load_vm(Context *ctx, const Options *o, const char *name, size_t *ret) {
        if (context_load(ctx, o, /* strict= */ false) < 0)
                return -EIO;
        for (size_t i = 0; i < ctx->plan.n_vms; i++) {
                if (!streq(ctx->plan.vms[i].config->name, name))
                        continue;
                if (!ctx->plan.vms[i].valid) {
                        int r = log_vm_errors(ctx, name);
                        if (r < 0)
                                return r;
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

/* wait-running and stop act on a running VM and must work whatever became of the config. */
static int run_on_process(const Options *o, bool stop, const char *name, const char *pid_arg) {
        /* systemd leaves $MAINPID unset, so no argument, once the main process exited. */
        pid_t pid = 0;
        if (pid_arg && parse_pid(pid_arg, &pid) < 0) {
                fprintf(stderr, "nestvirt vm %s: '%s' is not a process id\n", stop ? "stop" : "wait-running", pid_arg);
                return EXIT_USAGE;
        }
        if (stop)
                return vm_stop(o->root, name, pid, o->timeout) < 0 ? EXIT_PROBLEMS : 0;
        return vm_wait_running(o->root, name, pid, o->timeout) < 0 ? EXIT_PROBLEMS : 0;
}

typedef enum PlannedAction {
        ACTION_ARGV,
        ACTION_PREFLIGHT,
        ACTION_PREPARE,
        ACTION_NET_UP,
} PlannedAction;

/* argv, preflight and prepare start from the VM's plan. */
static int run_on_plan(const Options *o, PlannedAction action, const char *name) {
        _cleanup_(context_done) Context ctx = {};
        size_t vm = 0;
        int r;

        if (load_vm(&ctx, o, name, &vm) < 0)
                return EXIT_PROBLEMS;
        switch (action) {
        case ACTION_ARGV:
                r = vm_print_argv(&ctx.plan, vm, ctx.root);
                break;
        case ACTION_PREFLIGHT:
                r = vm_preflight(&ctx.plan, &ctx.inventory, vm, ctx.root, o->allow_owner);
                break;
        case ACTION_PREPARE:
                r = vm_prepare(&ctx.plan.vms[vm], ctx.root);
                break;
        default:
                r = vm_net_up(&ctx.plan.vms[vm]);
                break;
        }
        return r < 0 ? EXIT_PROBLEMS : 0;
}

static int usage_error(void) {
        fputs(usage, stderr);
        return EXIT_USAGE;
}

/* The subcommands an admin runs on a VM that may be running, whatever the config says now. */
static int run_operation(const Options *o, const char *sub, const char *name) {
        if (streq(sub, "console"))
                return vm_console(o, name);
        if (streq(sub, "info"))
                return vm_info(o, name);
        return vm_reboot(o->root, name, o->timeout) < 0 ? EXIT_PROBLEMS : 0;
}

int verb_vm(const Options *o, int argc, char *argv[]) {
        if (argc >= 2 && streq(argv[1], "list"))
                return argc == 2 ? vm_list(o) : usage_error();
        if (argc < 3)
                return usage_error();
        const char *sub = argv[1], *name = argv[2];
        bool stop = streq(sub, "stop"), wait = streq(sub, "wait-running");
        if (stop || wait ? argc > 4 : argc != 3)
                return usage_error();
        if (!vm_name_is_valid(name)) {
                fprintf(stderr, "nestvirt vm: '%s' is not a VM name ([a-z0-9][a-z0-9-]{0,31})\n", name);
                return EXIT_USAGE;
        }
        if (o->json && !streq(sub, "info")) {
                fprintf(stderr, "nestvirt vm %s: --json is for vm list and vm info only\n", sub);
                return EXIT_USAGE;
        }

        /* Like stop: whatever became of the config, a stopped VM's rule goes. */
        if (streq(sub, "net-down"))
                return vm_net_down(name) < 0 ? EXIT_PROBLEMS : 0;
        if (stop || wait)
                return run_on_process(o, stop, name, argc == 4 ? argv[3] : NULL);
        if (streq(sub, "console") || streq(sub, "info") || streq(sub, "reboot"))
                return run_operation(o, sub, name);
        if (streq(sub, "argv"))
                return run_on_plan(o, ACTION_ARGV, name);
        if (streq(sub, "preflight"))
                return run_on_plan(o, ACTION_PREFLIGHT, name);
        if (streq(sub, "prepare"))
                return run_on_plan(o, ACTION_PREPARE, name);
        if (streq(sub, "net-up"))
                return run_on_plan(o, ACTION_NET_UP, name);
        fprintf(stderr, "nestvirt vm: unknown subcommand '%s'\n%s", sub, usage);
        return EXIT_USAGE;
}
