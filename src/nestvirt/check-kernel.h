/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"

/* The kernel versions an image root holds: the directories of ROOT/lib/modules (or of
 * ROOT/usr/lib/modules), sorted. NULL when there are none; *ret_dir is where they are. */
char **image_kernel_versions(const char *root, char **ret_dir);

/* check's checks of each kernel of the image root ctx->root, added to ctx->extra: version,
 * configuration, vfio modules, virtio-iommu. */
void check_kernel_modules(Context *ctx);
