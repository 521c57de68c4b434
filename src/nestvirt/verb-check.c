/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "nestvirt.h"

int verb_check(int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        _cleanup_(context_done) Context ctx = {};
        if (context_load(&ctx, /* strict= */ true) < 0)
                return EXIT_PROBLEMS;

        check_vm_files(&ctx);
        check_kernel_modules(&ctx);
        check_installation(&ctx);
        check_initramfs(&ctx);

        size_t errors = context_count(&ctx, DIAG_ERROR), warnings = context_count(&ctx, DIAG_WARNING);
        size_t read = 0;
        for (size_t i = 0; i < ctx.config.n_files; i++)
                read += !ctx.config.files[i].refused;

        if (arg_json) {
                JsonWriter w = { .f = stdout };
                json_begin_object(&w);
                json_key(&w, "ok");
                json_bool(&w, errors == 0);
                json_key(&w, "errors");
                json_uint(&w, errors);
                json_key(&w, "warnings");
                json_uint(&w, warnings);
                json_key(&w, "files");
                json_begin_array(&w);
                for (size_t i = 0; i < ctx.config.n_files; i++)
                        json_string(&w, ctx.config.files[i].path);
                json_end_array(&w);
                json_key(&w, "vms");
                json_begin_array(&w);
                for (size_t v = 0; v < ctx.plan.n_vms; v++) {
                        json_begin_object(&w);
                        json_key(&w, "name");
                        json_string(&w, ctx.plan.vms[v].config->name);
                        json_key(&w, "valid");
                        json_bool(&w, ctx.plan.vms[v].valid);
                        json_end_object(&w);
                }
                json_end_array(&w);
                json_key(&w, "diagnostics");
                context_json_diagnostics(&ctx, &w);
                json_end_object(&w);
                json_finish(&w);
        } else {
                context_print_diagnostics(&ctx, stdout);
                size_t valid = 0;
                for (size_t v = 0; v < ctx.plan.n_vms; v++)
                        valid += ctx.plan.vms[v].valid;
                printf("%s: %zu error%s, %zu warning%s (%zu file%s read, %zu of %zu VMs valid, %zu PCI devices)\n",
                       errors ? "FAILED" : "OK", errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
                       read, read == 1 ? "" : "s", valid, ctx.plan.n_vms, ctx.inventory.n_devices);
        }
        return errors ? EXIT_PROBLEMS : 0;
}

/* For the initramfs module and hook: which configuration they pack. */
int verb_config_digest(int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        ConfigLoadOptions o = { .root = arg_root, .single_file = arg_config };
        _cleanup_(config_done) Config c = {};
        if (config_load(&o, &c) < 0)
                return EXIT_PROBLEMS;
        printf("%016" PRIx64 "\n", c.digest);
        return 0;
}
