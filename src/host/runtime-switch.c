/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"
#include "proc-cmdline.h"
#include "runtime-switch.h"

bool runtime_enabled(const char *root) {
        bool in_initrd = detect_initrd(root);
        KernelSwitches sw;
        if (kernel_switches_read(root, in_initrd, &sw) >= 0 && !sw.enabled) {
                log_info("Disabled on the kernel command line (%snestvirt=0); nothing to do.", in_initrd ? "rd." : "");
                return false;
        }
        return true;
}
