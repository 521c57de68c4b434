/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "systemd-manager.h"
#include "util.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

sd_bus *systemd_connect(void) {
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

int systemd_reload(sd_bus *bus) {
        /* A reload of a large system can take a while: the default 25 s is not enough. */
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "Reload");
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, 300 * UINT64_C(1000000), NULL, NULL);
}

int systemd_unit_state(sd_bus *bus, const char *unit, char **ret_active, uint32_t *ret_main_pid) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        *ret_active = NULL;
        *ret_main_pid = 0;
        int r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnit", NULL, &reply, "s", unit);
        if (r < 0) {
                *ret_active = strdup("inactive");   /* not loaded: nothing runs it */
                return *ret_active ? 0 : -ENOMEM;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, SD_DEST, path, "org.freedesktop.systemd1.Unit", "ActiveState", NULL,
                                       ret_active);
        if (r < 0)
                return r;
        (void) sd_bus_get_property_trivial(bus, SD_DEST, path, "org.freedesktop.systemd1.Service", "MainPID", NULL,
                                           'u', ret_main_pid);
        return 0;
}

typedef struct JobWait {
        const char *job;      /* the object path StartUnit returned */
        char *result;         /* set by on_job_removed */
} JobWait;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        (void) error;
        JobWait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 && w->job && streq(path, w->job) &&
            !w->result)
                w->result = strdup(result);
        return 0;
}

int systemd_unit_job(sd_bus *bus, const char *method, const char *unit, char **ret_result) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        JobWait w = {};
        *ret_result = NULL;

        /* Subscribe first: systemd sends job signals only to subscribers, and the job may end
         * before the call returns. */
        int r = sd_bus_match_signal(bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &w);
        if (r >= 0)
                r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, NULL);
        if (r >= 0)
                r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, method, NULL, &reply, "ss", unit, "replace");
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &w.job);
        while (r >= 0 && !w.result) {
                r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
        }
        if (r < 0) {
                free(w.result);
                return r;
        }
        *ret_result = w.result;
        return 0;
}
