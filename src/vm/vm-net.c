/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "log.h"
#include "nat.h"
#include "vm-net.h"

int vm_net_up(const VmPlan *vp) {
        const VmConfig *c = vp->config;

        if (c->network != NETWORK_NAT)
                return log_error_errno(EINVAL, "VM %s has Network=%s; 'vm net-up' is for Network=nat", c->name,
                                       c->network == NETWORK_TAP ? "tap" : "none");
        NatLink l = { .vm = c->name, .tap = vp->net.tap, .host = vp->net.host, .prefix = vp->net.prefix };
        return nat_up(&l);
}

int vm_net_down(const char *name) {
        return nat_down(name);
}
