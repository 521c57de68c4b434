/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"

/* check's checks of an image root (ctx->root), added to ctx->extra: the files the VMs name,
 * the vfio modules of every kernel, the installation, the initramfs' configuration. */
void check_vm_files(Context *ctx);
void check_kernel_modules(Context *ctx);
void check_installation(Context *ctx);
void check_initramfs(Context *ctx);
