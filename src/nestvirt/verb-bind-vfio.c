/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bind-vfio: the planned devices onto vfio-pci, before coldplug loads their own drivers.
 * Order as libvirt does it: driver_override first (so nothing else can grab the device in
 * between), then unbind, then probe; vfio-pci is never autoloaded, so load it here. */

#include <inttypes.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "log.h"
#include "context.h"
#include "proc-cmdline.h"
#include "runtime.h"
#include "util.h"
#include "verb-bind-vfio.h"
#include "verb-reserve-hugepages.h"

/* From the Options, set by verb_bind_vfio() for the helpers of this file. */
static const char *arg_root = NULL;
static bool arg_force = false;

static char *device_path(const char *address, const char *attr) {
        char rel[128];
        snprintf(rel, sizeof rel, "/sys/bus/pci/devices/%s%s%s", address, attr ? "/" : "", strempty(attr));
        return path_under_root(arg_root, rel);
}

static int current_driver(const char *address, char **ret) {
        _cleanup_(freep) char *p = device_path(address, "driver");
        if (!p)
                return -ENOMEM;
        int r = read_link_basename(p, ret);
        if (r == -ENOENT)
                *ret = NULL;
        return r == -ENOENT ? 0 : r;
}

static int current_group(const char *address) {
        _cleanup_(freep) char *p = device_path(address, "iommu_group");
        _cleanup_(freep) char *g = NULL;
        int group;
        if (!p || read_link_basename(p, &g) < 0 || safe_atoi(g, &group) < 0)
                return -1;
        return group;
}

/* Step 1 for one device: nothing but vfio-pci may bind it from now on; let go of any other driver. */
static int override_and_unbind(const char *address) {
        _cleanup_(freep) char *driver = NULL;
        int r = current_driver(address, &driver);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read its driver: %m", address);
        if (streq_ptr(driver, VFIO_DRIVER))
                return 0;

        _cleanup_(freep) char *override = device_path(address, "driver_override");
        if (!override)
                return log_oom();
        r = sysfs_write(override, VFIO_DRIVER);
        if (r < 0)
                return log_error_errno(r, "%s: cannot write driver_override: %m", address);

        if (driver) {
                _cleanup_(freep) char *unbind = device_path(address, "driver/unbind");
                if (!unbind)
                        return log_oom();
                r = sysfs_write(unbind, address);
                if (r == -ENOENT || r == -ENODEV) {
                        /* Unbound by someone else in between (another run at the same time): done all the same. */
                        _cleanup_(freep) char *now = NULL;
                        if (current_driver(address, &now) >= 0 && (!now || streq(now, VFIO_DRIVER)))
                                return 0;
                }
                if (r < 0)
                        return log_error_errno(r, "%s: cannot unbind it from %s: %m", address, driver);
                log_info("%s: unbound from %s.", address, driver);
        }
        return 0;
}

static int probe(const char *address) {
        _cleanup_(freep) char *driver = NULL;
        if (current_driver(address, &driver) >= 0 && streq_ptr(driver, VFIO_DRIVER))
                return 0;
        _cleanup_(freep) char *p = path_under_root(arg_root, "/sys/bus/pci/drivers_probe");
        if (!p)
                return log_oom();
        int r = sysfs_write(p, address);
        if (r < 0)
                return log_error_errno(r, "%s: vfio-pci did not take it (drivers_probe: %m); see the kernel log", address);
        return 0;
}

/* The kernel removes a device's driver link before the driver's remove() runs, and
 * drivers_probe does nothing until that unbind is over: a device another run is unbinding at
 * the same moment looks free, yet stays unbound after our probe. Probe it again for a while
 * (2 s, as long as the wait for /dev/vfio/N) before calling that a failure. */
static void await_driver(const char *address, char **driver) {
        _cleanup_(freep) char *p = path_under_root(arg_root, "/sys/bus/pci/drivers_probe");
        for (unsigned waited = 0; !*driver && p && waited < 2000; waited += 100) {
                nanosleep(&(struct timespec) { .tv_nsec = 100 * 1000 * 1000 }, NULL);
                (void) sysfs_write(p, address);
                (void) current_driver(address, driver);
        }
}

/* virtio-iommu is a module in distribution kernels and coldplug has not loaded it yet: without
 * it no device has an IOMMU group, and vfio-pci refuses them. */
