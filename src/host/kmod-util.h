/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* Loads a module (and its dependencies) with libkmod, with OPTIONS for it; 0 if loaded or built in. */
int module_load(const char *name, const char *options);
bool module_is_loaded(const char *name);
bool module_exists(const char *name);

/* Logs why MODULE could not be loaded for PURPOSE (R from module_load()), with what to do
 * about it: where a module is missing decides that. Returns R. */
int module_log_load_failure(int r, const char *module, const char *purpose, bool in_initrd);
