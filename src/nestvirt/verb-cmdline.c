/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "context.h"
#include "verb-cmdline.h"

/* The kernel parameters that reserve the same pages at boot, for admins who want both. */
int verb_cmdline(const Options *o, int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        _cleanup_(context_done) Context ctx = {};
        if (context_load(&ctx, o, /* strict= */ false) < 0)
                return EXIT_PROBLEMS;

        const Plan *p = &ctx.plan;
        bool any = false;
        if (plan_pages_total(p) > 0) {
                printf("hugepagesz=1G hugepages=");
                /* Per-node syntax (kernel 5.7+) keeps each VM's pages on its node. */
                bool first = true;
                for (size_t i = 0; i < p->n_pages; i++) {
                        if (p->pages[i].count == 0)
                                continue;
                        printf("%s%u:%" PRIu64, first ? "" : ",", p->pages[i].node, p->pages[i].count);
                        first = false;
                }
                any = true;
        }
        if (p->unsafe_interrupts) {
                printf("%svfio_iommu_type1.allow_unsafe_interrupts=1", any ? " " : "");
                any = true;
        }
        if (any)
                printf("\n");
        fflush(stdout);
        if (p->n_claims > 0)
                fprintf(stderr, "# Devices are claimed per device with driver_override at boot; there is no\n"
                                "# kernel parameter for that (vfio-pci.ids= would take every device of an id).\n");
        size_t errors = context_count(&ctx, DIAG_ERROR);
        if (errors) {
                context_print_diagnostics(&ctx, stderr);
                return EXIT_PROBLEMS;
        }
        return 0;
}
