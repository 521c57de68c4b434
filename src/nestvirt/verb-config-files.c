/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config-files: the configuration files a boot would read, for the initramfs builders. They
 * copy exactly these (dracut module, initramfs-tools hook), so the initramfs obeys nothing the
 * main system would refuse; a refused file fails the image build instead. */

#include "conf-accepted.h"
#include "log.h"
#include "util.h"
#include "verb-config-files.h"

int verb_config_files(const Options *o, int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        if (o->config) {
                fprintf(stderr, "nestvirt config-files: --config is not supported; it lists what --root holds\n");
                return EXIT_USAGE;
        }
        _cleanup_(conf_accepted_done) AcceptedConfig c = {};
        int r = conf_accepted_load(o->root, o->allow_owner, &c);
        if (r < 0)
                return log_error_errno(r, "Failed to list the configuration files: %m"), EXIT_PROBLEMS;

        for (size_t i = 0; i < c.diagnostics.n; i++) {
                char where[512];
                diag_format_location(&c.diagnostics.items[i], where, sizeof where);
                fprintf(stderr, "%s%s: %s\n", where, diag_level_to_string(c.diagnostics.items[i].level),
                        c.diagnostics.items[i].message);
        }
        size_t unprintable = 0;
        for (size_t i = 0; i < c.n; i++) {
                /* One line per file, tab between the fields: a name that would break the lines
                 * cannot be carried into the initramfs, so it fails the build like a refusal. */
                if (string_has_cc(c.files[i].logical) || string_has_cc(c.files[i].target)) {
                        fprintf(stderr, "%s: error: its name (or its link target's) has a control character; "
                                "rename it\n", c.files[i].logical);
                        unprintable++;
                        continue;
                }
                printf("%s\t%s\n", c.files[i].logical, c.files[i].target);
        }
        size_t bad = c.refused + unprintable;
        if (bad > 0)
                fprintf(stderr, "nestvirt: %zu configuration file%s refused (see above); the boot would not read "
                        "%s either\n", bad, bad == 1 ? "" : "s", bad == 1 ? "it" : "them");
        return bad > 0 ? EXIT_PROBLEMS : 0;
}
