/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* Loads a module (and its dependencies) with libkmod, with OPTIONS for it; 0 if loaded or built in. */
int module_load(const char *name, const char *options);
bool module_is_loaded(const char *name);
bool module_exists(const char *name);
