/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* Makes a changed configuration take effect without a reboot (DESIGN.md "Operating VMs"). */
int verb_apply(const Options *o, int argc, char *argv[]);
