/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "config.h"
#include "inventory.h"
#include "json.h"
#include "options.h"
#include "plan.h"

/* Config, inventory and plan, loaded the way the generator loads them. */
typedef struct Context {
        const char *root;    /* where they were read: --root, NULL for / */
        Config config;
        Inventory inventory;
        Plan plan;
        Diagnostics extra;   /* findings of the command itself (check's file checks ...) */
} Context;

int context_load(Context *ctx, const Options *o, bool strict);
void context_done(Context *ctx);
size_t context_count(const Context *ctx, DiagLevel level);
void context_print_diagnostics(const Context *ctx, FILE *f);
void context_json_diagnostics(const Context *ctx, JsonWriter *w);
/* The name of the VM a claim is for, NULL for host passthrough. */
const char *context_claim_vm(const Context *ctx, const Claim *c);
