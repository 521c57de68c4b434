/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

typedef struct KernelSwitches {
        bool enabled;        /* nestvirt= (and rd.nestvirt= in the initrd) */
        bool autostart;      /* nestvirt.autostart= */
} KernelSwitches;

/* Reads $SYSTEMD_PROC_CMDLINE, else ROOT/proc/cmdline. With systemd's rd. rules: in the initrd
 * both "rd.KEY" and "KEY" count (the last one wins); in the main system "rd.KEY" is ignored. */
int kernel_switches_read(const char *root, bool in_initrd, KernelSwitches *ret);
int kernel_switches_parse(const char *cmdline, bool in_initrd, KernelSwitches *ret);
/* $SYSTEMD_IN_INITRD, else whether ROOT/etc/initrd-release exists. */
bool detect_initrd(const char *root);
