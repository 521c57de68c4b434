/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* status: does what the plan says hold on this running system? Exit 0 only if it does. */

#include <inttypes.h>
#include <systemd/sd-bus.h>

#include "log.h"
#include "nestvirt.h"
#include "pci-device.h"
#include "status-initrd.h"
#include "sysfs-write.h"
#include "util.h"
#include "vm-unit.h"

typedef struct VmState {
        char *load_state, *active_state;
} VmState;

/* The system bus when there is one, else systemd's private socket (the initrd has no D-Bus). */
static sd_bus *connect_systemd(void) {
        sd_bus *bus = NULL;
        if (sd_bus_open_system(&bus) >= 0)
                return bus;
        if (sd_bus_new(&bus) < 0)
                return NULL;
        if (sd_bus_set_address(bus, "unix:path=/run/systemd/private") < 0 || sd_bus_start(bus) < 0) {
                sd_bus_unref(bus);
                return NULL;
        }
        return bus;
}

static void unit_state(sd_bus *bus, const char *unit, VmState *st) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        if (!bus || sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "LoadUnit", NULL, &reply, "s", unit) < 0 ||
            sd_bus_message_read(reply, "o", &path) < 0)
                return;
        (void) sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                                          "LoadState", NULL, &st->load_state);
        (void) sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                                          "ActiveState", NULL, &st->active_state);
}

static bool param_is_yes(const char *module) {
        char rel[128], buf[8];
        snprintf(rel, sizeof rel, "/sys/module/%s/parameters/allow_unsafe_interrupts", module);
        _cleanup_(freep) char *p = path_under_root(arg_root, rel);
        return p && sysfs_read(p, buf, sizeof buf) >= 0 && streq(buf, "Y");
}

static int problem(char ***problems, const char *fmt, ...) _printf_(2, 3);
static int problem(char ***problems, const char *fmt, ...) {
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? -ENOMEM : strv_push(problems, s);
}

