/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan.h"

#define HUGEPAGES_SERVICE "nestvirt-hugepages.service"
#define VFIO_SERVICE "nestvirt-vfio.service"
#define VMS_TARGET "nestvirt-vms.target"

/* "nestvirt-vm@NAME.service" */
char *vm_unit_name(const char *vm);
/* The whole text of nestvirt-vm@NAME.service. */
int vm_unit_render(const Plan *plan, size_t vm, const char *root, char **ret);
