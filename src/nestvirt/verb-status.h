/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* Whether pages, devices, interrupts and VMs are as planned (exit 0 only if so). */
int verb_status(const Options *o, int argc, char *argv[]);
