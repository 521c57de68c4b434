/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "config.h"

#define TAP_NAME_PREFIX "nv-"

/* Network=tap and Network=nat both give the VM a tap device. */
static inline bool vm_has_tap(const VmConfig *c) {
        return c->network != NETWORK_NONE;
}

/* The tap device of a VM: TapName=, or "nv-NAME" (at most 15 characters; names over 12
 * characters become "nv-" + 7 characters + "-" + a 16-bit hash of the name), into BUF. Made
 * here, in core, so that config_finish() can tell two VMs that would share one. */
void vm_tap_name_format(const VmConfig *c, char buf[static TAP_NAME_MAX + 1]);
/* The same, allocated; NULL on OOM. */
char *vm_tap_name(const VmConfig *c);
