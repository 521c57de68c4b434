/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan.h"
#include "util.h"

/* The sandboxing lines of nestvirt-vm@NAME.service: as tight as Cloud Hypervisor allows
 * (/dev/kvm, /dev/vfio, /dev/net/tun, hugetlb memfd, the disks), each relaxed only by what
 * this VM's configuration needs. README "Hardening" lists what each setting costs. */
void vm_sandbox_append(StringBuffer *b, const VmConfig *c);
