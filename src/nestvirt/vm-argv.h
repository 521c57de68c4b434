/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan.h"

/* vm argv: the exact Cloud Hypervisor command line of planned VM VM, one argument per line. */
int vm_print_argv(const Plan *plan, size_t vm, const char *root);
