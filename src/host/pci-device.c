/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <time.h>

#include "log.h"
#include "pci-device.h"
#include "sysfs-write.h"
#include "util.h"

/* ROOT/sys/bus/pci/devices/ADDRESS[/ATTR] */
static char *device_path(const char *root, const char *address, const char *attr) {
        char rel[128];
        snprintf(rel, sizeof rel, "/sys/bus/pci/devices/%s%s%s", address, attr ? "/" : "", strempty(attr));
        return path_under_root(root, rel);
}

static int write_device_attr(const char *root, const char *address, const char *attr, const char *value) {
        _cleanup_(freep) char *p = device_path(root, address, attr);
        if (!p)
                return -ENOMEM;
        return sysfs_write(p, value);
}

int pci_device_get_driver(const char *root, const char *address, char **ret) {
        _cleanup_(freep) char *p = device_path(root, address, "driver");
        if (!p)
                return -ENOMEM;
        int r = read_link_basename(p, ret);
        if (r == -ENOENT)
                *ret = NULL;
        return r == -ENOENT ? 0 : r;
}

int pci_device_set_driver_override(const char *root, const char *address, const char *driver) {
        /* A lone newline clears it; an empty write would not reach the kernel. */
        return write_device_attr(root, address, "driver_override", driver ?: "\n");
}

int pci_device_unbind(const char *root, const char *address) {
        return write_device_attr(root, address, "driver/unbind", address);
}

int pci_device_drivers_probe(const char *root, const char *address) {
        _cleanup_(freep) char *p = path_under_root(root, "/sys/bus/pci/drivers_probe");
        if (!p)
                return -ENOMEM;
        return sysfs_write(p, address);
}

int pci_device_iommu_group(const char *root, const char *address) {
        _cleanup_(freep) char *p = device_path(root, address, "iommu_group");
        _cleanup_(freep) char *g = NULL;
        int group;
        if (!p)
                return -ENOMEM;
        int r = read_link_basename(p, &g);
        if (r < 0)
                return r;
        r = safe_atoi(g, &group);
        if (r < 0)
                return r;
        return group < 0 ? -ERANGE : group;
}

bool vfio_group_node_exists(const char *root, int group, unsigned wait_ms) {
        char rel[64];
        if (group < 0)
                return false;
        snprintf(rel, sizeof rel, "/dev/vfio/%d", group);
        _cleanup_(freep) char *p = path_under_root(root, rel);
        for (unsigned waited = 0;; waited += 50) {
                if (p && access(p, F_OK) >= 0)
                        return true;
                if (waited >= wait_ms)
                        return false;
                nanosleep(&(struct timespec) { .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
}

int pci_device_detach(const char *root, const char *address, const char *driver) {
        _cleanup_(freep) char *current = NULL;
        int r = pci_device_get_driver(root, address, &current);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read its driver: %m", address);
        if (streq_ptr(current, driver))
                return 0;

        r = pci_device_set_driver_override(root, address, driver);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "%s: cannot write driver_override: %m", address);
        if (!current)
                return 0;

        r = pci_device_unbind(root, address);
        if (r == -ENOENT || r == -ENODEV) {
                /* Unbound by someone else in between (another run at the same time): done all the same. */
                _cleanup_(freep) char *now = NULL;
                if (pci_device_get_driver(root, address, &now) >= 0 && (!now || streq(now, driver)))
                        return 0;
        }
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "%s: cannot unbind it from %s: %m", address, current);
        log_info("%s: unbound from %s.", address, current);
        return 0;
}

int pci_device_probe(const char *root, const char *address, const char *driver) {
        _cleanup_(freep) char *current = NULL;
        if (pci_device_get_driver(root, address, &current) >= 0 && streq_ptr(current, driver))
                return 0;
        int r = pci_device_drivers_probe(root, address);
        if (r == -ENOMEM)
                return log_oom();
        if (r < 0)
                return log_error_errno(r, "%s: %s did not take it (drivers_probe: %m); see the kernel log", address,
                                       driver);
        return 0;
}

/* The kernel removes a device's driver link before the driver's remove() runs, and
 * drivers_probe does nothing until that unbind is over: a device another run is unbinding at
 * the same moment looks free, yet stays unbound after our probe. Probe it again for a while
 * (2 s, as long as the wait for /dev/vfio/N) before calling that a failure. */
static void await_driver(const char *root, const char *address, char **driver) {
        for (unsigned waited = 0; !*driver && waited < 2000; waited += 100) {
                nanosleep(&(struct timespec) { .tv_nsec = 100 * 1000 * 1000 }, NULL);
                if (pci_device_drivers_probe(root, address) == -ENOMEM)
                        return;
                (void) pci_device_get_driver(root, address, driver);
        }
}

int pci_device_verify_vfio(const char *root, const char *address) {
        _cleanup_(freep) char *driver = NULL;
        (void) pci_device_get_driver(root, address, &driver);
        if (!driver)
                await_driver(root, address, &driver);
        int g = pci_device_iommu_group(root, address);
        /* Plain log_error(): the verdict is no errno of ours, so the journal gets no ERRNO=. */
        if (!streq_ptr(driver, VFIO_DRIVER)) {
                log_error("%s: not bound to vfio-pci (driver: %s); see the kernel log (dmesg) for why vfio-pci "
                          "refused it", address, driver ?: "none");
                return -ENXIO;
        }
        if (g < 0) {
                log_error("%s: on vfio-pci but in no IOMMU group; the IOMMU is not active", address);
                return -ENODEV;
        }
        if (!vfio_group_node_exists(root, g, 2000)) {
                log_error("%s: on vfio-pci, but /dev/vfio/%d does not exist", address, g);
                return -ENOENT;
        }
        log_info("%s: on vfio-pci, IOMMU group %d, /dev/vfio/%d present.", address, g, g);
        return 0;
}
