/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config.h"

/* The tap device of a VM with Network=tap: TapName=, or "nv-NAME" (at most 15 characters;
 * names over 12 characters become "nv-" + 7 characters + "-" + a 16-bit hash of the name).
 * Made here, in core, so that config_finish() can tell two VMs that would share one. */
char *vm_tap_name(const VmConfig *c);
