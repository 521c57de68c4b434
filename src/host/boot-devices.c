/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which PCI devices the running system cannot lose: binding one to vfio-pci would take
 * away its root file system or the console the admin is looking at. */

#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "boot-devices.h"
#include "pci-match.h"
#include "sysfs-write.h"
#include "util.h"

/* Every PCI address on the way from the root complex to a sysfs device. */
static int add_pci_ancestors(const char *syspath, const char *reason, char ***devs, char ***reasons) {
        char real[PATH_MAX];
        if (!realpath(syspath, real))
                return 0;
        char *save = NULL;
        for (char *c = strtok_r(real, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                PciAddress a;
                char name[PCI_ADDRESS_MAX];
                if (pci_address_parse(c, &a) < 0)
                        continue;
                pci_address_format(a, name);   /* only the kernel's spelling, VMD's 10000: too */
                if (!streq(name, c) || strv_contains(*devs, c))
                        continue;
                if (strv_extend(devs, c) < 0 || strv_extend(reasons, reason) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* A block device and, for device-mapper or md, the devices below it. */
static int add_block_device(const char *root, dev_t dev, const char *what, char ***devs, char ***reasons,
                            unsigned depth) {
        char p[128];
        snprintf(p, sizeof p, "/sys/dev/block/%u:%u", major(dev), minor(dev));
        _cleanup_(freep) char *path = path_under_root(root, p);
        if (!path)
                return -ENOMEM;
        int r = add_pci_ancestors(path, what, devs, reasons);
        if (r < 0 || depth > 4)
                return r;

        _cleanup_(freep) char *slaves = strjoin(path, "/slaves");
        DIR *d = slaves ? opendir(slaves) : NULL;
        if (!d)
                return 0;
        struct dirent *de;
        while ((de = readdir(d)) && r >= 0) {
                if (de->d_name[0] == '.')
                        continue;
                char dev_attr[PATH_MAX], buf[32];
                unsigned maj, min;
                if (snprintf_path(dev_attr, "%s/%s/dev", slaves, de->d_name) < 0)
                        r = -ENAMETOOLONG;
                else if (sysfs_read(dev_attr, buf, sizeof buf) >= 0 && sscanf(buf, "%u:%u", &maj, &min) == 2)
                        r = add_block_device(root, makedev(maj, min), what, devs, reasons, depth + 1);
        }
        closedir(d);
        return r;
}

static int add_mounts(const char *root, char ***devs, char ***reasons) {
        _cleanup_(freep) char *path = path_under_root(root, "/proc/self/mountinfo");
        _cleanup_(freep) char *data = NULL;
        if (!path)
                return -ENOMEM;
        if (read_full_file(path, &data, NULL) < 0)
                return 0;
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned maj, min;
                char mountpoint[PATH_MAX / 4];
                if (sscanf(line, "%*s %*s %u:%u %*s %1023s", &maj, &min, mountpoint) != 3 || maj == 0)
                        continue;
                char what[PATH_MAX / 4 + 64];
                snprintf(what, sizeof what, "it carries the file system mounted on %s", mountpoint);
                int r = add_block_device(root, makedev(maj, min), what, devs, reasons, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_swaps(const char *root, char ***devs, char ***reasons) {
        _cleanup_(freep) char *path = path_under_root(root, "/proc/swaps");
        _cleanup_(freep) char *data = NULL;
        if (!path)
                return -ENOMEM;
        if (read_full_file(path, &data, NULL) < 0)
                return 0;
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char file[PATH_MAX / 4];
                struct stat st;
                if (sscanf(line, "%1023s", file) != 1 || file[0] != '/' || stat(file, &st) < 0)
                        continue;
                dev_t dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
                char what[PATH_MAX / 4 + 32];
                snprintf(what, sizeof what, "it carries the swap %s", file);
                int r = add_block_device(root, dev, what, devs, reasons, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_consoles(const char *root, char ***devs, char ***reasons) {
        _cleanup_(freep) char *path = path_under_root(root, "/sys/class/tty/console/active");
        char active[256];
        if (!path)
                return -ENOMEM;
        if (sysfs_read(path, active, sizeof active) < 0)
                return 0;
        char *save = NULL;
        for (char *tty = strtok_r(active, " ", &save); tty; tty = strtok_r(NULL, " ", &save)) {
                char p[128], what[128];
                snprintf(what, sizeof what, "it drives the active console %s", tty);
                snprintf(p, sizeof p, "/sys/class/tty/%s/device", tty);
                _cleanup_(freep) char *dev = path_under_root(root, p);
                if (!dev)
                        return -ENOMEM;
                int r = add_pci_ancestors(dev, what, devs, reasons);
                if (r < 0)
                        return r;

                /* A virtual terminal is shown by the boot VGA device (or the first framebuffer's). */
                unsigned vt;
                const char *num = startswith(tty, "tty");
                if (!num || safe_atou(num, &vt) < 0)
                        continue;
                _cleanup_(freep) char *fb = path_under_root(root, "/sys/class/graphics/fb0/device");
                if (!fb)
                        return -ENOMEM;
                if ((r = add_pci_ancestors(fb, what, devs, reasons)) < 0)
                        return r;
                _cleanup_(freep) char *pci = path_under_root(root, "/sys/bus/pci/devices");
                DIR *d = pci ? opendir(pci) : NULL;
                if (!d)
                        continue;
                struct dirent *de;
                while ((de = readdir(d))) {
                        char attr[PATH_MAX], buf[8];
                        if (snprintf_path(attr, "%s/%s/boot_vga", pci, de->d_name) < 0) {
                                closedir(d);
                                return -ENAMETOOLONG;
                        }
                        if (de->d_name[0] != '.' && sysfs_read(attr, buf, sizeof buf) >= 0 && streq(buf, "1") &&
                            !strv_contains(*devs, de->d_name) &&
                            (strv_extend(devs, de->d_name) < 0 || strv_extend(reasons, what) < 0)) {
                                closedir(d);
                                return -ENOMEM;
                        }
                }
                closedir(d);
        }
        return 0;
}

int boot_devices_find(const char *root, char ***ret, char ***ret_reasons) {
        _cleanup_(strv_freep) char **devs = NULL, **reasons = NULL;
        int r = add_mounts(root, &devs, &reasons);
        if (r >= 0)
                r = add_swaps(root, &devs, &reasons);
        if (r >= 0)
                r = add_consoles(root, &devs, &reasons);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(devs);
        *ret_reasons = TAKE_PTR(reasons);
        return 0;
}
