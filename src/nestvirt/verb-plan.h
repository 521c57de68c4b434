/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* What the generator and the units will do. */
int verb_plan(const Options *o, int argc, char *argv[]);
