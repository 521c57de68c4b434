/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tap-name.h"
#include "util.h"

#define TAP_NAME_PREFIX "nv-"

char *vm_tap_name(const VmConfig *c) {
        if (c->tap_name.value)
                return strdup(c->tap_name.value);
        char *n;
        /* "nv-NAME" fits IFNAMSIZ for names up to 12 characters; longer ones get a hash suffix,
         * which two names can share: config_finish() refuses such a pair. */
        if (strlen(c->name) <= TAP_NAME_MAX - strlen(TAP_NAME_PREFIX))
                return asprintf_safe(&n, TAP_NAME_PREFIX "%s", c->name) < 0 ? NULL : n;
        return asprintf_safe(&n, TAP_NAME_PREFIX "%.7s-%04x", c->name,
                             (unsigned) (fnv1a(FNV1A_INIT, c->name, strlen(c->name)) & 0xffff)) < 0 ? NULL : n;
}
