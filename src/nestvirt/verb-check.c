/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "check-image.h"
#include "check-initramfs.h"
#include "check-kernel.h"
#include "context.h"
#include "verb-check.h"

static void print_json(const Context *ctx, size_t errors, size_t warnings) {
        JsonWriter w = { .f = stdout };
        json_begin_object(&w);
        json_field_bool(&w, "ok", errors == 0);
        json_field_uint(&w, "errors", errors);
        json_field_uint(&w, "warnings", warnings);
        json_key(&w, "files");
        json_begin_array(&w);
        for (size_t i = 0; i < ctx->config.n_files; i++)
                json_string(&w, ctx->config.files[i].path);
        json_end_array(&w);
        json_key(&w, "vms");
        json_begin_array(&w);
        for (size_t v = 0; v < ctx->plan.n_vms; v++) {
                json_begin_object(&w);
                json_field_string(&w, "name", ctx->plan.vms[v].config->name);
                json_field_bool(&w, "valid", ctx->plan.vms[v].valid);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_key(&w, "diagnostics");
        context_json_diagnostics(ctx, &w);
        json_end_object(&w);
        json_finish(&w);
}

static void print_text(const Context *ctx, size_t errors, size_t warnings) {
        size_t read = 0, valid = 0;
        for (size_t i = 0; i < ctx->config.n_files; i++)
                read += !ctx->config.files[i].refused;
        for (size_t v = 0; v < ctx->plan.n_vms; v++)
                valid += ctx->plan.vms[v].valid;

        context_print_diagnostics(ctx, stdout);
        printf("%s: %zu error%s, %zu warning%s (%zu file%s read, %zu of %zu VMs valid, %zu PCI devices)\n",
               errors ? "FAILED" : "OK", errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
               read, read == 1 ? "" : "s", valid, ctx->plan.n_vms, ctx->inventory.n_devices);
}

int verb_check(const Options *o, int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        _cleanup_(context_done) Context ctx = {};
        if (context_load(&ctx, o, /* strict= */ true) < 0)
                return EXIT_PROBLEMS;

        check_vm_files(&ctx);
        check_kernel_modules(&ctx);
        check_installation(&ctx);
        check_initramfs(&ctx, o);

        size_t errors = context_count(&ctx, DIAG_ERROR), warnings = context_count(&ctx, DIAG_WARNING);
        if (o->json)
                print_json(&ctx, errors, warnings);
        else
                print_text(&ctx, errors, warnings);
        return errors ? EXIT_PROBLEMS : 0;
}
