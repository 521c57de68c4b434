/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* The digest of the configuration, for the initramfs module and hook. */
int verb_config_digest(const Options *o, int argc, char *argv[]);
