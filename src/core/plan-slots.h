/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan-internal.h"

/* Who holds each device, shared by plan-devices.c and plan-id-match.c. */
const char *plan_owner_name(const Planner *p, int owner);
int plan_add_vm_device(VmPlan *vp, size_t device);
/* The first device that would go along with D (its IOMMU group, or its slot without groups) but
 * belongs to another VM than VM, or -1. */
int plan_group_taken_by_other(const Planner *p, size_t d, int vm);
void plan_claim(Planner *p, size_t device, int owner, ClaimReason reason, Location where);
bool plan_match_id(const PciDevice *d, const DeviceMatch *m);
/* Free for VM: nobody's (or only [Host] Passthrough='s, which a VM overrides), and so is every
 * device that would go along with it (its IOMMU group, or its slot without groups). */
bool plan_device_free_for(const Planner *p, size_t d, int vm);
/* Claims device D for VM, from the Device= line at WHERE, and hands it to the VM. */
void plan_take_device(Planner *p, size_t vm, size_t d, Location where);
