/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bind-vfio: the planned devices onto vfio-pci, before coldplug loads their own drivers.
 * This file decides which devices, and when: plan (after the IOMMU is up), allow unsafe
 * interrupts, then hand the claimed devices to src/host/vfio-bind.c, which refuses the ones
 * the system cannot lose and binds the rest with their IOMMU groups. */

#include "initrd-record.h"
#include "kmod-util.h"
#include "log.h"
#include "context.h"
#include "proc-cmdline.h"
#include "runtime-switch.h"
#include "unsafe-interrupts.h"
#include "util.h"
#include "verb-bind-vfio.h"
#include "vfio-bind.h"

/* One run of bind-vfio: its options and its failures (vfio_bind_devices() counts its own). */
typedef struct BindRun {
        const char *root;
        bool force;
        bool in_initrd;
        int failures;
} BindRun;

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
static int load_plan(const BindRun *run, const Options *o, Context *ctx) {
        int r = context_load(ctx, o, /* strict= */ false);
        if (r < 0)
                return r;

        if (ctx->plan.n_claims > 0 && ctx->inventory.n_iommus == 0) {
                ensure_virtio_iommu(&ctx->inventory);
                context_done(ctx);
                return context_load(ctx, o, false);
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

/* The devices of the plan's claims, by address. */
static char **claimed_addresses(const Context *ctx) {
        char **l = NULL;
        for (size_t i = 0; i < ctx->plan.n_claims; i++)
                if (strv_extend(&l, ctx->inventory.devices[ctx->plan.claims[i].device].name) < 0)
                        return strv_free(l);
        return l;
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
        _cleanup_(strv_freep) char **addresses = claimed_addresses(ctx);
        if (p->n_claims > 0 && !addresses)
                return log_oom(), EXIT_PROBLEMS;
        VfioBindOptions bo = { .root = run->root, .force = run->force, .in_initrd = run->in_initrd };
        int r = vfio_bind_devices(&bo, addresses, record);
        return r != 0 || run->failures ? EXIT_PROBLEMS : 0;
}

int verb_bind_vfio(const Options *o, int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        BindRun run = { .root = o->root, .force = o->force };
        if (!runtime_enabled(run.root))
                return 0;
        run.in_initrd = detect_initrd(run.root);
        if (!run.in_initrd)
                initrd_record_log_verb(run.root, "bind-vfio");

        _cleanup_(context_done) Context ctx = {};
        if (load_plan(&run, o, &ctx) < 0)
                return EXIT_PROBLEMS;
        _cleanup_(strv_freep) char **record = NULL;
        int ret = bind_planned(&run, &ctx, &record);
        if (run.in_initrd)
                (void) initrd_record_save(run.root, "bind-vfio", &ctx.config, ret, record);
        return ret;
}
