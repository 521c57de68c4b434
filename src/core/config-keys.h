/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config.h"

extern const char *const host_keys[];
extern const char *const vm_keys[];

/* Apply one assignment. Returns 0 (problems go to c->diagnostics), -ENOENT for an unknown
 * key (the caller reports it with a suggestion), -ENOMEM. */
int host_apply_key(Config *c, Location where, const char *key, const char *value);
int vm_apply_key(Config *c, VmConfig *vm, Location where, const char *key, const char *value);

/* The nearest valid key within a small edit distance, or NULL. */
const char *suggest_key(const char *const *keys, const char *key);
