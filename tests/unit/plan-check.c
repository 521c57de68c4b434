/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake-inventory.h"
#include "plan-check.h"
#include "util.h"

void dump(const Diagnostics *d) {
        for (size_t i = 0; i < d->n; i++)
                print_message("  %s %s:%u [vm %s] [dev %s] %s\n", diag_level_to_string(d->items[i].level),
                              strempty(d->items[i].where.file), d->items[i].where.line, strempty(d->items[i].vm),
                              strempty(d->items[i].device), d->items[i].message);
}

void config(Config *c, const char *text) {
        config_init(c);
        assert_int_equal(config_parse_buffer(c, CONF, text, true), 0);
        config_finish(c);
        if (diag_count(&c->diagnostics, DIAG_ERROR) > 0) {
                dump(&c->diagnostics);
                fail_msg("the test config has errors");
        }
}

void plan(const Config *c, const Inventory *inv, Plan *p) {
        assert_int_equal(plan_build(c, inv, p), 0);
        assert_int_equal(p->n_vms, c->n_vms);
        assert_false(p->diagnostics.oom);
}

void expect_no_errors(const Plan *p) {
        if (diag_count(&p->diagnostics, DIAG_ERROR) > 0) {
                dump(&p->diagnostics);
                fail_msg("the plan has errors");
        }
}

const VmPlan *vm(const Plan *p, const char *name) {
        for (size_t i = 0; i < p->n_vms; i++)
                if (streq(p->vms[i].config->name, name))
                        return &p->vms[i];
        fail_msg("no VM %s in the plan", name);
        return NULL;
}

int vm_index(const Plan *p, const char *name) {
        return (int) (vm(p, name) - p->vms);
}

const Diagnostic *find(const Plan *p, DiagLevel level, const char *needle) {
        for (size_t i = 0; i < p->diagnostics.n; i++)
                if (p->diagnostics.items[i].level == level && strstr(p->diagnostics.items[i].message, needle))
                        return &p->diagnostics.items[i];
        dump(&p->diagnostics);
        fail_msg("no %s contains \"%s\"", diag_level_to_string(level), needle);
        return NULL;
}

/* The VM got exactly these devices, in this order. */
void expect_devices(const Plan *p, const char *name, const char *const *addresses, size_t n) {
        const VmPlan *v = vm(p, name);
        bool ok = v->n_devices == n;
        for (size_t i = 0; ok && i < n; i++)
                ok = v->devices[i] == dev(p->inventory, addresses[i]);
        if (!ok) {
                for (size_t i = 0; i < v->n_devices; i++)
                        print_message("  %s got %s\n", name, p->inventory->devices[v->devices[i]].name);
                fail_msg("VM %s got the wrong devices", name);
        }
}

void expect_cpus(const VmPlan *v, const char *cpus) {
        _cleanup_(freep) char *s = cpu_set_format(&v->cpus);
        assert_non_null(s);
        assert_string_equal(s, cpus);
}

const Claim *claim_of(const Plan *p, const char *address) {
        return plan_find_claim(p, dev(p->inventory, address));
}

uint64_t pages_on(const Plan *p, unsigned node) {
        for (size_t i = 0; i < p->n_pages; i++)
                if (p->pages[i].node == node)
                        return p->pages[i].count;
        fail_msg("no page count for node %u", node);
        return 0;
}
