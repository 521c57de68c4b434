/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "context.h"
#include "verb-plan.h"
#include "vm-unit.h"

/* A VM on several nodes: what each node holds (guest node and PCI segment I are nodes[I]). */
static void print_vm_nodes(const Inventory *inv, const VmPlan *vp) {
        for (size_t n = 0; n < vp->n_nodes; n++) {
                const VmNode *node = &vp->nodes[n];
                _cleanup_(freep) char *cpus = cpu_set_format(&node->host_cpus);
                printf("    node %u (guest node %zu, PCI segment %zu): %" PRIu64 "G, vCPUs %u-%u on CPUs %s",
                       node->node, n, n, node->memory_gib, node->first_cpu, node->first_cpu + node->cpus - 1,
                       isempty(cpus) ? "any" : cpus);
                if (node->mmio64_weight > 1)
                        printf(", 64-bit MMIO weight %" PRIu64, node->mmio64_weight);
                printf("\n");
                for (size_t i = 0; i < vp->n_devices; i++)
                        if (vp->segments[i] == n)
                                printf("      --device %s\n", inv->devices[vp->devices[i]].name);
        }
}

/* "nodes": one object per node of the VM; one for a VM on one node. */
static void json_vm_nodes(JsonWriter *w, const Inventory *inv, const VmPlan *vp) {
        json_key(w, "nodes");
        json_begin_array(w);
        for (size_t n = 0; n < MAX(vp->n_nodes, (size_t) 1); n++) {
                bool spans = vm_plan_spans_nodes(vp);
                _cleanup_(freep) char *cpus = cpu_set_format(spans ? &vp->nodes[n].host_cpus : &vp->cpus);
                unsigned first = spans ? vp->nodes[n].first_cpu : 0;
                unsigned count = spans ? vp->nodes[n].cpus : vp->config->cpus;
                json_begin_object(w);
                json_key(w, "node");
                json_int(w, spans ? (int) vp->nodes[n].node : vp->numa_node);
                json_key(w, "guest_node");
                json_uint(w, n);
                json_key(w, "pci_segment");
                json_uint(w, n);
                json_key(w, "memory_gib");
                json_uint(w, spans ? vp->nodes[n].memory_gib : vp->config->memory_gib);
                json_key(w, "vcpus");
                json_uint(w, count);
                json_key(w, "first_vcpu");
                json_uint(w, first);
                json_key(w, "cpus");
                json_string(w, cpus);
                json_key(w, "mmio64_weight");
                json_uint(w, spans && vp->nodes[n].mmio64_weight > 1 ? vp->nodes[n].mmio64_weight : 1);
                json_key(w, "devices");
                json_begin_array(w);
                for (size_t i = 0; i < vp->n_devices; i++)
                        if (!spans || vp->segments[i] == n)
                                json_string(w, inv->devices[vp->devices[i]].name);
                json_end_array(w);
                json_end_object(w);
        }
        json_end_array(w);
}

static void print_plan(const Context *ctx) {
        const Plan *p = &ctx->plan;
        const Inventory *inv = &ctx->inventory;

        printf("1 GiB pages:\n");
        for (size_t i = 0; i < p->n_pages; i++) {
                const NumaNode *n = inventory_find_node(inv, p->pages[i].node);
                printf("  node %u: %" PRIu64 " page%s", p->pages[i].node, p->pages[i].count,
                       p->pages[i].count == 1 ? "" : "s");
                if (n)
                        printf(" (node memory %" PRIu64 " MiB, reserved now %" PRIu64 ", free %" PRIu64 ")",
                               n->memory_kib >> 10, n->pages_nr, n->pages_free);
                printf("\n");
        }

        printf("\nDevices for vfio-pci:\n");
        if (p->n_claims == 0)
                printf("  (none)\n");
        for (size_t i = 0; i < p->n_claims; i++) {
                const Claim *c = &p->claims[i];
                const PciDevice *d = &inv->devices[c->device];
                printf("  %s  %04x:%04x  node %-2d group %-3d %-13s -> %s", d->name, d->vendor, d->device,
                       d->numa_node, d->iommu_group, claim_reason_to_string(c->reason),
                       context_claim_vm(ctx, c) ?: "(host passthrough)");
                if (c->reason == CLAIM_SIBLING)
                        printf(d->iommu_group >= 0 ? " (same IOMMU group as %s)" : " (another function of %s)",
                               inv->devices[c->sibling_of].name);
                printf("  [driver now: %s]\n", d->driver ?: "none");
        }

        printf("\nUnsafe interrupts: %s (%s)\n", p->unsafe_interrupts ? "on" : "off",
               p->unsafe_interrupts_reason);
        if (p->unsafe_interrupts)
                printf("  (allow_unsafe_interrupts weakens isolation: a device can inject interrupts into the host)\n");

        printf("\nVMs:\n");
        if (p->n_vms == 0)
                printf("  (none)\n");
        for (size_t v = 0; v < p->n_vms; v++) {
                const VmPlan *vp = &p->vms[v];
                _cleanup_(freep) char *cpus = cpu_set_format(&vp->cpus);
                char where[64];
                if (vm_plan_spans_nodes(vp))
                        snprintf(where, sizeof where, "%zu nodes, CPUs per node", vp->n_nodes);
                else
                        snprintf(where, sizeof where, "node %d, CPUs %s", vp->numa_node, isempty(cpus) ? "any" : cpus);
                printf("  %s: %s, %u vCPUs, %" PRIu64 "G on %s, %zu device%s, autostart %s\n",
                       vp->config->name, vp->valid ? "ok" : "NOT STARTABLE (errors below)", vp->config->cpus,
                       vp->config->memory_gib, where, vp->n_devices, vp->n_devices == 1 ? "" : "s",
                       vp->config->autostart ? "yes" : "no");
                if (vm_plan_spans_nodes(vp))
                        print_vm_nodes(inv, vp);
                else
                        for (size_t i = 0; i < vp->n_devices; i++)
                                printf("    --device %s\n", inv->devices[vp->devices[i]].name);
        }

        printf("\nUnits:\n");
        if (plan_wants_hugepages(p))
                printf("  " HUGEPAGES_SERVICE " (sysinit.target, initrd and main system)\n");
        if (plan_wants_vfio(p))
                printf("  " VFIO_SERVICE " (sysinit.target, initrd and main system)\n");
        for (size_t v = 0; v < p->n_vms; v++)
                if (p->vms[v].valid)
                        printf("  nestvirt-vm@%s.service%s\n", p->vms[v].config->name,
                               p->vms[v].config->autostart ? " (" VMS_TARGET ")" : "");
}

