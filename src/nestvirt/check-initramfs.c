/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* check: does each kernel's initramfs really hold nestvirt, and the configuration the root's
 * boot would read? Read from the image itself (initramfs-read.h): the copies of the config
 * files in it are the record of what it will see, compared with the files the root accepts. */

#include <stdarg.h>
#include <sys/stat.h>

#include "build-config.h"
#include "check-kernel.h"
#include "conf-accepted.h"
#include "initramfs-read.h"
#include "check-initramfs.h"
#include "util.h"

typedef struct ImageCheck {
        Context *ctx;
        const char *image;         /* /boot/initrd.img-KVER */
        const char *version;
        const char *rebuild;       /* the command that rebuilds it */
        const Initramfs *archive;
} ImageCheck;

static void image_error(const ImageCheck *c, const char *fmt, ...) _printf_(2, 3);
static void image_error(const ImageCheck *c, const char *fmt, ...) {
        char text[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        diag_add(&c->ctx->extra, DIAG_ERROR, (Location) {}, NULL, NULL, "%s (kernel %s) %s; rebuild it (%s)", c->image,
                 c->version, text, c->rebuild);
}

/* initramfs-tools' images run nestvirt from scripts/init-top; dracut's through systemd. */
static void check_nestvirt_files(const ImageCheck *c, bool itools) {
        const char *dracut_files[] = { NESTVIRT_BINDIR "/nestvirt", "/usr/lib/systemd/system-generators/nestvirt-generator",
                                       "/usr/lib/systemd/system/nestvirt-hugepages.service",
                                       "/usr/lib/systemd/system/nestvirt-vfio.service" };
        const char *itools_files[] = { "/usr/bin/nestvirt", "/scripts/init-top/nestvirt" };
        const char **files = itools ? itools_files : dracut_files;
        size_t n = itools ? ELEMENTSOF(itools_files) : ELEMENTSOF(dracut_files);
        const InitramfsEntry *bin = initramfs_find(c->archive, files[0]);
        if (!bin || !S_ISREG(bin->mode)) {
                image_error(c, "has no nestvirt (%s): pages are reserved and devices claimed only after switch-root, "
                            "when the GPU drivers may hold them", files[0]);
                return;
        }
        for (size_t i = 1; i < n; i++) {
                const InitramfsEntry *e = initramfs_find(c->archive, files[i]);
                if (!e || !S_ISREG(e->mode))
                        image_error(c, "has nestvirt but not %s", files[i]);
        }
}

/* The root's accepted files, each at its own path with the same contents, and no other. */
static void check_config_copies(const ImageCheck *c, const AcceptedConfig *accepted) {
        for (size_t i = 0; i < accepted->n; i++) {
                const AcceptedFile *f = &accepted->files[i];
                const InitramfsEntry *e = initramfs_find(c->archive, f->logical);
                if (!e || !S_ISREG(e->mode))
                        image_error(c, "lacks %s, which the root's boot reads", f->logical);
                else if (!e->data || e->size != f->size || memcmp(e->data, f->data, f->size) != 0)
                        image_error(c, "carries another %s than the root has now", f->logical);
        }
        for (size_t i = 0; i < c->archive->n; i++) {
                const InitramfsEntry *e = &c->archive->entries[i];
                if (!S_ISREG(e->mode) || !conf_is_config_path(e->name))
                        continue;
                bool known = false;
                for (size_t k = 0; k < accepted->n && !known; k++)
                        known = streq(accepted->files[k].logical + 1, e->name);
                if (!known)
                        image_error(c, "carries /%s, which the root's boot does not read (removed, masked or "
                                    "refused)", e->name);
        }
}

static bool has_work(const Context *ctx) {
        return ctx->config.n_vms > 0 || ctx->config.host.n_passthrough > 0;
}

static void check_image(Context *ctx, const char *version, const AcceptedConfig *accepted) {
        _cleanup_(freep) char *debian = strjoin("/boot/initrd.img-", version);
        _cleanup_(freep) char *dracut = strjoin("/boot/initramfs-", version, ".img");
        _cleanup_(freep) char *p1 = path_under_root(ctx->root, debian), *p2 = path_under_root(ctx->root, dracut);
        if (!p1 || !p2)
                return;
        struct stat st;
        const char *image = stat(p1, &st) >= 0 ? debian : stat(p2, &st) >= 0 ? dracut : NULL;
        if (!image)
                return;   /* not built yet: image pipelines check before they build it */

        _cleanup_(initramfs_done) Initramfs archive = {};
        char error[512] = "";
        int r = initramfs_read(image == debian ? p1 : p2, conf_is_config_path, &archive, error, sizeof error);
        if (r == -ENOMEM)
                return (void) diag_add(&ctx->extra, DIAG_ERROR, (Location) {}, NULL, NULL, "out of memory");
        if (r < 0)
                return (void) diag_add(&ctx->extra, DIAG_WARNING, (Location) {}, NULL, NULL,
                                       "cannot read %s (kernel %s) to verify that it holds nestvirt and this "
                                       "configuration: %s", image, version, error);

        bool itools = initramfs_find(&archive, "/conf/initramfs.conf") || initramfs_find(&archive, "/scripts/init-top");
        char rebuild[256];
        snprintf(rebuild, sizeof rebuild, itools ? "update-initramfs -u -k %s" : "dracut -f --kver %s", version);
        ImageCheck c = { .ctx = ctx, .image = image, .version = version, .rebuild = rebuild, .archive = &archive };
        if (!has_work(ctx) && !initramfs_find(&archive, itools ? "/usr/bin/nestvirt" : NESTVIRT_BINDIR "/nestvirt"))
                return;   /* nothing to do at boot, and no nestvirt in it to act on a stale copy */
        check_nestvirt_files(&c, itools);
        if (accepted)
                check_config_copies(&c, accepted);
}

void check_initramfs(Context *ctx, const Options *o) {
        _cleanup_(freep) char *dir = NULL;
        _cleanup_(strv_freep) char **versions = image_kernel_versions(ctx->root, &dir);
        /* The files the boot would read; --config FILE names none of the root's. */
        _cleanup_(conf_accepted_done) AcceptedConfig accepted = {};
        bool have = !o->config && conf_accepted_load(ctx->root, o->allow_owner, &accepted) >= 0;
        for (size_t i = 0; versions && versions[i]; i++)
                check_image(ctx, versions[i], have ? &accepted : NULL);
}
