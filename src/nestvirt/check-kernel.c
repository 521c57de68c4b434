/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* check's checks of each kernel of an image root: version, configuration, modules. What the
 * seed needs: 5.14 or later, vfio and vfio-pci, 1 GiB pages (hugetlbfs), and virtio-iommu
 * where the machine's IOMMU is one. */

#include <dirent.h>
#include <libkmod.h>

#include "check-kernel.h"
#include "util.h"

#define KERNEL_MIN_MAJOR 5
#define KERNEL_MIN_MINOR 14

static const char *const vfio_modules[] = { "vfio", "vfio_pci", "vfio_iommu_type1" };

static const struct {
        const char *option, *why;
} required_options[] = {
        { "CONFIG_VFIO", "device passthrough" },
        { "CONFIG_VFIO_PCI", "PCI device passthrough" },
        { "CONFIG_HUGETLBFS", "1 GiB pages" },
        { "CONFIG_HUGETLB_PAGE", "1 GiB pages" },
};

char **image_kernel_versions(const char *root, char **ret_dir) {
        const char *dirs[] = { "/lib/modules", "/usr/lib/modules" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_(freep) char *dir = path_under_root(root, dirs[i]);
                DIR *d = dir ? opendir(dir) : NULL;
                if (!d)
                        continue;
                char **versions = NULL;
                struct dirent *de;
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.' && strv_extend(&versions, de->d_name) < 0)
                                break;
                closedir(d);
                if (versions) {   /* /usr/lib/modules is usually the same directory */
                        strv_sort(versions);
                        *ret_dir = TAKE_PTR(dir);
                        return versions;
                }
        }
        return NULL;
}

static void check_vfio_modules(Context *ctx, const char *dir, const char *version) {
        _cleanup_(freep) char *path = strjoin(dir, "/", version);
        if (!path)
                return;
        struct kmod_ctx *k = kmod_new(path, (const char *const[]) { "/dev/null", NULL });
        if (!k)
                return;
        kmod_set_log_priority(k, 0);
        if (kmod_load_resources(k) < 0) {
                diag_add(&ctx->extra, DIAG_WARNING, (Location) {}, NULL, NULL,
                         "kernel %s: no module index (modules.dep); run depmod %s in the image", version, version);
                kmod_unref(k);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(vfio_modules); i++) {
                struct kmod_list *list = NULL;
                int r = kmod_module_new_from_lookup(k, vfio_modules[i], &list);
                if (r < 0 || !list)
                        diag_add(&ctx->extra, DIAG_ERROR, (Location) {}, NULL, NULL,
                                 "kernel %s has no %s module (neither a module nor built in); install the kernel's "
                                 "full module package in the image", version, vfio_modules[i]);
                kmod_module_unref_list(list);
        }
        kmod_unref(k);
}

static void check_version(Context *ctx, const char *version) {
        unsigned major = 0, minor = 0;
        if (sscanf(version, "%u.%u", &major, &minor) != 2) {
                diag_add(&ctx->extra, DIAG_WARNING, (Location) {}, NULL, NULL,
                         "kernel %s: cannot tell its version from the name; nestvirt needs %d.%d or later",
                         version, KERNEL_MIN_MAJOR, KERNEL_MIN_MINOR);
                return;
        }
        if (major < KERNEL_MIN_MAJOR || (major == KERNEL_MIN_MAJOR && minor < KERNEL_MIN_MINOR))
                diag_add(&ctx->extra, DIAG_ERROR, (Location) {}, NULL, NULL,
                         "kernel %s is older than %d.%d, the oldest nestvirt supports; install a newer kernel in "
                         "the image (Debian 12's linux-image-amd64 is 6.1)", version, KERNEL_MIN_MAJOR,
                         KERNEL_MIN_MINOR);
}

/* 'y', 'm', or 0 for OPTION in a kernel configuration. */
static char config_option(const char *config, const char *option) {
        size_t l = strlen(option);
        for (const char *p = config; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, option, l) == 0 && p[l] == '=' && (p[l + 1] == 'y' || p[l + 1] == 'm'))
                        return p[l + 1];
        return 0;
}

