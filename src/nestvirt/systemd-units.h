/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asking systemd about units over D-Bus (status, vm list). */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "systemd-manager.h"   /* systemd_connect() */

typedef struct UnitState {
        char *load_state, *active_state, *sub_state;   /* NULL: not known (no systemd to ask) */
        uint32_t main_pid;                             /* 0: none */
        uint64_t active_enter_usec;                    /* CLOCK_REALTIME of the last activation; 0: never */
} UnitState;

/* Fills what systemd says of UNIT; leaves unknown what it cannot get. BUS may be NULL. */
void unit_state_query(sd_bus *bus, const char *unit, UnitState *ret);
void unit_state_done(UnitState *s);
