/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Milliseconds on the monotonic clock: deadlines that a changed wall clock cannot move. */
int64_t now_ms(void);
/* Sleeps MS milliseconds (a signal may cut it short: callers re-check their deadline). */
void sleep_ms(int64_t ms);
