/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan.h"

/* Each VM's runtime directory is VM_RUNTIME_DIR/NAME: a level of their own, so that no VM name
 * can coincide with a file of nestvirt's own in /run/nestvirt (initrd-config). */
#define VM_RUNTIME_DIRECTORY "nestvirt/vm"   /* as RuntimeDirectory= takes it, under /run */
#define VM_RUNTIME_DIR "/run/" VM_RUNTIME_DIRECTORY
#define VM_LOG_DIR "/var/log/nestvirt"
/* Cloud Hypervisor's API socket, in the VM's runtime directory. */
#define VM_API_SOCKET "api.sock"
/* The NoCloud seed (CloudInit=), built in the runtime directory at each start. */
#define VM_SEED_FILE "cidata.iso"

/* The Cloud Hypervisor command line of one planned VM, one argument per element
 * (DESIGN.md "Cloud Hypervisor facts"). root is only used to tell raw from qcow2 images. */
int vm_command_build(const Plan *plan, size_t vm, const char *root, char ***ret);

/* TapName=, or "nv-NAME" (at most 15 characters). */
char *vm_tap_name(const VmConfig *c);
#define MAC_ADDRESS_STRING_MAX 18   /* "52:54:00:aa:bb:cc" + NUL */
/* MAC=, or a stable one derived from /etc/machine-id under root and the VM's name. */
void vm_mac_address(const VmConfig *c, const char *root, char buf[static MAC_ADDRESS_STRING_MAX]);
