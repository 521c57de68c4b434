/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"
#include "options.h"

/* Binds the planned devices to vfio-pci (nestvirt-vfio.service). */
int verb_bind_vfio(const Options *o, int argc, char *argv[]);

/* In the initrd: remember which configuration it saw (under ctx->root), for status after
 * switch-root. */
void record_initrd_config(const Context *ctx);
