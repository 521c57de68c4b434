/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 'nestvirt vm list': the configuration's VMs and what systemd says of their units. Under
 * --root there is no system to ask (the units there do not run here): configuration only. */

#include <inttypes.h>
#include <time.h>

#include "context.h"
#include "log.h"
#include "systemd-units.h"
#include "util.h"
#include "verb-vm-list.h"
#include "vm-unit.h"

#define USEC_PER_SEC UINT64_C(1000000)

/* Seconds since the unit became active; -1 when it is not active or nobody said when. */
static int64_t uptime_sec(const UnitState *st) {
        struct timespec ts;
        if (!streq_ptr(st->active_state, "active") || st->active_enter_usec == 0 ||
            clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return -1;
        uint64_t now = (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
        return now > st->active_enter_usec ? (int64_t) ((now - st->active_enter_usec) / USEC_PER_SEC) : 0;
}

/* "2d 3h", "3h 12min", "12min 5s", "5s": the two largest units, as systemctl does. */
static void format_uptime(int64_t sec, char buf[static 32]) {
        if (sec < 0)
                snprintf(buf, 32, "-");
        else if (sec >= 86400)
                snprintf(buf, 32, "%" PRIi64 "d %" PRIi64 "h", sec / 86400, sec % 86400 / 3600);
        else if (sec >= 3600)
                snprintf(buf, 32, "%" PRIi64 "h %" PRIi64 "min", sec / 3600, sec % 3600 / 60);
        else if (sec >= 60)
                snprintf(buf, 32, "%" PRIi64 "min %" PRIi64 "s", sec / 60, sec % 60);
        else
                snprintf(buf, 32, "%" PRIi64 "s", sec);
}

/* "4G@node0"; "4G" when the host has no NUMA information. */
static void format_memory(const VmPlan *vp, char buf[static 48]) {
        if (vp->numa_node >= 0)
                snprintf(buf, 48, "%" PRIu64 "G@node%d", vp->config->memory_gib, vp->numa_node);
        else
                snprintf(buf, 48, "%" PRIu64 "G", vp->config->memory_gib);
}

static const char *device_name(const Context *ctx, const VmPlan *vp, size_t i) {
        return ctx->inventory.devices[vp->devices[i]].name;
}

static void print_header(void) {
        printf("%-20s %-18s %8s %-12s %4s %-14s %-9s %s\n", "VM", "STATE", "PID", "UPTIME", "CPUS", "MEMORY",
               "AUTOSTART", "DEVICES");
}

static void print_row(const Context *ctx, const VmPlan *vp, const UnitState *st) {
        char state[64], pid[16], uptime[32], memory[48];

        if (!vp->valid)
                snprintf(state, sizeof state, "invalid");
        else if (st->active_state)
                snprintf(state, sizeof state, "%s/%s", st->active_state, st->sub_state ?: "?");
        else
                snprintf(state, sizeof state, "-");
        snprintf(pid, sizeof pid, st->main_pid ? "%" PRIu32 : "-", st->main_pid);
        format_uptime(uptime_sec(st), uptime);
        format_memory(vp, memory);
        printf("%-20s %-18s %8s %-12s %4u %-14s %-9s ", vp->config->name, state, pid, uptime, vp->config->cpus,
               memory, vp->config->autostart ? "yes" : "no");
        for (size_t i = 0; i < vp->n_devices; i++)
                printf("%s%s", i ? "," : "", device_name(ctx, vp, i));
        printf("%s\n", vp->n_devices ? "" : "-");
}

static void json_row(JsonWriter *w, const Context *ctx, const VmPlan *vp, const UnitState *st) {
        json_begin_object(w);
        json_field_string(w, "name", vp->config->name);
        json_field_bool(w, "valid", vp->valid);
        json_field_string(w, "load_state", st->load_state);
        json_field_string(w, "active_state", st->active_state);
        json_field_string(w, "sub_state", st->sub_state);
        json_key(w, "main_pid");
        st->main_pid ? json_uint(w, st->main_pid) : json_null(w);
        int64_t up = uptime_sec(st);
        json_key(w, "uptime_sec");
        up >= 0 ? json_int(w, up) : json_null(w);
        json_field_uint(w, "vcpus", vp->config->cpus);
        json_key(w, "memory");
        json_begin_array(w);
        json_begin_object(w);
        json_key(w, "node");
        vp->numa_node >= 0 ? json_int(w, vp->numa_node) : json_null(w);
        json_field_uint(w, "gib", vp->config->memory_gib);
        json_end_object(w);
        json_end_array(w);
        json_key(w, "devices");
        json_begin_array(w);
        for (size_t i = 0; i < vp->n_devices; i++)
                json_string(w, device_name(ctx, vp, i));
        json_end_array(w);
        json_field_bool(w, "autostart", vp->config->autostart);
        json_field_string(w, "serial", serial_mode_to_string(vp->config->serial));
        json_end_object(w);
}

int vm_list(const Options *o) {
        _cleanup_(context_done) Context ctx = {};
        if (context_load(&ctx, o, /* strict= */ false) < 0)
                return EXIT_PROBLEMS;

        sd_bus *bus = o->root ? NULL : systemd_connect();
        if (!o->root && !bus)
                log_warning("Cannot reach systemd over D-Bus: listing the configuration without the units' state.");
        JsonWriter w = { .f = stdout };
        if (o->json)
                json_begin_array(&w);
        else
                print_header();
        for (size_t v = 0; v < ctx.plan.n_vms; v++) {
                const VmPlan *vp = &ctx.plan.vms[v];
                _cleanup_(unit_state_done) UnitState st = {};
                _cleanup_(freep) char *unit = vm_unit_name(vp->config->name);
                if (!unit)
                        return log_oom(), EXIT_PROBLEMS;
                unit_state_query(bus, unit, &st);
                if (o->json)
                        json_row(&w, &ctx, vp, &st);
                else
                        print_row(&ctx, vp, &st);
        }
        if (o->json) {
                json_end_array(&w);
                json_finish(&w);
        }
        sd_bus_flush_close_unref(bus);
        return 0;
}
