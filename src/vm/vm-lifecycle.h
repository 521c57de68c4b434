/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Both talk to the API socket under ROOT (NULL: the running system) only. TIMEOUT_SEC 0 means
 * the subcommand's default. */

/* vm wait-running: polls GET /api/v1/vm.info until the VM is Running (the unit's readiness);
 * gives up at once when MAIN_PID (if > 0) exits. */
int vm_wait_running(const char *root, const char *name, pid_t main_pid, unsigned timeout_sec);
/* vm stop: PUT /api/v1/vm.power-button, then waits for MAIN_PID to exit. Never loads the
 * config: a broken config must not keep a VM from shutting down cleanly. MAIN_PID 0: none
 * given ($MAINPID unset: the process exited already), nothing to do. */
int vm_stop(const char *root, const char *name, pid_t main_pid, unsigned timeout_sec);