static void ensure_virtio_iommu(const Inventory *inv) {
        if (inv->n_iommus > 0)
                return;
        for (size_t i = 0; i < inv->n_devices; i++)
                if (inv->devices[i].vendor == 0x1af4 && inv->devices[i].device == 0x1057) {
                        /* virtio_pci is built into some kernels; virtio_iommu then loads on its own. */
                        (void) module_load("virtio_pci", NULL);
                        int r = module_load("virtio_iommu", NULL);
                        if (r < 0)
                                log_warning_errno(r, "%s is a virtio-iommu, but its driver could not be loaded (%m); "
                                                  "add virtio_iommu to the initramfs", inv->devices[i].name);
                        return;
                }
}

/* A module that cannot be found: where it is missing decides what to do about it. */
static int log_module_failure(int r, const char *module, const char *purpose) {
        if (r != -ENOENT)
                return log_error_errno(r, "Cannot load %s (%s): %m", module, purpose);
        if (detect_initrd(arg_root))
                return log_error_errno(r, "Cannot load %s (%s): it is not in this initramfs; rebuild the initramfs "
                                       "with nestvirt's dracut module or initramfs-tools hook (dracut -f, or "
                                       "update-initramfs -u). Until then nestvirt-vfio.service does it after "
                                       "switch-root, if the root file system has the module", module, purpose);
        struct utsname u;
        return log_error_errno(r, "Cannot load %s (%s): kernel %s has no such module; install that kernel's "
                               "modules, or boot a kernel that has it", module, purpose,
                               uname(&u) >= 0 ? u.release : "(unknown)");
}

static int set_unsafe_interrupts(const char *module, const char *reason) {
        char rel[128], buf[8];
        snprintf(rel, sizeof rel, "/sys/module/%s/parameters/allow_unsafe_interrupts", module);
        _cleanup_(freep) char *param = path_under_root(arg_root, rel);
        if (!param)
                return log_oom();

        int r;
        if (access(param, F_OK) >= 0) {
                r = sysfs_write(param, "1");
                if (r < 0)
                        return log_error_errno(r, "Cannot enable %s allow_unsafe_interrupts: %m", module);
        } else {
                r = module_load(module, "allow_unsafe_interrupts=1");
                if (r < 0)
                        return log_module_failure(r, module, "to enable allow_unsafe_interrupts");
        }
        if (sysfs_read(param, buf, sizeof buf) < 0 || !streq(buf, "Y"))
                return log_error_errno(EIO, "%s allow_unsafe_interrupts did not stick (reads '%s')", module, buf);
        log_internal(LOG_WARNING, 0, MESSAGE_ID_UNSAFE_INTERRUPTS,
                     "%s: allow_unsafe_interrupts enabled (%s). This weakens isolation: a passed-through device "
                     "can send interrupts the IOMMU does not check.", module, reason);
        return 0;
}

static bool is_storage(const PciDevice *d) {
        return (d->class >> 16) == 0x01;
}

static const char *boot_reason(char **boot, char **reasons, const char *address) {
        for (size_t i = 0; boot && boot[i]; i++)
                if (streq(boot[i], address))
                        return reasons[i];
        return NULL;
}

/* Should ADDRESS be bound? Logs and returns false for devices the system cannot lose. */
static bool may_bind(const PciDevice *d, bool in_initrd, char **boot, char **reasons, int *failures) {
        const char *why = boot_reason(boot, reasons, d->name);
        if (why && !arg_force) {
                log_internal(LOG_ERR, 0, MESSAGE_ID_DEVICE_REFUSED,
                             "%s: refusing to bind it to vfio-pci: %s. Remove it from the config (or run "
                             "'nestvirt bind-vfio --force' if you really mean it).", d->name, why);
                (*failures)++;
                return false;
        }
        /* The root file system is not mounted in the initrd yet, so whether a storage controller
         * carries it cannot be known: such devices wait for the main system's run. */
        if (in_initrd && is_storage(d) && !arg_force) {
                log_notice("%s: a storage controller; bound after switch-root, once it is known not to carry "
                           "the root file system.", d->name);
                return false;
        }
        return true;
}

void record_initrd_config(const Context *ctx) {
        _cleanup_(freep) char *dir = path_under_root(ctx->root, "/run/nestvirt");
        _cleanup_(freep) char *stamp = path_under_root(ctx->root, INITRD_CONFIG_STAMP);
        char buf[32];
        if (!dir || !stamp)
                return;
        (void) mkdir(dir, 0755);
        snprintf(buf, sizeof buf, "%016" PRIx64 "\n", ctx->config.digest);
        _cleanup_(fclosep) FILE *f = fopen(stamp, "we");
        if (f)
                fputs(buf, f);
}

