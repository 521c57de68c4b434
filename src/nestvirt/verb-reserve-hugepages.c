/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <pthread.h>

#include "log.h"
#include "context.h"
#include "proc-cmdline.h"
#include "runtime.h"
#include "util.h"
#include "verb-bind-vfio.h"
#include "verb-reserve-hugepages.h"

#define GIGANTIC "hugepages/hugepages-1048576kB"

bool runtime_enabled(const char *root) {
        bool in_initrd = detect_initrd(root);
        KernelSwitches sw;
        if (kernel_switches_read(root, in_initrd, &sw) >= 0 && !sw.enabled) {
                log_info("Disabled on the kernel command line (%snestvirt=0); nothing to do.", in_initrd ? "rd." : "");
                return false;
        }
        return true;
}

typedef struct NodeJob {
        unsigned node;
        char *path;
        uint64_t want, before, after;
        int error;
        pthread_t thread;
        bool started;
} NodeJob;

static int read_count(const char *path, uint64_t *ret) {
        char buf[32];
        int r = sysfs_read(path, buf, sizeof buf);
        return r < 0 ? r : safe_atou64(buf, ret);
}

/* Never shrink: pages may be in use, and after switch-root this only tops up. */
static void *reserve_node(void *userdata) {
        NodeJob *j = userdata;
        char buf[32];

        j->error = read_count(j->path, &j->before);
        if (j->error < 0)
                return NULL;
        j->after = j->before;
        if (j->before >= j->want)
                return NULL;
        snprintf(buf, sizeof buf, "%" PRIu64, j->want);
        /* The kernel returns success and silently gives fewer pages; read back to know. */
        j->error = sysfs_write(j->path, buf);
        int r = read_count(j->path, &j->after);
        if (j->error >= 0)
                j->error = r;
        return NULL;
}

int verb_reserve_hugepages(const Options *o, int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        if (!runtime_enabled(o->root))
                return 0;

        _cleanup_(context_done) Context ctx = {};
        if (context_load(&ctx, o, /* strict= */ false) < 0)
                return EXIT_PROBLEMS;
        const Plan *p = &ctx.plan;
        if (detect_initrd(o->root))
                record_initrd_config(&ctx);

        if (plan_pages_total(p) == 0) {
                log_info("No 1 GiB pages are planned; nothing to reserve.");
                return 0;
        }
        if (!ctx.inventory.gigantic_pages) {
                log_error("The kernel offers no 1 GiB pages (/sys/kernel/mm/" GIGANTIC " is missing): the CPU "
                          "lacks pdpe1gb or the kernel lacks CONFIG_HUGETLBFS; give the VM a CPU model with "
                          "1 GiB page support.");
                return EXIT_PROBLEMS;
        }

        _cleanup_(freep) NodeJob *jobs = calloc(p->n_pages, sizeof(NodeJob));
        if (!jobs)
                return log_oom(), EXIT_PROBLEMS;

        size_t n = 0;
        for (size_t i = 0; i < p->n_pages; i++) {
                if (p->pages[i].count == 0)
                        continue;
                NodeJob *j = &jobs[n++];
                char rel[128];
                if (ctx.inventory.has_nodes)
                        snprintf(rel, sizeof rel, "/sys/devices/system/node/node%u/" GIGANTIC "/nr_hugepages",
                                 p->pages[i].node);
                else
                        snprintf(rel, sizeof rel, "/sys/kernel/mm/" GIGANTIC "/nr_hugepages");
                *j = (NodeJob) { .node = p->pages[i].node, .want = p->pages[i].count, .path = path_under_root(o->root, rel) };
                if (!j->path)
                        return log_oom(), EXIT_PROBLEMS;
        }

        /* One node after the other: a thread per node was not faster in the boot lab (68-84 s
         * against 68-69 s for 8+8 pages, bench/lab-hugepages-threads.sh), the kernel serializes
         * gigantic page allocation. NESTVIRT_HUGEPAGES_PARALLEL=1 keeps it measurable. */
        bool parallel = getenv("NESTVIRT_HUGEPAGES_PARALLEL") != NULL;
        for (size_t i = 0; i < n; i++)
                if (!parallel || n == 1 || pthread_create(&jobs[i].thread, NULL, reserve_node, &jobs[i]) != 0)
                        reserve_node(&jobs[i]);
                else
                        jobs[i].started = true;
        for (size_t i = 0; i < n; i++)
                if (jobs[i].started)
                        pthread_join(jobs[i].thread, NULL);

        int ret = 0;
        for (size_t i = 0; i < n; i++) {
                NodeJob *j = &jobs[i];
                if (j->error < 0 && j->after == 0) {
                        log_error_errno(j->error, "Node %u: cannot set 1 GiB pages through %s: %m", j->node, j->path);
                        ret = EXIT_PROBLEMS;
                } else if (j->after < j->want) {
                        log_internal(LOG_ERR, 0, MESSAGE_ID_HUGEPAGES_SHORTFALL,
                                     "Node %u: asked for %" PRIu64 " pages of 1 GiB, the kernel gave %" PRIu64
                                     " (short by %" PRIu64 "): memory is too fragmented or too small; reserve them at "
                                     "boot with the parameters 'nestvirt cmdline' prints, or lower Memory=",
                                     j->node, j->want, j->after, j->want - j->after);
                        ret = EXIT_PROBLEMS;
                } else if (j->after > j->before)
                        log_info("Node %u: %" PRIu64 " pages of 1 GiB reserved (%" PRIu64 " before).", j->node,
                                 j->after, j->before);
                else
                        log_info("Node %u: %" PRIu64 " pages of 1 GiB already reserved, %" PRIu64 " planned.",
                                 j->node, j->after, j->want);
                free(j->path);
        }
        return ret;
}
