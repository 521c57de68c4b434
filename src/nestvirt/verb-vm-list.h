/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* 'nestvirt vm list [--json]': every configured VM with its unit's live state (asked of
 * systemd; none under --root), vCPUs, memory per node, devices and autostart. Returns the
 * exit status: 1 when the configuration cannot be loaded, 0 otherwise. */
int vm_list(const Options *o);
