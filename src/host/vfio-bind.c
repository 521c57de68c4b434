/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The order and the refusals are bind-vfio's since the first boots in the lab; moved here so
 * that apply binds the same way (see vfio-bind.h). */

#include "boot-devices.h"
#include "inventory.h"
#include "kmod-util.h"
#include "log.h"
#include "messages.h"
#include "pci-device.h"
#include "util.h"
#include "vfio-bind.h"

/* One run: its options, what it found, and what it did. */
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

/* Step 1 for every device asked for: nothing but vfio-pci may bind it from now on, and it lets
 * go of any other driver. Returns -ENOMEM only; other failures are counted. */
static int detach_all(BindRun *run, const Inventory *inv, char *const *addresses) {
        for (size_t i = 0; addresses[i]; i++) {
                PciAddress a;
                const PciDevice *d = pci_address_parse(addresses[i], &a) >= 0 ? inventory_find_device(inv, a) : NULL;
                if (!d) {
                        log_error("%s: no such PCI device; cannot bind it to vfio-pci.", addresses[i]);
                        run->failures++;
                        continue;
                }
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

int vfio_bind_devices(const VfioBindOptions *o, char *const *addresses, char ***outcome) {
        _cleanup_(bind_run_done) BindRun run = { .root = o->root, .force = o->force, .in_initrd = o->in_initrd };
        if (!addresses || !addresses[0])
                return 0;

        _cleanup_(inventory_done) Inventory inv = {};
        int r = inventory_load(run.root, INVENTORY_DETAILS, &inv);
        if (r < 0)
                return log_error_errno(r, "Failed to read the PCI devices under %s: %m", run.root ?: "/"), 1;
        if (boot_devices_find(run.root, &run.boot, &run.reasons) < 0 || detach_all(&run, &inv, addresses) < 0)
                return log_oom();
        if (!run.todo)
                return run.failures;
        if (probe_detached(&run) < 0)
                return run.failures + (int) strv_length(run.todo);
        if (bind_group_members(&run) < 0)
                return -ENOMEM;

        for (size_t i = 0; run.todo[i]; i++) {
                bool bound = pci_device_verify_vfio(run.root, run.todo[i]) >= 0;
                run.failures += !bound;
                char *line;
                if (outcome && (asprintf(&line, "device=%s %s", run.todo[i], bound ? VFIO_DRIVER : "failed") < 0 ||
                                strv_push(outcome, line) < 0))
                        return log_oom();
        }
        return run.failures;
}
