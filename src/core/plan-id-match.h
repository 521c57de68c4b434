/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan-internal.h"

/* The VM's id matches (after every VM's addresses): its node or nodes, then the devices. */
void plan_take_id_matches(Planner *p, size_t vm);
