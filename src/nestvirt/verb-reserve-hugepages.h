/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* Reserves the planned 1 GiB pages (nestvirt-hugepages.service). */
int verb_reserve_hugepages(const Options *o, int argc, char *argv[]);

/* The runtime actions honour nestvirt=0 / rd.nestvirt=0 themselves: initramfs-tools runs
 * them without a generator in between. Returns false (after logging) when disabled. */
bool runtime_enabled(const char *root);