/* Does the text file DIR/VERSION/NAME name the module file MODULE (modules.dep, modules.builtin)? */
static bool module_listed(const char *dir, const char *version, const char *name, const char *module) {
        _cleanup_(freep) char *path = strjoin(dir, "/", version, "/", name), *data = NULL;
        size_t size;
        if (!path || read_full_file(path, &data, &size) < 0)
                return false;
        for (const char *p = data; (p = strstr(p, module)); p++)
                if ((p == data || p[-1] == '/') && (p[strlen(module)] == ':' || p[strlen(module)] == '\n' ||
                                                    p[strlen(module)] == '.'))
                        return true;
        return false;
}

static const char *virtio_iommu_device(const Context *ctx) {
        for (size_t i = 0; i < ctx->inventory.n_devices; i++)
                if (pci_device_is_virtio_iommu(&ctx->inventory.devices[i]))
                        return ctx->inventory.devices[i].name;
        return NULL;
}

/* Whether the image needs virtio-iommu is known from the machine under --root: its inventory
 * shows a virtio-iommu device. An image root without /sys (image CI) does not say, so a kernel
 * without the driver is a warning there, an error where the device is present. */
static void check_virtio_iommu(Context *ctx, const char *dir, const char *version, const char *config) {
        if (config_option(config, "CONFIG_VIRTIO_IOMMU") || module_listed(dir, version, "modules.dep", "virtio-iommu.ko") ||
            module_listed(dir, version, "modules.builtin", "virtio-iommu.ko"))
                return;
        const char *device = virtio_iommu_device(ctx);
        if (device)
                diag_add(&ctx->extra, DIAG_ERROR, (Location) {}, NULL, NULL,
                         "kernel %s has no virtio-iommu driver (no module, not built in, no CONFIG_VIRTIO_IOMMU), but "
                         "this machine's IOMMU is a virtio-iommu (%s): no device gets an IOMMU group, none can be "
                         "passed through; install a kernel that has it (Debian 12: linux-image-amd64 from "
                         "bookworm-backports)", version, device);
        else if (ctx->inventory.n_devices == 0)
                diag_add(&ctx->extra, DIAG_WARNING, (Location) {}, NULL, NULL,
                         "kernel %s has no virtio-iommu driver: where the cloud gives the VM a virtio-iommu, no "
                         "device can be passed through; if the image runs there, install a kernel that has it "
                         "(Debian 12: linux-image-amd64 from bookworm-backports)", version);
}

static void check_config(Context *ctx, const char *dir, const char *version) {
        _cleanup_(freep) char *rel = strjoin("/boot/config-", version), *path = NULL, *config = NULL;
        size_t size;
        if (!rel || !(path = path_under_root(ctx->root, rel)))
                return;
        if (read_full_file(path, &config, &size) < 0) {
                diag_add(&ctx->extra, DIAG_WARNING, (Location) {}, NULL, NULL,
                         "kernel %s: no %s, so vfio and 1 GiB page support cannot be verified; install the "
                         "kernel's configuration with it", version, rel);
                check_virtio_iommu(ctx, dir, version, NULL);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(required_options); i++)
                if (!config_option(config, required_options[i].option))
                        diag_add(&ctx->extra, DIAG_ERROR, (Location) {}, NULL, NULL,
                                 "kernel %s lacks %s (%s in %s); install a kernel built with it (a distribution "
                                 "kernel has it)", version, required_options[i].why, required_options[i].option, rel);
        check_virtio_iommu(ctx, dir, version, config);
}

void check_kernel_modules(Context *ctx) {
        _cleanup_(freep) char *dir = NULL;
        _cleanup_(strv_freep) char **versions = image_kernel_versions(ctx->root, &dir);
        if (!versions) {
                diag_add(&ctx->extra, DIAG_WARNING, (Location) {}, NULL, NULL,
                         "no kernels under %s/lib/modules: cannot verify that the vfio modules exist", strempty(ctx->root));
                return;
        }
        for (size_t i = 0; versions[i]; i++) {
                check_version(ctx, versions[i]);
                check_config(ctx, dir, versions[i]);
                check_vfio_modules(ctx, dir, versions[i]);
        }
}
