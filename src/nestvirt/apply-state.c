/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <inttypes.h>

#include "apply-state.h"
#include "boot-devices.h"
#include "device-holders.h"
#include "hugepages.h"
#include "log.h"
#include "proc-cmdline.h"
#include "systemd-manager.h"
#include "util.h"
#include "vm-unit.h"

/* Where systemd runs the generators (their "normal" directory), and so where the VM units it
 * loaded are: the generator writes them whole, and only a reload writes them again. */
#define GENERATOR_DIR "/run/systemd/generator"
#define VM_UNIT_PREFIX "nestvirt-vm@"
#define VM_UNIT_SUFFIX ".service"

void apply_state_done(ApplyState *s) {
        for (size_t i = 0; s->holders && i < s->diff.n_devices; i++)
                strv_free(s->holders[i]);
        free(s->holders);
        plan_diff_done(&s->diff);
        free(s->desired);
        free(s->loaded);
        strv_free(s->desired_texts);
        strv_free(s->loaded_vms);
        strv_free(s->loaded_texts);
        free(s->reserved);
        strv_free(s->boot);
        strv_free(s->boot_reasons);
        free(s->kver);
}

/* The units the generator would write now: the valid VMs', rendered as it renders them. */
static int collect_desired(ApplyState *s) {
        const Plan *p = &s->ctx->plan;
        for (size_t v = 0; v < p->n_vms; v++) {
                char *text;
                if (!p->vms[v].valid)
                        continue;
                int r = vm_unit_render(p, v, s->ctx->root, &text);
                if (r < 0)
                        return log_error_errno(r, "Failed to render the unit of VM %s: %m", p->vms[v].config->name);
                if (strv_push(&s->desired_texts, text) < 0)
                        return log_oom();
                UnitText *u = ARRAY_APPEND(s->desired, s->n_desired);
                if (!u)
                        return log_oom();
                *u = (UnitText) { .vm = p->vms[v].config->name, .autostart = p->vms[v].config->autostart };
        }
        for (size_t i = 0; i < s->n_desired; i++)   /* the strv may have moved */
                s->desired[i].text = s->desired_texts[i];
        return 0;
}

/* The VM names of the unit files in ROOT's generator directory, sorted. */
static int list_loaded(const char *root, char ***ret) {
        _cleanup_(freep) char *dir = path_under_root(root, GENERATOR_DIR);
        if (!dir)
                return log_oom();
        DIR *d = opendir(dir);
        if (!d)
                return 0;   /* no generator ran (an image, a fixture): no unit loaded */
        struct dirent *de;
        int r = 0;
        while (r >= 0 && (de = readdir(d))) {
                const char *vm = startswith(de->d_name, VM_UNIT_PREFIX);
                size_t l = vm ? strlen(vm) : 0;
                if (l <= strlen(VM_UNIT_SUFFIX) || !streq(vm + l - strlen(VM_UNIT_SUFFIX), VM_UNIT_SUFFIX))
                        continue;
                char *name = strndup(vm, l - strlen(VM_UNIT_SUFFIX));
                r = name ? strv_push(ret, name) : -ENOMEM;
        }
        closedir(d);
        if (r < 0)
                return log_oom();
        strv_sort(*ret);
        return 0;
}

static bool unit_runs(sd_bus *bus, const char *vm) {
        _cleanup_(freep) char *unit = vm_unit_name(vm);
        _cleanup_(freep) char *active = NULL;
        uint32_t pid;
        if (!bus || !unit || systemd_unit_state(bus, unit, &active, &pid) < 0)
                return false;
        return streq(active, "active") || streq(active, "activating") || streq(active, "reloading");
}

static int collect_loaded(ApplyState *s, sd_bus *bus) {
        int r = list_loaded(s->ctx->root, &s->loaded_vms);
        for (size_t i = 0; r >= 0 && s->loaded_vms && s->loaded_vms[i]; i++) {
                _cleanup_(freep) char *rel = strjoin(GENERATOR_DIR "/" VM_UNIT_PREFIX, s->loaded_vms[i], VM_UNIT_SUFFIX);
                _cleanup_(freep) char *path = rel ? path_under_root(s->ctx->root, rel) : NULL;
                char *text = NULL;
                if (!path)
                        return log_oom();
                r = read_full_file(path, &text, NULL);
                if (r < 0)
                        return log_error_errno(r, "Failed to read %s: %m", path);
                if (strv_push(&s->loaded_texts, text) < 0)
                        return log_oom();
                UnitText *u = ARRAY_APPEND(s->loaded, s->n_loaded);
                if (!u)
                        return log_oom();
                *u = (UnitText) { .vm = s->loaded_vms[i], .running = unit_runs(bus, s->loaded_vms[i]) };
        }
        for (size_t i = 0; i < s->n_loaded; i++)
                s->loaded[i].text = s->loaded_texts[i];
        return r;
}

static int collect_reserved(ApplyState *s) {
        const Plan *p = &s->ctx->plan;
        for (size_t i = 0; i < p->n_pages; i++) {
                _cleanup_(freep) char *path =
                        hugepages_pool_path(s->ctx->root, s->ctx->inventory.has_nodes, p->pages[i].node, "nr_hugepages");
                NodeCount *n = ARRAY_APPEND(s->reserved, s->n_reserved);
                if (!path || !n)
                        return log_oom();
                n->node = p->pages[i].node;
                (void) hugepages_pool_read(path, &n->count);   /* unreadable: none */
        }
        return 0;
}

