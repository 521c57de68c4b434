/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* In the initrd: remember the DIGEST of the configuration it saw (in ROOT's
 * INITRD_CONFIG_STAMP), for status after switch-root. Best effort: logs nothing. */
void record_initrd_config(const char *root, uint64_t digest);
