/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* apply: plan against the live host, print what differs (apply-state.c, plan-diff.c), then
 * reload systemd (the generator writes the units again), top up the pages, bind the new
 * devices, start the new autostart VMs, and restart the changed running ones only when asked.
 * It never stops a VM and never unbinds a device something holds. */

#include <inttypes.h>

#include "apply-state.h"
#include "hugepages.h"
#include "log.h"
#include "systemd-manager.h"
#include "unsafe-interrupts.h"
#include "util.h"
#include "verb-apply.h"
#include "vfio-bind.h"
#include "vm-unit.h"

static void bus_closep(sd_bus **bus) {
        sd_bus_flush_close_unref(*bus);
}

/* Returns the number of nodes short of their plan. */
static int top_up_pages(const ApplyState *s) {
        int failures = 0;
        for (size_t i = 0; i < s->diff.n_pages; i++) {
                const PageChange *c = &s->diff.pages[i];
                _cleanup_(freep) char *path = hugepages_pool_path(NULL, s->ctx->inventory.has_nodes, c->node, "nr_hugepages");
                uint64_t before, after;
                int r = path ? hugepages_pool_reserve(path, c->planned, &before, &after) : -ENOMEM;
                if (r < 0 && after == 0) {
                        log_error_errno(r, "Node %u: cannot set 1 GiB pages through %s: %m", c->node, strempty(path));
                        failures++;
                } else if (after < c->planned) {
                        log_error("Node %u: asked for %" PRIu64 " pages of 1 GiB, the kernel gave %" PRIu64 " (short by %"
                                  PRIu64 "): at run time memory is fragmented; reserve them at boot with the parameters "
                                  "'nestvirt cmdline' prints and reboot, or lower Memory=",
                                  c->node, c->planned, after, c->planned - after);
                        failures++;
                } else
                        log_info("Node %u: %" PRIu64 " pages of 1 GiB reserved (%" PRIu64 " before).", c->node, after, before);
        }
        return failures;
}

/* Binds the claims that are new and free; returns how many did not end up on vfio-pci. */
static int claim_devices(const ApplyState *s) {
        _cleanup_(strv_freep) char **todo = NULL;
        int failures = 0;
        for (size_t i = 0; i < s->diff.n_devices; i++) {
                const DeviceChange *c = &s->diff.devices[i];
                const char *name = s->ctx->inventory.devices[c->device].name;
                const char *why = apply_device_blocked(s, i);
                if (c->kind != DEVICE_CLAIM)
                        continue;
                if (why) {
                        log_error("%s: not bound to vfio-pci, it is in use: %s. Free it (or reboot), then run "
                                  "'nestvirt apply' again.", name, why);
                        failures++;
                } else if (strv_extend(&todo, name) < 0)
                        return log_oom(), failures + 1;
        }
        if (!todo)
                return failures;
        const Plan *p = &s->ctx->plan;
        if (p->unsafe_interrupts && allow_unsafe_interrupts(NULL, false, "vfio_iommu_type1", p->unsafe_interrupts_reason) < 0)
                failures++;
        VfioBindOptions bo = {};
        int r = vfio_bind_devices(&bo, todo, NULL);
        return failures + (r < 0 ? 1 : r);
}

static int unit_job(sd_bus *bus, const char *method, const char *vm) {
        _cleanup_(freep) char *unit = vm_unit_name(vm);
        _cleanup_(freep) char *result = NULL;
        if (!unit)
                return log_oom();
        int r = systemd_unit_job(bus, method, unit, &result);
        if (r < 0)
                return log_error_errno(r, "%s %s failed: %m", method, unit);
        if (!streq(result, "done"))
                return log_error_errno(-EIO, "%s %s: the job ended '%s'; see journalctl -u %s", method, unit, result,
                                       unit);
        log_info("%s: %s.", unit, streq(method, "StartUnit") ? "started" : "restarted");
        return 0;
}

/* Returns the number of VMs that did not start or restart. */
static int start_vms(const ApplyState *s, sd_bus *bus) {
        int failures = 0;
        for (size_t i = 0; i < s->diff.n_units; i++) {
                const UnitChange *c = &s->diff.units[i];
                if (c->kind == UNIT_NEW && c->autostart && s->autostart)
                        failures += unit_job(bus, "StartUnit", c->vm) < 0;
                else if (c->kind == UNIT_CHANGED && c->running && s->restart)
                        failures += unit_job(bus, "RestartUnit", c->vm) < 0;
        }
        return failures;
}

static int rebuild_initramfs(const ApplyState *s) {
        _cleanup_(strv_freep) char **argv = initramfs_rebuild_command(NULL, s->kver);
        if (!argv)
                return log_error_errno(-ENOENT, "Neither update-initramfs nor dracut is installed: cannot rebuild the "
                                       "initramfs of %s.", s->kver);
        log_info("Rebuilding the initramfs of %s: %s ...", s->kver, argv[0]);
        return initramfs_rebuild(argv) == 0 ? 0 : -EIO;
}

/* The changes, in the order they depend on each other: units first (the VMs need them), pages
 * and devices before any VM starts. Returns the number of failures. */
static int act(const ApplyState *s, sd_bus *bus, bool initramfs) {
        int failures = 0;
        int r = systemd_reload(bus);
        if (r < 0)
                return log_error_errno(r, "Cannot reload systemd (daemon-reload): %m; nothing was changed"), 1;
        log_info("systemd reloaded: the generator wrote the VM units again.");
        failures += top_up_pages(s);
        failures += claim_devices(s);
        failures += start_vms(s, bus);
        if (s->initramfs == INITRAMFS_CONFIG_DIFFERS && initramfs)
                failures += rebuild_initramfs(s) < 0;
        return failures;
}

int verb_apply(const Options *o, int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        if (o->root && !o->dry_run) {
                fprintf(stderr, "nestvirt apply: --root works with --dry-run only (the units and devices under it "
                                "are not this machine's)\n");
                return EXIT_USAGE;
        }
        _cleanup_(context_done) Context ctx = {};
        if (context_load(&ctx, o, /* strict= */ false) < 0)
                return EXIT_PROBLEMS;
        context_print_diagnostics(&ctx, stderr);

        _cleanup_(bus_closep) sd_bus *bus = o->root ? NULL : systemd_connect();
        if (!bus && !o->root && !o->dry_run) {
                log_error("Cannot reach systemd (neither the system bus nor /run/systemd/private); nothing was changed.");
                return EXIT_PROBLEMS;
        }
        _cleanup_(apply_state_done) ApplyState s = {};
        if (apply_state_collect(&ctx, bus, o->restart, &s) < 0)
                return EXIT_PROBLEMS;
        apply_state_print(&s, stdout);
        fflush(stdout);

        bool errors = context_count(&ctx, DIAG_ERROR) > 0;
        if (o->dry_run)
                return errors ? EXIT_PROBLEMS : 0;
        return act(&s, bus, o->initramfs) > 0 || errors ? EXIT_PROBLEMS : 0;
}
