/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util.h"
#include "vm-paths.h"

static char *runtime_file(const char *root, const char *name, const char *file) {
        _cleanup_(freep) char *p = strjoin(VM_RUNTIME_DIR "/", name, file);
        return p ? path_under_root(root, p) : NULL;
}

char *vm_runtime_dir(const char *root, const char *name) {
        return runtime_file(root, name, "");
}

char *vm_api_socket_path(const char *root, const char *name) {
        return runtime_file(root, name, "/api.sock");
}

char *vm_serial_socket_path(const char *root, const char *name) {
        return runtime_file(root, name, "/serial.sock");
}

char *vm_seed_path(const char *root, const char *name) {
        return runtime_file(root, name, "/" VM_SEED_FILE);
}