static void json_pages(JsonWriter *w, const Plan *p) {
        json_key(w, "hugepages");
        json_begin_array(w);
        for (size_t i = 0; i < p->n_pages; i++) {
                json_begin_object(w);
                json_field_uint(w, "node", p->pages[i].node);
                json_field_uint(w, "pages", p->pages[i].count);
                json_end_object(w);
        }
        json_end_array(w);
}

static void json_devices(JsonWriter *w, const Context *ctx) {
        const Inventory *inv = &ctx->inventory;
        json_key(w, "devices");
        json_begin_array(w);
        for (size_t i = 0; i < ctx->plan.n_claims; i++) {
                const Claim *c = &ctx->plan.claims[i];
                const PciDevice *d = &inv->devices[c->device];
                json_begin_object(w);
                json_field_string(w, "address", d->name);
                json_field_string(w, "reason", claim_reason_to_string(c->reason));
                json_field_string(w, "vm", context_claim_vm(ctx, c));
                json_field_int(w, "iommu_group", d->iommu_group);
                json_field_int(w, "numa_node", d->numa_node);
                json_field_string(w, "sibling_of",
                                  c->reason == CLAIM_SIBLING ? inv->devices[c->sibling_of].name : NULL);
                json_end_object(w);
        }
        json_end_array(w);
}

static void json_vms(JsonWriter *w, const Context *ctx) {
        json_key(w, "vms");
        json_begin_array(w);
        for (size_t v = 0; v < ctx->plan.n_vms; v++) {
                const VmPlan *vp = &ctx->plan.vms[v];
                _cleanup_(freep) char *cpus = cpu_set_format(&vp->cpus);
                json_begin_object(w);
                json_field_string(w, "name", vp->config->name);
                json_field_bool(w, "valid", vp->valid);
                json_field_int(w, "numa_node", vp->numa_node);
                json_field_string(w, "cpus", cpus);
                json_field_uint(w, "memory_gib", vp->config->memory_gib);
                json_key(w, "devices");
                json_begin_array(w);
                for (size_t i = 0; i < vp->n_devices; i++)
                        json_string(w, ctx->inventory.devices[vp->devices[i]].name);
                json_end_array(w);
                json_vm_nodes(w, &ctx->inventory, vp);
                json_field_bool(w, "autostart", vp->config->autostart);
                json_end_object(w);
        }
        json_end_array(w);
}

static void json_plan(const Context *ctx) {
        JsonWriter w = { .f = stdout };

        json_begin_object(&w);
        json_pages(&w, &ctx->plan);
        json_devices(&w, ctx);
        json_field_bool(&w, "unsafe_interrupts", ctx->plan.unsafe_interrupts);
        json_field_string(&w, "unsafe_interrupts_reason", ctx->plan.unsafe_interrupts_reason);
        json_vms(&w, ctx);
        json_key(&w, "diagnostics");
        context_json_diagnostics(ctx, &w);
        json_end_object(&w);
        json_finish(&w);
}

int verb_plan(const Options *o, int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        _cleanup_(context_done) Context ctx = {};
        if (context_load(&ctx, o, /* strict= */ false) < 0)
                return EXIT_PROBLEMS;

        if (o->json)
                json_plan(&ctx);
        else {
                print_plan(&ctx);
                if (ctx.config.diagnostics.n + ctx.plan.diagnostics.n > 0) {
                        printf("\nProblems:\n");
                        context_print_diagnostics(&ctx, stdout);
                }
        }
        return context_count(&ctx, DIAG_ERROR) ? EXIT_PROBLEMS : 0;
}
