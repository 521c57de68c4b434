/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Asking systemd about units over D-Bus (status, vm list). */

#include <stdint.h>
#include <systemd/sd-bus.h>

typedef struct UnitState {
        char *load_state, *active_state, *sub_state;   /* NULL: not known (no systemd to ask) */
        uint32_t main_pid;                             /* 0: none */
        uint64_t active_enter_usec;                    /* CLOCK_REALTIME of the last activation; 0: never */
} UnitState;

/* The system bus when there is one, else systemd's private socket (the initrd has no D-Bus).
 * NULL when neither answers. */
sd_bus *systemd_connect(void);
/* Fills what systemd says of UNIT; leaves unknown what it cannot get. BUS may be NULL. */
void systemd_unit_state(sd_bus *bus, const char *unit, UnitState *ret);
void unit_state_done(UnitState *s);
