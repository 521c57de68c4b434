/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "inventory.h"
#include "plan.h"

/* vm preflight: pages, devices, /dev/kvm, binary (and who could replace it), files, root= of
 * planned VM VM, looked up under ROOT (NULL: the running system). ALLOW_OWNER: a uid trusted
 * like root, as --allow-owner does for the configuration (0: none). One line per failure;
 * returns -EUCLEAN when anything would keep the VM from starting. Reads only. */
int vm_preflight(const Plan *plan, const Inventory *inv, size_t vm, const char *root, uid_t allow_owner);
