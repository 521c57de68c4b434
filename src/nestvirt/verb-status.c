/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* status: does what the plan says hold on this running system? Exit 0 only if it does. */

#include <inttypes.h>

#include "context.h"
#include "log.h"
#include "pci-device.h"
#include "status-initrd.h"
#include "sysfs-write.h"
#include "systemd-units.h"
#include "util.h"
#include "verb-status.h"
#include "vm-unit.h"

typedef struct VmState {
        char *unit;
        UnitState st;
} VmState;

/* What status found: filled by collect_status(), printed as text or JSON. */
typedef struct Status {
        const Context *ctx;
        bool *vfio_node;                /* per claim: /dev/vfio/GROUP exists */
        bool unsafe_actual;             /* vfio_iommu_type1 allow_unsafe_interrupts is on */
        InitrdStatus initrd;            /* what nestvirt did in the initramfs */
        VmState *vms;                   /* per planned VM */
        char **problems;                /* one line each; none: all holds */
        char **warnings;                /* the config's and plan's warnings: hold, but worth knowing */
} Status;

static void status_done(Status *s) {
        for (size_t v = 0; s->vms && v < s->ctx->plan.n_vms; v++) {
                free(s->vms[v].unit);
                unit_state_done(&s->vms[v].st);
        }
        free(s->vms);
        free(s->vfio_node);
        initrd_status_done(&s->initrd);
        strv_free(s->problems);
        strv_free(s->warnings);
}

static bool param_is_yes(const char *root, const char *module) {
        char rel[128], buf[8];
        snprintf(rel, sizeof rel, "/sys/module/%s/parameters/allow_unsafe_interrupts", module);
        _cleanup_(freep) char *p = path_under_root(root, rel);
        return p && sysfs_read(p, buf, sizeof buf) >= 0 && streq(buf, "Y");
}

static int problem(Status *s, const char *fmt, ...) _printf_(2, 3);
static int problem(Status *s, const char *fmt, ...) {
        va_list ap;
        char *line;
        va_start(ap, fmt);
        int r = vasprintf(&line, fmt, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : strv_push(&s->problems, line);
}

/* ---- collect: what holds, and what does not ---- */

static void collect_plan_errors(Status *s) {
        const Diagnostics *lists[] = { &s->ctx->config.diagnostics, &s->ctx->plan.diagnostics };
        for (size_t k = 0; k < ELEMENTSOF(lists); k++)
                for (size_t i = 0; i < lists[k]->n; i++) {
                        const Diagnostic *d = &lists[k]->items[i];
                        char *line = d->level <= DIAG_WARNING ? diag_format(d, /* with_level= */ false) : NULL;
                        if (line)
                                (void) strv_push(d->level == DIAG_ERROR ? &s->problems : &s->warnings, line);
                }
}

static void collect_pages(Status *s) {
        const Plan *p = &s->ctx->plan;
        for (size_t i = 0; i < p->n_pages; i++) {
                const NumaNode *n = inventory_find_node(&s->ctx->inventory, p->pages[i].node);
                uint64_t have = n ? n->pages_nr : 0;
                if (have < p->pages[i].count)
                        problem(s, "node %u: %" PRIu64 " pages of 1 GiB planned, %" PRIu64 " reserved (short by %"
                                PRIu64 ")", p->pages[i].node, p->pages[i].count, have, p->pages[i].count - have);
        }
}

static int collect_devices(Status *s) {
        const Plan *p = &s->ctx->plan;
        s->vfio_node = calloc(MAX(p->n_claims, (size_t) 1), sizeof(bool));
        if (!s->vfio_node)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_claims; i++) {
                const PciDevice *d = &s->ctx->inventory.devices[p->claims[i].device];
                s->vfio_node[i] = vfio_group_node_exists(s->ctx->root, d->iommu_group, 0);
                if (!streq_ptr(d->driver, VFIO_DRIVER))
                        problem(s, "%s: on %s, not vfio-pci", d->name, d->driver ?: "no driver");
                else if (!s->vfio_node[i])
                        problem(s, "%s: on vfio-pci but /dev/vfio/%d is missing", d->name, d->iommu_group);
        }
        return 0;
}

