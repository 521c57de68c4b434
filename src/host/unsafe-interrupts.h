/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* Sets MODULE's allow_unsafe_interrupts (vfio_iommu_type1, iommufd) under ROOT: through sysfs
 * when the module is loaded, else by loading it with the option; then reads it back. Logs
 * the result, with REASON, either way. */
int allow_unsafe_interrupts(const char *root, bool in_initrd, const char *module, const char *reason);
