/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan.h"

/* vm net-up (Network=nat, run as root outside the VM's sandbox): IPv4 forwarding and the VM's
 * masquerade rule; again is the same. vm net-down: removes the rule; from the name alone, so
 * it never needs the config, and a VM without a rule is fine. */
int vm_net_up(const VmPlan *vp);
int vm_net_down(const char *name);
