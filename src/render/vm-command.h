/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "net-plan.h"
#include "plan.h"
#include "vm-paths.h"

#define VM_LOG_DIR "/var/log/nestvirt"

/* Each disk's image type is decided where the image can be read, at the VM's start: 'nestvirt vm
 * prepare' writes NESTVIRT_DISK<i>_TYPE=raw|qcow2 into this file of the runtime directory, the
 * unit reads it (EnvironmentFile=) and ExecStart= says image_type=${NESTVIRT_DISK<i>_TYPE}. */
#define VM_DISK_TYPES_FILE "disk-types.env"
#define VM_DISK_TYPE_VARIABLE_MAX 32
void vm_disk_type_variable(size_t disk, char buf[static VM_DISK_TYPE_VARIABLE_MAX]);

/* The Cloud Hypervisor command line of one planned VM, one argument per element
 * (DESIGN.md "Cloud Hypervisor facts"), as the unit has it: each disk's image_type= is the
 * ${NESTVIRT_DISK<i>_TYPE} reference. root is only used for the MAC address. With ret_literal,
 * (*ret_literal)[i] is how many leading bytes of word i are literal: the rest is a reference. */
int vm_command_build(const Plan *plan, size_t vm, const char *root, char ***ret);
int vm_command_build_for_unit(const Plan *plan, size_t vm, const char *root, char ***ret, size_t **ret_literal);
/* Replaces the references of vm_command_build_for_unit()'s ARGV by DISK_TYPES[i] ("raw",
 * "qcow2"; NULL: kept), as systemd does at the start. */
int vm_command_resolve_disk_types(char **argv, const size_t *literal, const char *const *disk_types,
                                  size_t n_disk_types);

#define MAC_ADDRESS_STRING_MAX 18   /* "52:54:00:aa:bb:cc" + NUL */
/* MAC=, or a stable one derived from /etc/machine-id under root and the VM's name. */
void vm_mac_address(const VmConfig *c, const char *root, char buf[static MAC_ADDRESS_STRING_MAX]);
