/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kmod-util.h"
#include "log.h"
#include "messages.h"
#include "sysfs-write.h"
#include "unsafe-interrupts.h"
#include "util.h"

int allow_unsafe_interrupts(const char *root, bool in_initrd, const char *module, const char *reason) {
        char rel[128], buf[8] = "";   /* stays empty when the read fails */
        snprintf(rel, sizeof rel, "/sys/module/%s/parameters/allow_unsafe_interrupts", module);
        _cleanup_(freep) char *param = path_under_root(root, rel);
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
                        return module_log_load_failure(r, module, "to enable allow_unsafe_interrupts", in_initrd);
        }
        if (sysfs_read(param, buf, sizeof buf) < 0 || !streq(buf, "Y"))
                return log_error_errno(EIO, "%s allow_unsafe_interrupts did not stick (reads '%s')", module, buf);
        log_internal(LOG_WARNING, 0, MESSAGE_ID_UNSAFE_INTERRUPTS,
                     "%s: allow_unsafe_interrupts enabled (%s). This weakens isolation: a passed-through device "
                     "can send interrupts the IOMMU does not check.", module, reason);
        return 0;
}
