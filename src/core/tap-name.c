/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "tap-name.h"
#include "util.h"

void vm_tap_name_format(const VmConfig *c, char buf[static TAP_NAME_MAX + 1]) {
        if (c->tap_name.value)
                snprintf(buf, TAP_NAME_MAX + 1, "%s", c->tap_name.value);
        /* "nv-NAME" fits IFNAMSIZ for names up to 12 characters; longer ones get a hash suffix,
         * which two names can share: config_finish() refuses such a pair. */
        else if (strlen(c->name) <= TAP_NAME_MAX - strlen(TAP_NAME_PREFIX))
                snprintf(buf, TAP_NAME_MAX + 1, TAP_NAME_PREFIX "%s", c->name);
        else
                snprintf(buf, TAP_NAME_MAX + 1, TAP_NAME_PREFIX "%.7s-%04x", c->name,
                         (unsigned) (fnv1a(FNV1A_INIT, c->name, strlen(c->name)) & 0xffff));
}

char *vm_tap_name(const VmConfig *c) {
        char buf[TAP_NAME_MAX + 1];
        vm_tap_name_format(c, buf);
        return strdup(buf);
}
