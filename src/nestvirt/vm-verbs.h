/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* 'nestvirt vm SUBCOMMAND NAME': what nestvirt-vm@NAME.service runs around Cloud Hypervisor,
 * and what an admin runs to debug it. Each subcommand lives in its own file. */

#include <sys/types.h>

#include "nestvirt.h"

/* Seconds, from --timeout; 0 means the subcommand's default. */
extern unsigned arg_timeout;

/* ROOT/run/nestvirt/vm/NAME/api.sock (the unit's RuntimeDirectory); NULL on OOM. */
char *vm_api_socket_path(const char *root, const char *name);
/* ROOT/run/nestvirt/vm/NAME/cidata.iso, the NoCloud seed built by 'vm prepare'. */
char *vm_seed_path(const char *root, const char *name);

/* vm argv: the exact Cloud Hypervisor command line, one argument per line. */
int vm_print_argv(Context *ctx, size_t vm);
/* vm preflight: pages, devices, /dev/kvm, binary, files, root=. One line per failure;
 * returns -EUCLEAN when anything would keep the VM from starting. Reads only. */
int vm_preflight(Context *ctx, size_t vm);
/* vm prepare: removes a stale API socket and builds the cloud-init seed (CloudInit=). */
int vm_prepare(Context *ctx, size_t vm);
/* vm wait-running: polls GET /api/v1/vm.info until the VM is Running (the unit's readiness);
 * gives up at once when MAIN_PID (if > 0) exits. */
int vm_wait_running(const char *name, pid_t main_pid, unsigned timeout_sec);
/* vm stop: PUT /api/v1/vm.power-button, then waits for MAIN_PID to exit. Never loads the
 * config: a broken config must not keep a VM from shutting down cleanly. MAIN_PID 0: none
 * given ($MAINPID unset: the process exited already), nothing to do. */
int vm_stop(const char *name, pid_t main_pid, unsigned timeout_sec);
