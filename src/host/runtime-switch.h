/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* The runtime actions honour nestvirt=0 / rd.nestvirt=0 themselves: initramfs-tools runs
 * them without a generator in between. Returns false (after logging) when disabled. */
bool runtime_enabled(const char *root);