int verb_bind_vfio(const Options *o, int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        arg_root = o->root;
        arg_force = o->force;
        if (!runtime_enabled(o->root))
                return 0;
        bool in_initrd = detect_initrd(arg_root);

        _cleanup_(context_done) Context ctx = {};
        if (context_load(&ctx, o, /* strict= */ false) < 0)
                return EXIT_PROBLEMS;
        if (in_initrd)
                record_initrd_config(&ctx);

        if (ctx.plan.n_claims > 0 && ctx.inventory.n_iommus == 0) {
                ensure_virtio_iommu(&ctx.inventory);
                context_done(&ctx);
                if (context_load(&ctx, o, false) < 0)
                        return EXIT_PROBLEMS;
        }
        const Plan *p = &ctx.plan;
        if (p->n_claims == 0 && !p->unsafe_interrupts) {
                log_info("No devices are planned for vfio-pci; nothing to do.");
                return 0;
        }

        int failures = 0;
        if (p->unsafe_interrupts) {
                if (set_unsafe_interrupts("vfio_iommu_type1", p->unsafe_interrupts_reason) < 0)
                        failures++;
                if ((module_is_loaded("iommufd") || module_exists("iommufd")) &&
                    set_unsafe_interrupts("iommufd", p->unsafe_interrupts_reason) < 0)
                        failures++;
        }

        _cleanup_(strv_freep) char **boot = NULL, **reasons = NULL, **todo = NULL;
        if (boot_devices_find(arg_root, &boot, &reasons) < 0)
                return log_oom(), EXIT_PROBLEMS;

        for (size_t i = 0; i < p->n_claims; i++) {
                const PciDevice *d = &ctx.inventory.devices[p->claims[i].device];
                if (!may_bind(d, in_initrd, boot, reasons, &failures))
                        continue;
                if (override_and_unbind(d->name) < 0) {
                        failures++;
                        continue;
                }
                if (strv_extend(&todo, d->name) < 0)
                        return log_oom(), EXIT_PROBLEMS;
        }
        if (!todo)
                return failures ? EXIT_PROBLEMS : 0;

        int r = module_load("vfio_pci", NULL);
        if (r < 0) {
                log_module_failure(r, "vfio_pci", "the driver of the claimed devices");
                return EXIT_PROBLEMS;
        }
        for (size_t i = 0; todo[i]; i++)
                (void) probe(todo[i]);

        /* A group is only usable when all its endpoints are on vfio-pci; under virtio-iommu the
         * members show only once a driver has probed the device, so look again now. */
        for (unsigned round = 0; round < 3; round++) {
                _cleanup_(inventory_done) Inventory inv = {};
                if (inventory_load(arg_root, INVENTORY_DETAILS, &inv) < 0)
                        break;
                bool more = false;
                for (size_t i = 0; todo[i]; i++) {
                        int g = current_group(todo[i]);
                        for (size_t k = 0; g >= 0 && k < inv.n_devices; k++) {
                                const PciDevice *m = &inv.devices[k];
                                if (m->iommu_group != g || m->bridge || strv_contains(todo, m->name) ||
                                    streq_ptr(m->driver, VFIO_DRIVER))
                                        continue;
                                log_info("%s: in IOMMU group %d with %s, so it goes to vfio-pci too.", m->name, g,
                                         todo[i]);
                                if (!may_bind(m, in_initrd, boot, reasons, &failures))
                                        continue;   /* counted there if it is a failure */
                                if (override_and_unbind(m->name) < 0 || probe(m->name) < 0) {
                                        failures++;
                                        continue;
                                }
                                if (strv_extend(&todo, m->name) < 0)
                                        return log_oom(), EXIT_PROBLEMS;
                                more = true;
                                break;   /* todo changed */
                        }
                }
                if (!more)
                        break;
        }

        for (size_t i = 0; todo[i]; i++) {
                _cleanup_(freep) char *driver = NULL;
                (void) current_driver(todo[i], &driver);
                if (!driver)
                        await_driver(todo[i], &driver);
                int g = current_group(todo[i]);
                if (!streq_ptr(driver, VFIO_DRIVER)) {
                        log_error("%s: not bound to vfio-pci (driver: %s); see the kernel log (dmesg) for why vfio-pci "
                                  "refused it", todo[i], driver ?: "none");
                        failures++;
                } else if (g < 0) {
                        log_error("%s: on vfio-pci but in no IOMMU group; the IOMMU is not active", todo[i]);
                        failures++;
                } else if (!vfio_group_node_exists(arg_root, g, 2000)) {
                        log_error("%s: on vfio-pci, but /dev/vfio/%d does not exist", todo[i], g);
                        failures++;
                } else
                        log_info("%s: on vfio-pci, IOMMU group %d, /dev/vfio/%d present.", todo[i], g, g);
        }
        return failures ? EXIT_PROBLEMS : 0;
}
