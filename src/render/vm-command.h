/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "net-plan.h"
#include "plan.h"
#include "vm-paths.h"

#define VM_LOG_DIR "/var/log/nestvirt"

/* The Cloud Hypervisor command line of one planned VM, one argument per element
 * (DESIGN.md "Cloud Hypervisor facts"). root is only used to tell raw from qcow2 images. */
int vm_command_build(const Plan *plan, size_t vm, const char *root, char ***ret);

#define MAC_ADDRESS_STRING_MAX 18   /* "52:54:00:aa:bb:cc" + NUL */
/* MAC=, or a stable one derived from /etc/machine-id under root and the VM's name. */
void vm_mac_address(const VmConfig *c, const char *root, char buf[static MAC_ADDRESS_STRING_MAX]);
