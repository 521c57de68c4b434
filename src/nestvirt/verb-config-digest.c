/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* For the initramfs module and hook: which configuration they pack. check and status compare
 * it with what they read now. */

#include <inttypes.h>
#include <stdio.h>

#include "config.h"
#include "verb-config-digest.h"

int verb_config_digest(const Options *o, int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        ConfigLoadOptions lo = { .root = o->root, .single_file = o->config };
        _cleanup_(config_done) Config c = {};
        if (config_load(&lo, &c) < 0)
                return EXIT_PROBLEMS;
        printf("%016" PRIx64 "\n", c.digest);
        return 0;
}
