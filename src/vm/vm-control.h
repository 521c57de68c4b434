/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Requests an admin makes of a running VM over its API socket under ROOT (NULL: the running
 * system). Both log their failures, in words that say whether the VM runs at all. TIMEOUT_SEC
 * 0: the default. */

#include "vm-info.h"

/* GET /api/v1/vm.info, parsed. */
int vm_fetch_info(const char *root, const char *name, unsigned timeout_sec, VmInfo *ret);
/* PUT /api/v1/vm.reboot: the VM resets; Cloud Hypervisor and the unit keep running. */
int vm_reboot(const char *root, const char *name, unsigned timeout_sec);
