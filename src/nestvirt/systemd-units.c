/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "macro.h"
#include "systemd-units.h"

#define SYSTEMD_SERVICE "org.freedesktop.systemd1"

void unit_state_query(sd_bus *bus, const char *unit, UnitState *st) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;

        *st = (UnitState) {};
        /* LoadUnit, not GetUnit: a unit that is loaded on demand (inactive) still has a state. */
        if (!bus || sd_bus_call_method(bus, SYSTEMD_SERVICE, "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "LoadUnit", NULL, &reply, "s", unit) < 0 ||
            sd_bus_message_read(reply, "o", &path) < 0)
                return;
        (void) sd_bus_get_property_string(bus, SYSTEMD_SERVICE, path, "org.freedesktop.systemd1.Unit",
                                          "LoadState", NULL, &st->load_state);
        (void) sd_bus_get_property_string(bus, SYSTEMD_SERVICE, path, "org.freedesktop.systemd1.Unit",
                                          "ActiveState", NULL, &st->active_state);
        (void) sd_bus_get_property_string(bus, SYSTEMD_SERVICE, path, "org.freedesktop.systemd1.Unit",
                                          "SubState", NULL, &st->sub_state);
        (void) sd_bus_get_property_trivial(bus, SYSTEMD_SERVICE, path, "org.freedesktop.systemd1.Unit",
                                           "ActiveEnterTimestamp", NULL, 't', &st->active_enter_usec);
        (void) sd_bus_get_property_trivial(bus, SYSTEMD_SERVICE, path, "org.freedesktop.systemd1.Service",
                                           "MainPID", NULL, 'u', &st->main_pid);
}

void unit_state_done(UnitState *s) {
        free(s->load_state);
        free(s->active_state);
        free(s->sub_state);
        *s = (UnitState) {};
}