static void collect_unsafe_interrupts(Status *s) {
        const Plan *p = &s->ctx->plan;
        s->unsafe_actual = param_is_yes(s->ctx->root, "vfio_iommu_type1");
        if (p->unsafe_interrupts && !s->unsafe_actual)
                problem(s, "vfio_iommu_type1 allow_unsafe_interrupts is off, but the plan needs it (%s)",
                        p->unsafe_interrupts_reason);
}

/* The initramfs acted on the config it carried; a newer /etc/nestvirt.conf needs a rebuild. */
static void collect_initramfs(Status *s) {
        initrd_status_load(s->ctx->root, s->ctx->config.digest, &s->initrd);
        if (s->initrd.ran && !s->initrd.same)
                problem(s, "the initramfs carries a different configuration than /etc/nestvirt.conf and its "
                        "drop-ins: rebuild it (dracut -f, or update-initramfs -u)");
}

static bool vm_state_is_wrong(const VmConfig *c, const char *active) {
        return streq(active, "failed") || (c->autostart && !streq(active, "active") && !streq(active, "activating") &&
                                           !streq(active, "reloading"));
}

static int collect_vms(Status *s) {
        const Plan *p = &s->ctx->plan;
        s->vms = calloc(MAX(p->n_vms, (size_t) 1), sizeof(VmState));
        if (!s->vms)
                return -ENOMEM;

        /* Under --root there is no system to ask: the units there are not running here. */
        sd_bus *bus = s->ctx->root ? NULL : systemd_connect();
        for (size_t v = 0; v < p->n_vms; v++) {
                const VmConfig *c = p->vms[v].config;
                VmState *st = &s->vms[v];
                st->unit = vm_unit_name(c->name);
                if (st->unit)
                        unit_state_query(bus, st->unit, &st->st);
                /* Invalid VMs are reported with the plan's errors; without systemd there is no state. */
                if (p->vms[v].valid && st->st.active_state && vm_state_is_wrong(c, st->st.active_state))
                        problem(s, "nestvirt-vm@%s.service is %s; see journalctl -u nestvirt-vm@%s", c->name,
                                st->st.active_state, c->name);
        }
        sd_bus_flush_close_unref(bus);
        return 0;
}

static int collect_status(const Context *ctx, Status *s) {
        *s = (Status) { .ctx = ctx };
        collect_plan_errors(s);
        collect_pages(s);
        if (collect_devices(s) < 0)
                return -ENOMEM;
        collect_unsafe_interrupts(s);
        collect_initramfs(s);
        return collect_vms(s);
}

/* ---- print ---- */

static void json_pages(JsonWriter *w, const Status *s) {
        const Plan *p = &s->ctx->plan;
        json_key(w, "hugepages");
        json_begin_array(w);
        for (size_t i = 0; i < p->n_pages; i++) {
                const NumaNode *n = inventory_find_node(&s->ctx->inventory, p->pages[i].node);
                json_begin_object(w);
                json_field_uint(w, "node", p->pages[i].node);
                json_field_uint(w, "requested", p->pages[i].count);
                json_field_uint(w, "reserved", n ? n->pages_nr : 0);
                json_field_uint(w, "free", n ? n->pages_free : 0);
                json_end_object(w);
        }
        json_end_array(w);
}

static void json_devices(JsonWriter *w, const Status *s) {
        const Plan *p = &s->ctx->plan;
        json_key(w, "devices");
        json_begin_array(w);
        for (size_t i = 0; i < p->n_claims; i++) {
                const Claim *c = &p->claims[i];
                const PciDevice *d = &s->ctx->inventory.devices[c->device];
                json_begin_object(w);
                json_field_string(w, "address", d->name);
                json_field_string(w, "vm", context_claim_vm(s->ctx, c));
                json_field_string(w, "reason", claim_reason_to_string(c->reason));
                json_field_string(w, "expected_driver", VFIO_DRIVER);
                json_field_string(w, "driver", d->driver);
                json_field_int(w, "iommu_group", d->iommu_group);
                json_field_bool(w, "vfio_device", s->vfio_node[i]);
                json_end_object(w);
        }
        json_end_array(w);
}

static void json_vms(JsonWriter *w, const Status *s) {
        const Plan *p = &s->ctx->plan;
        json_key(w, "vms");
        json_begin_array(w);
        for (size_t v = 0; v < p->n_vms; v++) {
                json_begin_object(w);
                json_field_string(w, "name", p->vms[v].config->name);
                json_field_string(w, "unit", s->vms[v].unit);
                json_field_string(w, "load_state", s->vms[v].st.load_state);
                json_field_string(w, "active_state", s->vms[v].st.active_state);
                json_end_object(w);
        }
        json_end_array(w);
}