static int collect_blockers(ApplyState *s) {
        if (boot_devices_find(s->ctx->root, &s->boot, &s->boot_reasons) < 0)
                return log_oom();
        s->holders = calloc(MAX(s->diff.n_devices, (size_t) 1), sizeof(char **));
        if (!s->holders)
                return log_oom();
        for (size_t i = 0; i < s->diff.n_devices; i++)
                if (s->diff.devices[i].kind == DEVICE_CLAIM &&
                    pci_device_find_holders(s->ctx->root, s->ctx->inventory.devices[s->diff.devices[i].device].name,
                                            &s->holders[i]) < 0)
                        return log_oom();
        return 0;
}

static void collect_initramfs(ApplyState *s) {
        s->kver = initramfs_running_kernel(s->ctx->root);
        s->initramfs = s->kver ? initramfs_config_state(s->ctx->root, s->kver)
                               : INITRAMFS_CONFIG_UNRECORDED;
}

int apply_state_collect(const Context *ctx, sd_bus *bus, bool restart, ApplyState *ret) {
        ApplyState s = { .ctx = ctx, .restart = restart, .autostart = true };
        KernelSwitches sw;
        if (kernel_switches_read(ctx->root, /* in_initrd= */ false, &sw) >= 0)
                s.autostart = sw.autostart;
        int r = collect_desired(&s);
        if (r >= 0)
                r = collect_loaded(&s, bus);
        if (r >= 0)
                r = collect_reserved(&s);
        if (r >= 0 && plan_diff(&ctx->plan, s.reserved, s.n_reserved, s.desired, s.n_desired, s.loaded, s.n_loaded,
                                &s.diff) < 0)
                r = log_oom();
        if (r >= 0)
                r = collect_blockers(&s);
        collect_initramfs(&s);
        *ret = s;
        return r;
}

const char *apply_device_blocked(const ApplyState *s, size_t i) {
        const DeviceChange *c = &s->diff.devices[i];
        if (c->kind != DEVICE_CLAIM)
                return NULL;
        if (s->holders[i])
                return s->holders[i][0];
        const char *name = s->ctx->inventory.devices[c->device].name;
        for (size_t k = 0; s->boot && s->boot[k]; k++)
                if (streq(s->boot[k], name))
                        return s->boot_reasons[k];
        return NULL;
}

/* ---- print ---- */

static void print_pages(const PlanDiff *d, FILE *f) {
        for (size_t i = 0; i < d->n_pages; i++) {
                const PageChange *c = &d->pages[i];
                fprintf(f, "node %u: 1 GiB pages: %" PRIu64 " reserved, %" PRIu64 " planned: add %" PRIu64 "\n", c->node,
                        c->reserved, c->planned, c->planned - c->reserved);
        }
}

/* "for VM lab0", "for [Host] Passthrough=", "with 0000:41:00.0 (its IOMMU group)" */
static void print_claim_owner(const ApplyState *s, const Claim *c, FILE *f) {
        switch (c->reason) {
        case CLAIM_VM:
                fprintf(f, "for VM %s", context_claim_vm(s->ctx, c));
                break;
        case CLAIM_PASSTHROUGH:
                fputs("for [Host] Passthrough=", f);
                break;
        case CLAIM_SIBLING:
                fprintf(f, "with %s (its IOMMU group)", s->ctx->inventory.devices[c->sibling_of].name);
                break;
        }
}

static void print_devices(const ApplyState *s, FILE *f) {
        for (size_t i = 0; i < s->diff.n_devices; i++) {
                const DeviceChange *c = &s->diff.devices[i];
                const PciDevice *d = &s->ctx->inventory.devices[c->device];
                if (c->kind == DEVICE_RELEASED) {
                        fprintf(f, "%s: no longer named; stays on vfio-pci until reboot\n", d->name);
                        continue;
                }
                fprintf(f, "%s: claim ", d->name);
                print_claim_owner(s, c->claim, f);
                fprintf(f, ", from %s\n", d->driver ?: "no driver");
                for (size_t k = 0; s->holders[i] && s->holders[i][k]; k++)
                        fprintf(f, "%s: in use, left alone: %s\n", d->name, s->holders[i][k]);
                const char *why = s->holders[i] ? NULL : apply_device_blocked(s, i);
                if (why)
                        fprintf(f, "%s: left alone: %s\n", d->name, why);
        }
}

static const char *unit_consequence(const ApplyState *s, const UnitChange *c) {
        switch (c->kind) {
        case UNIT_NEW:
                return !c->autostart ? "" : s->autostart ? ", Autostart=yes: will start" :
                                                           ", Autostart=yes: will not start (nestvirt.autostart=0)";
        case UNIT_CHANGED:
                return !c->running ? "" : s->restart ? ", running: will restart (--restart)" :
                                                       ", running: keeps its old unit until restarted (apply --restart)";
        case UNIT_REMOVED:
                return c->running ? ", still running: will not be stopped (systemctl stop it)" : "";
        }
        return "";
}

static void print_units(const ApplyState *s, FILE *f) {
        for (size_t i = 0; i < s->diff.n_units; i++) {
                const UnitChange *c = &s->diff.units[i];
                fprintf(f, VM_UNIT_PREFIX "%s" VM_UNIT_SUFFIX ": %s%s\n", c->vm, unit_change_kind_to_string(c->kind),
                        unit_consequence(s, c));
        }
}

void apply_state_print(const ApplyState *s, FILE *f) {
        print_pages(&s->diff, f);
        print_devices(s, f);
        print_units(s, f);
        if (s->initramfs == INITRAMFS_CONFIG_DIFFERS)
                fprintf(f, "initramfs of %s: carries another configuration (--initramfs rebuilds it)\n", s->kver);
        if (plan_diff_is_empty(&s->diff) && s->initramfs != INITRAMFS_CONFIG_DIFFERS)
                fputs("Nothing to change.\n", f);
}
