/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* 'nestvirt vm info NAME [--json]': the VMM's own view over the API socket, summarised.
 * Returns the exit status. */
int vm_info(const Options *o, const char *name);
