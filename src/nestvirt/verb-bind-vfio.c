/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bind-vfio: the planned devices onto vfio-pci, before coldplug loads their own drivers.
 * This file decides which devices, and when: plan, refuse the devices the system cannot
 * lose, allow unsafe interrupts, detach each device, load vfio-pci (it is never autoloaded),
 * probe, bring in the rest of each IOMMU group, verify. The sysfs work, in libvirt's order,
 * is src/host/pci-device.c's. */

#include "boot-devices.h"
#include "initrd-record.h"
#include "kmod-util.h"
#include "log.h"
#include "messages.h"
#include "nestvirt.h"
#include "pci-device.h"
#include "proc-cmdline.h"
#include "runtime-switch.h"
#include "unsafe-interrupts.h"
#include "util.h"

bool arg_force = false;

/* One run of bind-vfio: its options, what it found, and what it did. */
typedef struct BindRun {
        const char *root;
        bool force;
        bool in_initrd;
        char **boot, **reasons;   /* the devices the running system depends on, and why */
        char **todo;              /* detached, to end up on vfio-pci */
        int failures;
} BindRun;

static void bind_run_done(BindRun *run) {
        run->boot = strv_free(run->boot);
        run->reasons = strv_free(run->reasons);
        run->todo = strv_free(run->todo);
}

/* virtio-iommu is a module in distribution kernels and coldplug has not loaded it yet: without
 * it no device has an IOMMU group, and vfio-pci refuses them. */
static void ensure_virtio_iommu(const Inventory *inv) {
        if (inv->n_iommus > 0)
                return;
        for (size_t i = 0; i < inv->n_devices; i++)
                if (pci_device_is_virtio_iommu(&inv->devices[i])) {
                        /* virtio_pci is built into some kernels; virtio_iommu then loads on its own. */
                        (void) module_load("virtio_pci", NULL);
                        int r = module_load("virtio_iommu", NULL);
                        if (r < 0)
                                log_warning_errno(r, "%s is a virtio-iommu, but its driver could not be loaded (%m); "
                                                  "add virtio_iommu to the initramfs", inv->devices[i].name);
                        return;
                }
}

/* The plan, made after the IOMMU the claims need is up. Logs on failure. */
static int load_plan(const BindRun *run, Context *ctx) {
        int r = context_load(ctx, /* strict= */ false);
        if (r < 0)
                return r;

        if (ctx->plan.n_claims > 0 && ctx->inventory.n_iommus == 0) {
                ensure_virtio_iommu(&ctx->inventory);
                context_done(ctx);
                return context_load(ctx, false);
        }
        return 0;
}

static void enable_unsafe_interrupts(BindRun *run, const char *reason) {
        if (allow_unsafe_interrupts(run->root, run->in_initrd, "vfio_iommu_type1", reason) < 0)
                run->failures++;
        if ((module_is_loaded("iommufd") || module_exists("iommufd")) &&
            allow_unsafe_interrupts(run->root, run->in_initrd, "iommufd", reason) < 0)
                run->failures++;
}

static bool is_storage(const PciDevice *d) {
        return (d->class >> 16) == 0x01;
}

static const char *boot_reason(const BindRun *run, const char *address) {
        for (size_t i = 0; run->boot && run->boot[i]; i++)
                if (streq(run->boot[i], address))
                        return run->reasons[i];
        return NULL;
}

/* Should D be bound? Logs and returns false for devices the system cannot lose. */
static bool may_bind(BindRun *run, const PciDevice *d) {
        const char *why = boot_reason(run, d->name);
        if (why && !run->force) {
                log_internal(LOG_ERR, 0, MESSAGE_ID_DEVICE_REFUSED,
                             "%s: refusing to bind it to vfio-pci: %s. Remove it from the config (or run "
                             "'nestvirt bind-vfio --force' if you really mean it).", d->name, why);
                run->failures++;
                return false;
        }
        /* The root file system is not mounted in the initrd yet, so whether a storage controller
         * carries it cannot be known: such devices wait for the main system's run. */
        if (run->in_initrd && is_storage(d) && !run->force) {
                log_notice("%s: a storage controller; bound after switch-root, once it is known not to carry "
                           "the root file system.", d->name);
                return false;
        }
        return true;
}

/* Step 1 for every claimed device: nothing but vfio-pci may bind it from now on, and it lets
 * go of any other driver. Returns -ENOMEM only; other failures are counted. */
static int detach_claimed(BindRun *run, const Context *ctx) {
        const Plan *p = &ctx->plan;
        for (size_t i = 0; i < p->n_claims; i++) {
                const PciDevice *d = &ctx->inventory.devices[p->claims[i].device];
                if (!may_bind(run, d))
                        continue;
                if (pci_device_detach(run->root, d->name, VFIO_DRIVER) < 0) {
                        run->failures++;
                        continue;
                }
                if (strv_extend(&run->todo, d->name) < 0)
                        return log_oom();
        }
        return 0;
}

