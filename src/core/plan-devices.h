/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan-internal.h"

/* [Host] Passthrough=, then each valid VM's Device= lines (addresses before ids, so an id
 * match never takes a device someone named exactly) and its NUMA node, then the IOMMU groups
 * and slot functions that follow the claimed devices. A VM that fails gives back what it took. */
void plan_assign_devices(Planner *p);
