/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libkmod.h>
#include <sys/utsname.h>

#include "kmod-util.h"
#include "log.h"
#include "util.h"

static struct kmod_ctx *kmod_context(void) {
        static struct kmod_ctx *ctx = NULL;
        if (!ctx) {
                ctx = kmod_new(NULL, NULL);
                if (ctx) {
                        kmod_set_log_priority(ctx, 0);
                        (void) kmod_load_resources(ctx);
                }
        }
        return ctx;
}

bool module_is_loaded(const char *name) {
        char path[256];
        snprintf(path, sizeof path, "/sys/module/%s", name);
        return access(path, F_OK) >= 0;
}

static struct kmod_list *lookup(const char *name) {
        struct kmod_ctx *ctx = kmod_context();
        struct kmod_list *list = NULL;
        if (!ctx || kmod_module_new_from_lookup(ctx, name, &list) < 0)
                return NULL;
        return list;
}

bool module_exists(const char *name) {
        struct kmod_list *l = lookup(name);
        kmod_module_unref_list(l);
        return l != NULL;
}

int module_load(const char *name, const char *options) {
        /* Loaded, or built in (an initramfs may lack modules.builtin, so ask sysfs first);
         * the caller sets parameters of a loaded module through sysfs. */
        if (module_is_loaded(name))
                return 0;

        struct kmod_list *list = lookup(name), *i;
        int r = -ENOENT;

        if (!list)
                return -ENOENT;
        kmod_list_foreach(i, list) {
                struct kmod_module *m = kmod_module_get_module(i);
                /* Built in: nothing to load. KMOD_PROBE_IGNORE_LOADED keeps an already loaded
                 * module as it is; its parameters are then set through sysfs. */
                r = kmod_module_probe_insert_module(m, KMOD_PROBE_IGNORE_LOADED, options, NULL, NULL, NULL);
                kmod_module_unref(m);
                if (r >= 0)
                        break;
        }
        kmod_module_unref_list(list);
        return r > 0 ? -EPERM : r;   /* > 0: blacklisted, which we do not override */
}

int module_log_load_failure(int r, const char *module, const char *purpose, bool in_initrd) {
        if (r != -ENOENT)
                return log_error_errno(r, "Cannot load %s (%s): %m", module, purpose);
        if (in_initrd)
                return log_error_errno(r, "Cannot load %s (%s): it is not in this initramfs; rebuild the initramfs "
                                       "with nestvirt's dracut module or initramfs-tools hook (dracut -f, or "
                                       "update-initramfs -u). Until then nestvirt-vfio.service does it after "
                                       "switch-root, if the root file system has the module", module, purpose);
        struct utsname u;
        return log_error_errno(r, "Cannot load %s (%s): kernel %s has no such module; install that kernel's "
                               "modules, or boot a kernel that has it", module, purpose,
                               uname(&u) >= 0 ? u.release : "(unknown)");
}
