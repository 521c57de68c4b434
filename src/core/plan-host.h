/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan-internal.h"

/* 1 GiB pages per node from Hugepages= and the VMs' needs (after devices and nodes). */
void plan_pages(Planner *p);
/* Whether vfio's allow_unsafe_interrupts is needed, and why. */
void plan_interrupts(Planner *p);
