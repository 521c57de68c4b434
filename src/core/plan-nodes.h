/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan-internal.h"

/* Whether a valid VM spans several NUMA nodes (NUMANode= lists them, or with auto its devices
 * sit on them), and if so its split: memory, vCPUs, their CPUs and each device's PCI segment
 * per node (DESIGN.md "VMs on several nodes"). A VM on one node is left as it is. */
void plan_vm_nodes(Planner *p, size_t vm);
