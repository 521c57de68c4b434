/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where a VM's runtime files live: the unit names them on Cloud Hypervisor's command line,
 * the vm subcommands find them there. One place, so the two cannot drift apart. */

/* Each VM's runtime directory is VM_RUNTIME_DIR/NAME: a level of their own, so that no VM name
 * can coincide with a file of nestvirt's own in /run/nestvirt (the initramfs's record). */
#define VM_RUNTIME_DIRECTORY "nestvirt/vm"   /* as RuntimeDirectory= takes it, under /run */
#define VM_RUNTIME_DIR "/run/" VM_RUNTIME_DIRECTORY
/* The NoCloud seed (CloudInit=), built in the runtime directory at each start. */
#define VM_SEED_FILE "cidata.iso"

/* ROOT/run/nestvirt/vm/NAME, the unit's RuntimeDirectory=; with ROOT NULL the path on the
 * running system. NULL on OOM, for all three. */
char *vm_runtime_dir(const char *root, const char *name);
/* ROOT/run/nestvirt/vm/NAME/api.sock, Cloud Hypervisor's API socket. */
char *vm_api_socket_path(const char *root, const char *name);
/* ROOT/run/nestvirt/vm/NAME/serial.sock, the serial port with Serial=socket. */
char *vm_serial_socket_path(const char *root, const char *name);
/* ROOT/run/nestvirt/vm/NAME/cidata.iso, the NoCloud seed built by 'vm prepare'. */
char *vm_seed_path(const char *root, const char *name);
