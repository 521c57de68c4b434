/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* The kernel parameters that reserve the same pages at boot. */
int verb_cmdline(const Options *o, int argc, char *argv[]);
