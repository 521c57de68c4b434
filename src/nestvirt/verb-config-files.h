/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* The configuration files a boot would read, one "LOGICAL\tTARGET" line each, for the
 * initramfs builders; exit 1 when any is refused. */
int verb_config_files(const Options *o, int argc, char *argv[]);
