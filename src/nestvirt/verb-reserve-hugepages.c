/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* reserve-hugepages: the planned 1 GiB pages, node by node. This file decides which pools
 * and reports; src/host/hugepages.c reads and tops up each pool. */

#include <inttypes.h>
#include <pthread.h>

#include "hugepages.h"
#include "initrd-record.h"
#include "log.h"
#include "messages.h"
#include "context.h"
#include "proc-cmdline.h"
#include "runtime-switch.h"
#include "util.h"
#include "verb-reserve-hugepages.h"

typedef struct NodeJob {
        unsigned node;
        char *path;
        uint64_t want, before, after;
        int error;
        pthread_t thread;
        bool started;
} NodeJob;

static void *reserve_node(void *userdata) {
        NodeJob *j = userdata;
        j->error = hugepages_pool_reserve(j->path, j->want, &j->before, &j->after);
        return NULL;
}

/* One job per node with pages planned, in *RET (*RET_N of them). */
static int plan_jobs(const char *root, const Context *ctx, NodeJob **ret, size_t *ret_n) {
        const Plan *p = &ctx->plan;
        _cleanup_(freep) NodeJob *jobs = calloc(p->n_pages, sizeof(NodeJob));
        if (!jobs)
                return log_oom();

        size_t n = 0;
        for (size_t i = 0; i < p->n_pages; i++) {
                if (p->pages[i].count == 0)
                        continue;
                NodeJob *j = &jobs[n++];
                *j = (NodeJob) {
                        .node = p->pages[i].node,
                        .want = p->pages[i].count,
                        .path = hugepages_pool_path(root, ctx->inventory.has_nodes, p->pages[i].node, "nr_hugepages"),
                };
                if (!j->path) {
                        for (size_t k = 0; k < n; k++)
                                free(jobs[k].path);
                        return log_oom();
                }
        }
        *ret = TAKE_PTR(jobs);
        *ret_n = n;
        return 0;
}

/* One node after the other: a thread per node was not faster in the boot lab (68-84 s
 * against 68-69 s for 8+8 pages, bench/lab-hugepages-threads.sh), the kernel serializes
 * gigantic page allocation. NESTVIRT_HUGEPAGES_PARALLEL=1 keeps it measurable. */
static void run_jobs(NodeJob *jobs, size_t n) {
        bool parallel = getenv("NESTVIRT_HUGEPAGES_PARALLEL") != NULL;
        for (size_t i = 0; i < n; i++)
                if (!parallel || n == 1 || pthread_create(&jobs[i].thread, NULL, reserve_node, &jobs[i]) != 0)
                        reserve_node(&jobs[i]);
                else
                        jobs[i].started = true;
        for (size_t i = 0; i < n; i++)
                if (jobs[i].started)
                        pthread_join(jobs[i].thread, NULL);
}

/* Logs how the node fared; returns -errno when it has fewer pages than planned. */
static int report_job(const NodeJob *j) {
        if (j->error < 0 && j->after == 0)
                return log_error_errno(j->error, "Node %u: cannot set 1 GiB pages through %s: %m", j->node, j->path);
        if (j->after < j->want) {
                log_internal(LOG_ERR, 0, MESSAGE_ID_HUGEPAGES_SHORTFALL,
                             "Node %u: asked for %" PRIu64 " pages of 1 GiB, the kernel gave %" PRIu64 " (short by %"
                             PRIu64 "): memory is too fragmented or too small; reserve them at boot with the "
                             "parameters 'nestvirt cmdline' prints, or lower Memory=",
                             j->node, j->want, j->after, j->want - j->after);
                return -ENOMEM;
        }
        if (j->after > j->before)
                log_info("Node %u: %" PRIu64 " pages of 1 GiB reserved (%" PRIu64 " before).", j->node, j->after,
                         j->before);
        else
                log_info("Node %u: %" PRIu64 " pages of 1 GiB already reserved, %" PRIu64 " planned.", j->node,
                         j->after, j->want);
        return 0;
}

/* Reserves what CTX plans; adds a line per node to *RECORD. Returns the exit status. */
static int reserve_planned(const char *root, const Context *ctx, char ***record) {
        if (plan_pages_total(&ctx->plan) == 0) {
                log_info("No 1 GiB pages are planned; nothing to reserve.");
                return 0;
        }
        if (!ctx->inventory.gigantic_pages) {
                log_error("The kernel offers no 1 GiB pages (/sys/kernel/mm/" HUGEPAGES_GIGANTIC_DIR " is missing): "
                          "the CPU lacks pdpe1gb or the kernel lacks CONFIG_HUGETLBFS; give the VM a CPU model "
                          "with 1 GiB page support.");
                return EXIT_PROBLEMS;
        }

        _cleanup_(freep) NodeJob *jobs = NULL;
        size_t n = 0;
        if (plan_jobs(root, ctx, &jobs, &n) < 0)
                return EXIT_PROBLEMS;
        run_jobs(jobs, n);

        int ret = 0;
        for (size_t i = 0; i < n; i++) {
                if (report_job(&jobs[i]) < 0)
                        ret = EXIT_PROBLEMS;
                char *line;
                if (asprintf(&line, "node=%u %" PRIu64 " %" PRIu64 " %" PRIu64, jobs[i].node, jobs[i].want,
                             jobs[i].before, jobs[i].after) < 0 || strv_push(record, line) < 0)
                        ret = EXIT_PROBLEMS;
                free(jobs[i].path);
        }
        return ret;
}

int verb_reserve_hugepages(const Options *o, int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        const char *root = o->root;
        if (!runtime_enabled(root))
                return 0;
        bool in_initrd = detect_initrd(root);
        if (!in_initrd)
                initrd_record_log_verb(root, "reserve-hugepages");

        _cleanup_(context_done) Context ctx = {};
        if (context_load(&ctx, o, /* strict= */ false) < 0)
                return EXIT_PROBLEMS;
        _cleanup_(strv_freep) char **record = NULL;
        int ret = reserve_planned(root, &ctx, &record);
        if (in_initrd)
                (void) initrd_record_save(root, "reserve-hugepages", &ctx.config, ret, record);
        return ret;
}
