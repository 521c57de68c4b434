/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kernel versions an image root holds: the directories of ROOT/lib/modules (or of
 * ROOT/usr/lib/modules), sorted. NULL when there are none; *ret_dir is where they are. */
char **image_kernel_versions(const char *root, char **ret_dir);