/* Step 2: vfio-pci loaded, every detached device probed. */
static int probe_detached(const BindRun *run) {
        int r = module_load("vfio_pci", NULL);
        if (r < 0)
                return module_log_load_failure(r, "vfio_pci", "the driver of the claimed devices", run->in_initrd);
        for (size_t i = 0; run->todo[i]; i++)
                (void) pci_device_probe(run->root, run->todo[i], VFIO_DRIVER);
        return 0;
}

/* Binds the first member of the group of todo[I] that is not on vfio-pci yet, and sets *MORE
 * when it did. Returns -ENOMEM only; other failures are counted. */
static int bind_one_group_member(BindRun *run, const Inventory *inv, size_t i, bool *more) {
        int g = pci_device_iommu_group(run->root, run->todo[i]);
        for (size_t k = 0; g >= 0 && k < inv->n_devices; k++) {
                const PciDevice *m = &inv->devices[k];
                if (m->iommu_group != g || m->bridge || strv_contains(run->todo, m->name) ||
                    streq_ptr(m->driver, VFIO_DRIVER))
                        continue;
                log_info("%s: in IOMMU group %d with %s, so it goes to vfio-pci too.", m->name, g, run->todo[i]);
                if (!may_bind(run, m))
                        continue;   /* counted there if it is a failure */
                if (pci_device_detach(run->root, m->name, VFIO_DRIVER) < 0 ||
                    pci_device_probe(run->root, m->name, VFIO_DRIVER) < 0) {
                        run->failures++;
                        continue;
                }
                if (strv_extend(&run->todo, m->name) < 0)
                        return log_oom();
                *more = true;
                return 0;   /* todo changed */
        }
        return 0;
}

/* Step 3: a group is only usable when all its endpoints are on vfio-pci; under virtio-iommu
 * the members show only once a driver has probed the device, so look again now. */
static int bind_group_members(BindRun *run) {
        for (unsigned round = 0; round < 3; round++) {
                _cleanup_(inventory_done) Inventory inv = {};
                if (inventory_load(run->root, INVENTORY_DETAILS, &inv) < 0)
                        break;
                bool more = false;
                for (size_t i = 0; run->todo[i]; i++) {
                        int r = bind_one_group_member(run, &inv, i, &more);
                        if (r < 0)
                                return r;
                }
                if (!more)
                        break;
        }
        return 0;
}

/* Binds what CTX plans; adds a line per device it bound or failed to *RECORD. Returns the
 * exit status. */
static int bind_planned(BindRun *run, const Context *ctx, char ***record) {
        const Plan *p = &ctx->plan;
        if (p->n_claims == 0 && !p->unsafe_interrupts) {
                log_info("No devices are planned for vfio-pci; nothing to do.");
                return 0;
        }

        if (p->unsafe_interrupts)
                enable_unsafe_interrupts(run, p->unsafe_interrupts_reason);
        if (boot_devices_find(run->root, &run->boot, &run->reasons) < 0)
                return log_oom(), EXIT_PROBLEMS;
        if (detach_claimed(run, ctx) < 0)
                return EXIT_PROBLEMS;
        if (!run->todo)
                return run->failures ? EXIT_PROBLEMS : 0;
        if (probe_detached(run) < 0 || bind_group_members(run) < 0)
                return EXIT_PROBLEMS;

        for (size_t i = 0; run->todo[i]; i++) {
                bool bound = pci_device_verify_vfio(run->root, run->todo[i]) >= 0;
                run->failures += !bound;
                char *line;
                if (asprintf(&line, "device=%s %s", run->todo[i], bound ? VFIO_DRIVER : "failed") < 0 ||
                    strv_push(record, line) < 0)
                        run->failures++;
        }
        return run->failures ? EXIT_PROBLEMS : 0;
}

int verb_bind_vfio(int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        _cleanup_(bind_run_done) BindRun run = { .root = arg_root, .force = arg_force };
        if (!runtime_enabled(run.root))
                return 0;
        run.in_initrd = detect_initrd(run.root);
        if (!run.in_initrd)
                initrd_record_log_verb(run.root, "bind-vfio");

        _cleanup_(context_done) Context ctx = {};
        if (load_plan(&run, &ctx) < 0)
                return EXIT_PROBLEMS;
        _cleanup_(strv_freep) char **record = NULL;
        int ret = bind_planned(&run, &ctx, &record);
        if (run.in_initrd)
                (void) initrd_record_save(run.root, "bind-vfio", &ctx.config, ret, record);
        return ret;
}
