/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfio-probe ADDRESS...
 *
 * Opens a PCI device through VFIO the way a VMM (Cloud Hypervisor, QEMU) does:
 *   1. its IOMMU group, from /sys/bus/pci/devices/ADDRESS/iommu_group
 *   2. /dev/vfio/vfio: VFIO_GET_API_VERSION == VFIO_API_VERSION,
 *      VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)
 *   3. /dev/vfio/GROUP: VFIO_GROUP_GET_STATUS says viable (every device of the
 *      group is bound to vfio-pci or to no driver)
 *   4. VFIO_GROUP_SET_CONTAINER
 *   5. VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU): fails with EPERM when the IOMMU cannot
 *      remap interrupts and vfio_iommu_type1 allow_unsafe_interrupts is 0
 *   6. VFIO_GROUP_GET_DEVICE_FD(ADDRESS), VFIO_DEVICE_GET_INFO
 * One line per step: "vfio-probe ADDRESS STEP ok|FAIL detail". The last line per
 * device is "vfio-probe ADDRESS result ok|FAIL". Exit 0 only if every device passed.
 * Statically linked so that it runs in any initramfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <stdarg.h>

static int step(const char *addr, const char *name, int ok, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int step(const char *addr, const char *name, int ok, const char *fmt, ...) {
        va_list ap;
        printf("vfio-probe %s %s %s", addr, name, ok ? "ok" : "FAIL");
        if (fmt && *fmt) {
                putchar(' ');
                va_start(ap, fmt);
                vprintf(fmt, ap);
                va_end(ap);
        }
        putchar('\n');
        fflush(stdout);
        return ok;
}

static int probe(const char *addr) {
        char path[PATH_MAX + 32], link[PATH_MAX], group[PATH_MAX];
        const char *g;
        ssize_t n;
        int container = -1, groupfd = -1, devfd = -1, r, ok = 0;

        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/iommu_group", addr);
        n = readlink(path, link, sizeof link - 1);
        if (n < 0) {
                step(addr, "group", 0, "%s: %s", path, strerror(errno));
                goto out;
        }
        link[n] = 0;
        g = strrchr(link, '/');
        snprintf(group, sizeof group, "%s", g ? g + 1 : link);
        step(addr, "group", 1, "%s", group);

        snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/driver", addr);
        n = readlink(path, link, sizeof link - 1);
        if (n >= 0) {
                link[n] = 0;
                const char *d = strrchr(link, '/');
                step(addr, "driver", d && strcmp(d + 1, "vfio-pci") == 0, "%s", d ? d + 1 : link);
        } else
                step(addr, "driver", 0, "none");

        container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
        if (container < 0) {
                step(addr, "container", 0, "/dev/vfio/vfio: %s", strerror(errno));
                goto out;
        }
        r = ioctl(container, VFIO_GET_API_VERSION);
        if (!step(addr, "api-version", r == VFIO_API_VERSION, "%d (want %d)", r, VFIO_API_VERSION))
                goto out;
        r = ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);
        if (!step(addr, "type1v2", r > 0, "%d", r))
                goto out;

        snprintf(path, sizeof path, "/dev/vfio/%s", group);
        groupfd = open(path, O_RDWR | O_CLOEXEC);
        if (groupfd < 0) {
                step(addr, "group-open", 0, "%s: %s", path, strerror(errno));
                goto out;
        }
        step(addr, "group-open", 1, "%s", path);

        struct vfio_group_status status = { .argsz = sizeof status };
        if (ioctl(groupfd, VFIO_GROUP_GET_STATUS, &status) < 0) {
                step(addr, "viable", 0, "VFIO_GROUP_GET_STATUS: %s", strerror(errno));
                goto out;
        }
        if (!step(addr, "viable", status.flags & VFIO_GROUP_FLAGS_VIABLE, "flags 0x%x%s", status.flags,
                  status.flags & VFIO_GROUP_FLAGS_VIABLE ? "" :
                  " (a device of the group is bound to another driver)"))
                goto out;

        if (ioctl(groupfd, VFIO_GROUP_SET_CONTAINER, &container) < 0) {
                step(addr, "set-container", 0, "%s", strerror(errno));
                goto out;
        }
        step(addr, "set-container", 1, NULL);

        if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0) {
                int e = errno;
                step(addr, "set-iommu", 0, "VFIO_TYPE1v2_IOMMU: %s%s", strerror(e),
                     e == EPERM ? " (no interrupt remapping and allow_unsafe_interrupts=0?)" : "");
                goto out;
        }
        step(addr, "set-iommu", 1, "VFIO_TYPE1v2_IOMMU");

        devfd = ioctl(groupfd, VFIO_GROUP_GET_DEVICE_FD, addr);
        if (devfd < 0) {
                step(addr, "device-fd", 0, "%s", strerror(errno));
                goto out;
        }
        step(addr, "device-fd", 1, NULL);

        struct vfio_device_info info = { .argsz = sizeof info };
        if (ioctl(devfd, VFIO_DEVICE_GET_INFO, &info) < 0) {
                step(addr, "device-info", 0, "%s", strerror(errno));
                goto out;
        }
        step(addr, "device-info", 1, "flags 0x%x regions %u irqs %u%s", info.flags, info.num_regions,
             info.num_irqs, info.flags & VFIO_DEVICE_FLAGS_PCI ? " pci" : "");
        ok = 1;
out:
        if (devfd >= 0)
                close(devfd);
        if (groupfd >= 0) {
                if (container >= 0)
                        (void) ioctl(groupfd, VFIO_GROUP_UNSET_CONTAINER);
                close(groupfd);
        }
        if (container >= 0)
                close(container);
        step(addr, "result", ok, NULL);
        return ok;
}

int main(int argc, char **argv) {
        int i, failed = 0;

        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                fprintf(stderr, "usage: %s PCI-ADDRESS...\n", argv[0]);
                return 2;
        }
        for (i = 1; i < argc; i++)
                if (!probe(argv[i]))
                        failed++;
        return failed ? 1 : 0;
}
