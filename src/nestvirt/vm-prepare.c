/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "log.h"
#include "vm-verbs.h"

int vm_prepare(Context *ctx, size_t vm) {
        return log_error_errno(EOPNOTSUPP, "vm prepare: not written yet");
}
