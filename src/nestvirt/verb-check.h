/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* Validate the configuration against this machine or an image root (exit 1 on errors). */
int verb_check(const Options *o, int argc, char *argv[]);
