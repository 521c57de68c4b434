/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* 'nestvirt vm console NAME': attaches the terminal to the VM's serial socket (Serial=socket)
 * until Ctrl-], the end of input, the VM's exit or a signal. Returns the exit status. */
int vm_console(const Options *o, const char *name);
