/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"

/* check's checks of an image root (ctx->root), added to ctx->extra: the files the VMs name,
 * and the installation (each kernel: check-kernel.h; each initramfs: check-initramfs.h). */
void check_vm_files(Context *ctx);
void check_installation(Context *ctx);
