/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "context.h"
#include "log.h"

int context_load(Context *ctx, const Options *o, bool strict) {
        ConfigLoadOptions lo = {
                .root = o->root,
                .single_file = o->config,
                .strict = strict,
                .check_ownership = true,
                .allow_owner = o->allow_owner,
        };
        int r;

        *ctx = (Context) { .root = o->root };
        r = config_load(&lo, &ctx->config);
        if (r < 0)
                return log_error_errno(r, "Failed to load the configuration: %m");
        r = inventory_load(o->root, INVENTORY_DETAILS, &ctx->inventory);
        if (r < 0)
                return log_error_errno(r, "Failed to read devices and NUMA nodes under %s: %m", o->root ?: "/");
        r = plan_build(&ctx->config, &ctx->inventory, &ctx->plan);
        if (r < 0)
                return log_error_errno(r, "Failed to plan: %m");
        return 0;
}

void context_done(Context *ctx) {
        plan_done(&ctx->plan);
        inventory_done(&ctx->inventory);
        config_done(&ctx->config);
        diag_done(&ctx->extra);
}

size_t context_count(const Context *ctx, DiagLevel level) {
        return diag_count(&ctx->config.diagnostics, level) + diag_count(&ctx->plan.diagnostics, level) +
               diag_count(&ctx->extra, level);
}

static void print_list(const Diagnostics *d, FILE *f) {
        for (size_t i = 0; i < d->n; i++) {
                diag_write(&d->items[i], /* with_level= */ true, f);
                fputc('\n', f);
        }
}

void context_print_diagnostics(const Context *ctx, FILE *f) {
        print_list(&ctx->config.diagnostics, f);
        print_list(&ctx->plan.diagnostics, f);
        print_list(&ctx->extra, f);
}

static void json_list(const Diagnostics *d, JsonWriter *w) {
        for (size_t i = 0; i < d->n; i++) {
                const Diagnostic *x = &d->items[i];
                json_begin_object(w);
                json_field_string(w, "level", diag_level_to_string(x->level));
                json_field_string(w, "file", x->where.file);
                json_key(w, "line");
                if (x->where.line)
                        json_uint(w, x->where.line);
                else
                        json_null(w);
                json_field_string(w, "vm", x->vm);
                json_field_string(w, "device", x->device);
                json_field_string(w, "message", x->message);
                json_end_object(w);
        }
}

void context_json_diagnostics(const Context *ctx, JsonWriter *w) {
        json_begin_array(w);
        json_list(&ctx->config.diagnostics, w);
        json_list(&ctx->plan.diagnostics, w);
        json_list(&ctx->extra, w);
        json_end_array(w);
}

const char *context_claim_vm(const Context *ctx, const Claim *c) {
        return c->vm >= 0 ? ctx->config.vms[c->vm].name : NULL;
}
