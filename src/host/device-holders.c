/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "device-holders.h"
#include "pci-device.h"
#include "util.h"

#define NVIDIA_MAJOR 195
#define MAX_DEPTH 4   /* ADDRESS/drm/card0/dev, ADDRESS/sound/card0/controlC0/dev */

typedef struct DevNumbers {
        dev_t *items;
        size_t n;
} DevNumbers;

static void dev_numbers_done(DevNumbers *nums) {
        free(nums->items);
}

static int add_number(DevNumbers *nums, unsigned major, unsigned minor) {
        dev_t *d = ARRAY_APPEND(nums->items, nums->n);
        if (!d)
                return -ENOMEM;
        *d = makedev(major, minor);
        return 0;
}

/* Every "dev" attribute below DIR, not following links (they lead to the parent bridge, the
 * driver, the IOMMU ...). */
static int collect_class_devices(int dfd, unsigned depth, DevNumbers *nums) {
        char buf[32];
        unsigned major, minor;
        if (read_attr_at(dfd, "dev", buf, sizeof buf) > 0 && sscanf(buf, "%u:%u", &major, &minor) == 2 &&
            add_number(nums, major, minor) < 0)
                return -ENOMEM;
        if (depth >= MAX_DEPTH)
                return 0;

        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        int r = 0;
        struct dirent *de;
        while (r >= 0 && (de = readdir(d)))
                if (de->d_type == DT_DIR && de->d_name[0] != '.') {
                        _cleanup_(closep) int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                r = collect_class_devices(sub, depth + 1, nums);
                }
        closedir(d);
        return r;
}

/* /dev/nvidiaN: the driver publishes N per GPU in its proc file. */
static int collect_nvidia(const char *root, const char *address, DevNumbers *nums) {
        char rel[128];
        snprintf(rel, sizeof rel, "/proc/driver/nvidia/gpus/%s/information", address);
        _cleanup_(freep) char *path = path_under_root(root, rel);
        _cleanup_(freep) char *text = NULL;
        if (!path)
                return -ENOMEM;
        if (read_full_file(path, &text, NULL) < 0)
                return 0;
        const char *m = strstr(text, "Device Minor:");
        unsigned minor;
        if (m && sscanf(m, "Device Minor: %u", &minor) == 1)
                return add_number(nums, NVIDIA_MAJOR, minor);
        return 0;
}

/* /dev/vfio/GROUP: its numbers, from the node itself. */
static int collect_vfio_group(const char *root, const char *address, DevNumbers *nums) {
        int group = pci_device_iommu_group(root, address);
        char rel[64];
        struct stat st;
        if (group < 0)
                return 0;
        snprintf(rel, sizeof rel, "/dev/vfio/%d", group);
        _cleanup_(freep) char *path = path_under_root(root, rel);
        if (!path)
                return -ENOMEM;
        if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode))
                return 0;
        return add_number(nums, major(st.st_rdev), minor(st.st_rdev));
}

static int device_numbers(const char *root, const char *address, DevNumbers *nums) {
        _cleanup_(freep) char *driver = NULL;
        char rel[128];
        snprintf(rel, sizeof rel, "/sys/bus/pci/devices/%s", address);
        _cleanup_(freep) char *path = path_under_root(root, rel);
        if (!path)
                return -ENOMEM;
        _cleanup_(closep) int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0 && collect_class_devices(dfd, 0, nums) < 0)
                return -ENOMEM;
        (void) pci_device_get_driver(root, address, &driver);
        if (streq_ptr(driver, "nvidia") && collect_nvidia(root, address, nums) < 0)
                return -ENOMEM;
        if (streq_ptr(driver, VFIO_DRIVER) && collect_vfio_group(root, address, nums) < 0)
                return -ENOMEM;
        return 0;
}

static bool is_one_of(const DevNumbers *nums, dev_t d) {
        for (size_t i = 0; i < nums->n; i++)
                if (nums->items[i] == d)
                        return true;
        return false;
}

/* Whether process DFD (/proc/PID) has one of NUMS open; *RET_NODE is the node's path. */
static bool process_holds(int dfd, const DevNumbers *nums, char **ret_node) {
        _cleanup_(closep) int fds = openat(dfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fds >= 0 ? fdopendir(fds) : NULL;
        if (!d)
                return false;
        fds = -1;   /* closedir() closes it */
        bool found = false;
        struct dirent *de;
        while (!found && (de = readdir(d))) {
                struct stat st;
                if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0) < 0)
                        continue;
                if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && is_one_of(nums, st.st_rdev)) {
                        char target[256];
                        ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof target - 1);
                        target[n > 0 ? n : 0] = 0;
                        *ret_node = strdup(target);
                        found = true;
                }
        }
        closedir(d);
        return found;
}

static int add_holder(int dfd, const char *pid, const char *node, char ***ret) {
        char comm[64] = "?";
        (void) read_attr_at(dfd, "comm", comm, sizeof comm);
        char *line;
        if (asprintf_safe(&line, "%s (%s) has %s open", pid, comm, node ?: "it") < 0)
                return -ENOMEM;
        return strv_push(ret, line);
}

int pci_device_find_holders(const char *root, const char *address, char ***ret) {
        _cleanup_(dev_numbers_done) DevNumbers numbers = {};
        DevNumbers *nums = &numbers;
        *ret = NULL;
        if (device_numbers(root, address, nums) < 0)
                return -ENOMEM;
        _cleanup_(freep) char *proc = path_under_root(root, "/proc");
        DIR *d = nums->n > 0 && proc ? opendir(proc) : NULL;
        int r = proc ? 0 : -ENOMEM;
        struct dirent *de;
        while (d && r >= 0 && (de = readdir(d))) {
                unsigned pid;
                if (safe_atou(de->d_name, &pid) < 0)
                        continue;
                _cleanup_(closep) int dfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                _cleanup_(freep) char *node = NULL;
                if (dfd >= 0 && process_holds(dfd, nums, &node))
                        r = add_holder(dfd, de->d_name, node, ret);
        }
        if (d)
                closedir(d);
        return r;
}
