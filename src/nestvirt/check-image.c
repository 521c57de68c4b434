/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What `nestvirt check` verifies beyond config and plan: the files the VMs name, the vfio
 * modules of every kernel, and the installation itself, all under --root (image CI). */

#include <blkid.h>
#include <inttypes.h>
#include <dirent.h>
#include <libkmod.h>
#include <sys/stat.h>

#include "build-config.h"
#include "chase.h"
#include "check-image.h"
#include "config-keys.h"
#include "disk-image.h"
#include "sysfs-write.h"
#include "util.h"

static void extra(Context *ctx, DiagLevel level, Location where, const char *vm, const char *fmt, const char *a,
                  const char *b) {
        diag_add(&ctx->extra, level, where, vm, NULL, fmt, a, b);
}

/* PATH's links are resolved inside the root, as the image's boot will see them: an absolute
 * link must not be checked against the build host's file of that name. */
static bool file_under_root(const char *root, const char *path, mode_t type, bool executable) {
        _cleanup_(freep) char *resolved = NULL, *p = NULL;
        struct stat st;
        if (chase_in_root(root, path, &resolved) <= 0 || !(p = path_under_root(root, resolved)) ||
            stat(p, &st) < 0)
                return false;
        if ((st.st_mode & S_IFMT) != type)
                return false;
        return !executable || (st.st_mode & 0111);
}

/* A raw disk with neither partition table nor file system is most likely the wrong file
 * (the seed converts a qcow2 cloud image to raw: easy to pass the unconverted one). */
static void probe_raw_disk(Context *ctx, const VmConfig *vm, const DiskConfig *disk) {
        _cleanup_(freep) char *p = path_under_root(ctx->root, disk->path);
        if (!p)
                return;
        blkid_probe pr = blkid_new_probe_from_filename(p);
        if (!pr)
                return;
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_enable_superblocks(pr, 1);
        int r = blkid_do_safeprobe(pr);
        blkid_free_probe(pr);
        if (r == 1)
                diag_add(&ctx->extra, DIAG_WARNING, disk->where, vm->name, NULL,
                         "Disk=%s holds no partition table and no file system; is it the right image?", disk->path);
}

void check_vm_files(Context *ctx) {
        const Setting *hv = &ctx->config.host.hypervisor;
        /* Without VMs nothing runs it (a freshly installed, all-commented config). */
        if (ctx->config.n_vms > 0 && !file_under_root(ctx->root, hv->value, S_IFREG, true))
                extra(ctx, DIAG_ERROR, hv->where, NULL,
                      "Hypervisor=%s%s: no executable there; install Cloud Hypervisor in the image or point "
                      "Hypervisor= at it", hv->value, hv->where.file ? "" : " (the default)");

        for (size_t v = 0; v < ctx->config.n_vms; v++) {
                const VmConfig *vm = &ctx->config.vms[v];
                FOREACH_VM_FILE(f, vm)
                        if (f.setting->value && !file_under_root(ctx->root, f.setting->value, S_IFREG, false))
                                diag_add(&ctx->extra, DIAG_ERROR, f.setting->where, vm->name, NULL,
                                         "%s=%s: no such file%s%s; put it into the image", f.key,
                                         f.setting->value, ctx->root ? " under " : "", strempty(ctx->root));

                /* Disks and seeds are often fetched at first boot: the VM's start checks them again. */
                for (size_t i = 0; i < vm->n_disks; i++) {
                        const DiskConfig *d = &vm->disks[i];
                        if (!file_under_root(ctx->root, d->path, S_IFREG, false) &&
                            !file_under_root(ctx->root, d->path, S_IFBLK, false))
                                diag_add(&ctx->extra, DIAG_WARNING, d->where, vm->name, NULL,
                                         "Disk=%s does not exist yet; the VM cannot start until it does", d->path);
                        else if (disk_image_type(ctx->root, d->path) == DISK_IMAGE_RAW)
                                probe_raw_disk(ctx, vm, d);
                }
                if (vm->cloud_init.value) {
                        const char *need[] = { "user-data", "meta-data" };
                        for (size_t i = 0; i < ELEMENTSOF(need); i++) {
                                _cleanup_(freep) char *f = strjoin(vm->cloud_init.value, "/", need[i]);
                                if (f && !file_under_root(ctx->root, f, S_IFREG, false))
                                        diag_add(&ctx->extra, DIAG_WARNING, vm->cloud_init.where, vm->name, NULL,
                                                 "CloudInit=%s has no %s; a NoCloud seed needs user-data and "
                                                 "meta-data", vm->cloud_init.value, need[i]);
                        }
                }
        }
}

void check_installation(Context *ctx) {
        const char *generator_dirs[] = { NESTVIRT_GENERATORDIR, "/usr/lib/systemd/system-generators",
                                         "/lib/systemd/system-generators", "/usr/local/lib/systemd/system-generators",
                                         "/etc/systemd/system-generators" };
        const char *unit_dirs[] = { NESTVIRT_UNITDIR, "/usr/lib/systemd/system", "/lib/systemd/system",
                                    "/usr/local/lib/systemd/system", "/etc/systemd/system" };
        const char *units[] = { "nestvirt-hugepages.service", "nestvirt-vfio.service", "nestvirt-vms.target" };

        bool found = false;
        for (size_t i = 0; i < ELEMENTSOF(generator_dirs) && !found; i++) {
                _cleanup_(freep) char *p = strjoin(generator_dirs[i], "/nestvirt-generator");
                found = p && file_under_root(ctx->root, p, S_IFREG, true);
        }
        if (!found)
                diag_add(&ctx->extra, DIAG_ERROR, (Location) {}, NULL, NULL,
                         "nestvirt-generator is not installed%s%s (looked in %s and the other generator "
                         "directories); install nestvirt into the image", ctx->root ? " under " : "",
                         strempty(ctx->root), NESTVIRT_GENERATORDIR);

        for (size_t u = 0; u < ELEMENTSOF(units); u++) {
                found = false;
                for (size_t i = 0; i < ELEMENTSOF(unit_dirs) && !found; i++) {
                        _cleanup_(freep) char *p = strjoin(unit_dirs[i], "/", units[u]);
                        found = p && file_under_root(ctx->root, p, S_IFREG, false);
                }
                if (!found)
                        diag_add(&ctx->extra, DIAG_ERROR, (Location) {}, NULL, NULL,
                                 "%s is not installed%s%s; install nestvirt into the image", units[u],
                                 ctx->root ? " under " : "", strempty(ctx->root));
        }
}