static void print_json(const Status *s) {
        JsonWriter w = { .f = stdout };
        json_begin_object(&w);
        json_field_bool(&w, "ok", !s->problems);
        json_pages(&w, s);
        json_devices(&w, s);
        json_key(&w, "unsafe_interrupts");
        json_begin_object(&w);
        json_field_bool(&w, "wanted", s->ctx->plan.unsafe_interrupts);
        json_field_bool(&w, "actual", s->unsafe_actual);
        json_end_object(&w);
        json_field_string(&w, "initramfs_config", initrd_status_config(&s->initrd));
        json_key(&w, "initramfs");
        initrd_status_json(&s->initrd, &w);
        json_vms(&w, s);
        json_key(&w, "warnings");
        json_begin_array(&w);
        for (size_t i = 0; s->warnings && s->warnings[i]; i++)
                json_string(&w, s->warnings[i]);
        json_end_array(&w);
        json_key(&w, "problems");
        json_begin_array(&w);
        for (size_t i = 0; s->problems && s->problems[i]; i++)
                json_string(&w, s->problems[i]);
        json_end_array(&w);
        json_end_object(&w);
        json_finish(&w);
}

static void print_pages_and_devices(const Status *s) {
        const Plan *p = &s->ctx->plan;
        printf("%-6s %10s %10s %8s\n", "NODE", "REQUESTED", "RESERVED", "FREE");
        for (size_t i = 0; i < p->n_pages; i++) {
                const NumaNode *n = inventory_find_node(&s->ctx->inventory, p->pages[i].node);
                printf("%-6u %10" PRIu64 " %10" PRIu64 " %8" PRIu64 "\n", p->pages[i].node, p->pages[i].count,
                       n ? n->pages_nr : 0, n ? n->pages_free : 0);
        }
        printf("\n%-13s %-10s %-14s %-10s %-10s %5s %s\n", "DEVICE", "VM", "CLAIM", "EXPECTED", "DRIVER", "GROUP",
               "/dev/vfio");
        for (size_t i = 0; i < p->n_claims; i++) {
                const Claim *c = &p->claims[i];
                const PciDevice *d = &s->ctx->inventory.devices[c->device];
                printf("%-13s %-10s %-14s %-10s %-10s %5d %s\n", d->name, context_claim_vm(s->ctx, c) ?: "-",
                       claim_reason_to_string(c->reason), VFIO_DRIVER, d->driver ?: "none", d->iommu_group,
                       s->vfio_node[i] ? "yes" : "no");
        }
}

static void print_text(const Status *s) {
        const Plan *p = &s->ctx->plan;
        print_pages_and_devices(s);
        printf("\nUnsafe interrupts: wanted %s, actual %s%s\n", p->unsafe_interrupts ? "on" : "off",
               s->unsafe_actual ? "on" : "off", s->unsafe_actual ? " (isolation is weaker)" : "");
        initrd_status_print(&s->initrd);
        printf("\n%-24s %-10s %s\n", "VM", "LOAD", "ACTIVE");
        for (size_t v = 0; v < p->n_vms; v++)
                printf("%-24s %-10s %s\n", p->vms[v].config->name, s->vms[v].st.load_state ?: "?",
                       s->vms[v].st.active_state ?: "?");
        if (s->warnings)
                printf("\nWarnings (they hold, but are worth knowing):\n");
        for (size_t i = 0; s->warnings && s->warnings[i]; i++)
                printf("  %s\n", s->warnings[i]);
        printf("\n%s\n", s->problems ? "Problems:" : "All holds.");
        for (size_t i = 0; s->problems && s->problems[i]; i++)
                printf("  %s\n", s->problems[i]);
}

int verb_status(const Options *o, int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        _cleanup_(context_done) Context ctx = {};
        if (context_load(&ctx, o, /* strict= */ false) < 0)
                return EXIT_PROBLEMS;

        _cleanup_(status_done) Status s = {};
        if (collect_status(&ctx, &s) < 0)
                return log_oom(), EXIT_PROBLEMS;
        if (o->json)
                print_json(&s);
        else
                print_text(&s);
        return s.problems ? EXIT_PROBLEMS : 0;
}
