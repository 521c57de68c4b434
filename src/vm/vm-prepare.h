/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan.h"

/* vm prepare: makes ROOT/run/nestvirt/vm/NAME, removes a stale API socket and builds the
 * cloud-init seed (CloudInit=). */
int vm_prepare(const VmPlan *vp, const char *root);
