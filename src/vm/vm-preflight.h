/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "inventory.h"
#include "plan.h"

/* vm preflight: pages, devices, /dev/kvm, binary, files, root= of planned VM VM, looked up
 * under ROOT (NULL: the running system). One line per failure; returns -EUCLEAN when anything
 * would keep the VM from starting. Reads only. */
int vm_preflight(const Plan *plan, const Inventory *inv, size_t vm, const char *root);
