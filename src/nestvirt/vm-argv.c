/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "log.h"
#include "util.h"
#include "vm-argv.h"
#include "vm-command.h"

/* Exactly what ExecStart= runs, one argument per line: no quoting to undo by eye. */
int vm_print_argv(const Plan *plan, size_t vm, const char *root) {
        _cleanup_(strv_freep) char **argv = NULL;
        int r = vm_command_build(plan, vm, root, &argv);
        if (r < 0)
                return log_error_errno(r, "Failed to build the command line of VM %s: %m", plan->vms[vm].config->name);
        for (char **a = argv; *a; a++)
                printf("%s\n", *a);
        return 0;
}
