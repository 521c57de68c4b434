/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* systemd's manager over D-Bus: the system bus when there is one, else systemd's private
 * socket (the initrd and the lab's root have no D-Bus daemon). */

#include <systemd/sd-bus.h>

#include "macro.h"

/* NULL when systemd cannot be reached. */
sd_bus *systemd_connect(void);
/* daemon-reload: reruns the generators and reloads every unit; returns when it is done. */
int systemd_reload(sd_bus *bus);
/* UNIT's ActiveState ("active", "inactive" ...) and MainPID; "inactive" and 0 for a unit
 * systemd has not loaded. Returns -errno (logs nothing). */
int systemd_unit_state(sd_bus *bus, const char *unit, char **ret_active, uint32_t *ret_main_pid);
/* METHOD ("StartUnit", "RestartUnit") on UNIT in "replace" mode, then waits for the job to
 * finish: *RET_RESULT is its result ("done", "failed", "dependency" ...). Returns -errno. */
int systemd_unit_job(sd_bus *bus, const char *method, const char *unit, char **ret_result);
