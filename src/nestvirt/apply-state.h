/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What apply observes and would change: the units the generator would write now and the ones
 * systemd loaded, the pools' sizes, the diff (src/core/plan-diff.c), the devices that must be
 * left alone and why, the initramfs record. Collected once, printed, then acted on. */

#include <stdio.h>
#include <systemd/sd-bus.h>

#include "context.h"
#include "initramfs-config.h"
#include "plan-diff.h"

typedef struct ApplyState {
        const Context *ctx;
        UnitText *desired, *loaded;
        size_t n_desired, n_loaded;
        char **desired_texts;        /* owned texts of DESIRED */
        char **loaded_vms, **loaded_texts;
        NodeCount *reserved;         /* per planned node: nr_hugepages now */
        size_t n_reserved;
        PlanDiff diff;
        char ***holders;             /* per diff device: processes holding it (claims only) */
        char **boot, **boot_reasons; /* devices behind mounts, swap, the console */
        bool autostart;              /* nestvirt.autostart= is not 0 */
        bool restart;                /* --restart */
        char *kver;                  /* the running kernel, NULL: unknown */
        InitramfsConfigState initramfs;
} ApplyState;

/* BUS: systemd, to tell which loaded units run; NULL: none do (--root). Logs on failure. */
int apply_state_collect(const Context *ctx, sd_bus *bus, bool restart, ApplyState *ret);
void apply_state_done(ApplyState *s);
/* Why diff device I must be left alone (a holder, or what it carries); NULL: it may be bound. */
const char *apply_device_blocked(const ApplyState *s, size_t i);
/* One line per change, or "Nothing to change." */
void apply_state_print(const ApplyState *s, FILE *f);