int verb_status(int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        _cleanup_(context_done) Context ctx = {};
        if (context_load(&ctx, /* strict= */ false) < 0)
                return EXIT_PROBLEMS;
        const Plan *p = &ctx.plan;
        const Inventory *inv = &ctx.inventory;
        _cleanup_(strv_freep) char **problems = NULL;

        for (size_t i = 0; i < ctx.config.diagnostics.n + p->diagnostics.n; i++) {
                const Diagnostic *d = i < ctx.config.diagnostics.n ? &ctx.config.diagnostics.items[i]
                                                                    : &p->diagnostics.items[i - ctx.config.diagnostics.n];
                char where[512];
                diag_format_location(d, where, sizeof where);
                if (d->level == DIAG_ERROR)
                        problem(&problems, "%s%s", where, d->message);
        }

        for (size_t i = 0; i < p->n_pages; i++) {
                const NumaNode *n = inventory_find_node(inv, p->pages[i].node);
                uint64_t have = n ? n->pages_nr : 0;
                if (have < p->pages[i].count)
                        problem(&problems, "node %u: %" PRIu64 " pages of 1 GiB planned, %" PRIu64
                                " reserved (short by %" PRIu64 ")", p->pages[i].node, p->pages[i].count, have,
                                p->pages[i].count - have);
        }
        for (size_t i = 0; i < p->n_claims; i++) {
                const PciDevice *d = &inv->devices[p->claims[i].device];
                if (!streq_ptr(d->driver, VFIO_DRIVER))
                        problem(&problems, "%s: on %s, not vfio-pci", d->name, d->driver ?: "no driver");
                else if (!vfio_group_node_exists(arg_root, d->iommu_group, 0))
                        problem(&problems, "%s: on vfio-pci but /dev/vfio/%d is missing", d->name, d->iommu_group);
        }
        bool unsafe_actual = param_is_yes("vfio_iommu_type1");
        if (p->unsafe_interrupts && !unsafe_actual)
                problem(&problems, "vfio_iommu_type1 allow_unsafe_interrupts is off, but the plan needs it (%s)",
                        p->unsafe_interrupts_reason);

        /* The initramfs acted on the config it carried; a newer /etc/nestvirt.conf needs a rebuild. */
        _cleanup_(initrd_status_done) InitrdStatus initrd = {};
        initrd_status_load(arg_root, ctx.config.digest, &initrd);
        if (initrd.ran && !initrd.same)
                problem(&problems, "the initramfs carries a different configuration than /etc/nestvirt.conf and "
                        "its drop-ins: rebuild it (dracut -f, or update-initramfs -u)");

        /* Under --root there is no system to ask: the units there are not running here. */
        sd_bus *bus = arg_root ? NULL : connect_systemd();
        _cleanup_(freep) VmState *states = calloc(MAX(p->n_vms, (size_t) 1), sizeof(VmState));
        if (!states)
                return log_oom(), EXIT_PROBLEMS;
        for (size_t v = 0; v < p->n_vms; v++) {
                const VmConfig *c = p->vms[v].config;
                _cleanup_(freep) char *unit = vm_unit_name(c->name);
                if (unit)
                        unit_state(bus, unit, &states[v]);
                const char *active = states[v].active_state;
                if (!p->vms[v].valid)
                        continue;   /* reported with the plan's errors */
                if (!active)
                        continue;   /* no systemd to ask (--root, or not booted with systemd) */
                if (streq(active, "failed") || (c->autostart && !streq(active, "active") &&
                                                !streq(active, "activating") && !streq(active, "reloading")))
                        problem(&problems, "nestvirt-vm@%s.service is %s; see journalctl -u nestvirt-vm@%s", c->name,
                                active, c->name);
        }
        sd_bus_flush_close_unref(bus);

        bool ok = !problems;
        if (arg_json) {
                JsonWriter w = { .f = stdout };
                json_begin_object(&w);
                json_key(&w, "ok");
                json_bool(&w, ok);
                json_key(&w, "hugepages");
                json_begin_array(&w);
                for (size_t i = 0; i < p->n_pages; i++) {
                        const NumaNode *n = inventory_find_node(inv, p->pages[i].node);
                        json_begin_object(&w);
                        json_key(&w, "node");
                        json_uint(&w, p->pages[i].node);
                        json_key(&w, "requested");
                        json_uint(&w, p->pages[i].count);
                        json_key(&w, "reserved");
                        json_uint(&w, n ? n->pages_nr : 0);
                        json_key(&w, "free");
                        json_uint(&w, n ? n->pages_free : 0);
                        json_end_object(&w);
                }
                json_end_array(&w);
                json_key(&w, "devices");
                json_begin_array(&w);
                for (size_t i = 0; i < p->n_claims; i++) {
                        const Claim *c = &p->claims[i];
                        const PciDevice *d = &inv->devices[c->device];
                        json_begin_object(&w);
                        json_key(&w, "address");
                        json_string(&w, d->name);
                        json_key(&w, "vm");
                        json_string(&w, c->vm >= 0 ? ctx.config.vms[c->vm].name : NULL);
                        json_key(&w, "reason");
                        json_string(&w, claim_reason_to_string(c->reason));
                        json_key(&w, "expected_driver");
                        json_string(&w, VFIO_DRIVER);
                        json_key(&w, "driver");
                        json_string(&w, d->driver);
                        json_key(&w, "iommu_group");
                        json_int(&w, d->iommu_group);
                        json_key(&w, "vfio_device");
                        json_bool(&w, vfio_group_node_exists(arg_root, d->iommu_group, 0));
                        json_end_object(&w);
                }
                json_end_array(&w);
                json_key(&w, "unsafe_interrupts");
                json_begin_object(&w);
                json_key(&w, "wanted");
                json_bool(&w, p->unsafe_interrupts);
                json_key(&w, "actual");
                json_bool(&w, unsafe_actual);
                json_end_object(&w);
                json_key(&w, "initramfs_config");
                json_string(&w, initrd_status_config(&initrd));
                json_key(&w, "initramfs");
                initrd_status_json(&initrd, &w);
                json_key(&w, "vms");
                json_begin_array(&w);
                for (size_t v = 0; v < p->n_vms; v++) {
                        _cleanup_(freep) char *unit = vm_unit_name(p->vms[v].config->name);
                        json_begin_object(&w);
                        json_key(&w, "name");
                        json_string(&w, p->vms[v].config->name);
                        json_key(&w, "unit");
                        json_string(&w, unit);
                        json_key(&w, "load_state");
                        json_string(&w, states[v].load_state);
                        json_key(&w, "active_state");
                        json_string(&w, states[v].active_state);
                        json_end_object(&w);
                }
                json_end_array(&w);
                json_key(&w, "problems");
                json_begin_array(&w);
                for (size_t i = 0; problems && problems[i]; i++)
                        json_string(&w, problems[i]);
                json_end_array(&w);
                json_end_object(&w);
                json_finish(&w);
        } else {
                printf("%-6s %10s %10s %8s\n", "NODE", "REQUESTED", "RESERVED", "FREE");
                for (size_t i = 0; i < p->n_pages; i++) {
                        const NumaNode *n = inventory_find_node(inv, p->pages[i].node);
                        printf("%-6u %10" PRIu64 " %10" PRIu64 " %8" PRIu64 "\n", p->pages[i].node, p->pages[i].count,
                               n ? n->pages_nr : 0, n ? n->pages_free : 0);
                }
                printf("\n%-13s %-10s %-14s %-10s %-10s %5s %s\n", "DEVICE", "VM", "CLAIM", "EXPECTED", "DRIVER", "GROUP",
                       "/dev/vfio");
                for (size_t i = 0; i < p->n_claims; i++) {
                        const Claim *c = &p->claims[i];
                        const PciDevice *d = &inv->devices[c->device];
                        printf("%-13s %-10s %-14s %-10s %-10s %5d %s\n", d->name,
                               c->vm >= 0 ? ctx.config.vms[c->vm].name : "-", claim_reason_to_string(c->reason),
                               VFIO_DRIVER, d->driver ?: "none", d->iommu_group,
                               vfio_group_node_exists(arg_root, d->iommu_group, 0) ? "yes" : "no");
                }
                printf("\nUnsafe interrupts: wanted %s, actual %s%s\n", p->unsafe_interrupts ? "on" : "off",
                       unsafe_actual ? "on" : "off", unsafe_actual ? " (isolation is weaker)" : "");
                initrd_status_print(&initrd);
                printf("\n%-24s %-10s %s\n", "VM", "LOAD", "ACTIVE");
                for (size_t v = 0; v < p->n_vms; v++)
                        printf("%-24s %-10s %s\n", p->vms[v].config->name, states[v].load_state ?: "?",
                               states[v].active_state ?: "?");
                printf("\n%s\n", ok ? "All holds." : "Problems:");
                for (size_t i = 0; problems && problems[i]; i++)
                        printf("  %s\n", problems[i]);
        }
        for (size_t v = 0; v < p->n_vms; v++) {
                free(states[v].load_state);
                free(states[v].active_state);
        }
        return ok ? 0 : EXIT_PROBLEMS;
}
