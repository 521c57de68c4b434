/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "context.h"
#include "options.h"

/* check: each kernel's initramfs under ctx->root holds nestvirt and exactly the configuration
 * files the root's boot would read (O's --config and --allow-owner), with the same contents;
 * findings added to ctx->extra. */
void check_initramfs(Context *ctx, const Options *o);
