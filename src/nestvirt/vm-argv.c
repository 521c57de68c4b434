/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "disk-image.h"
#include "log.h"
#include "util.h"
#include "vm-argv.h"
#include "vm-command.h"

/* What ExecStart= would run if the VM started now, one argument per line: no quoting to undo by
 * eye. The disks' image types are read from the images, as 'vm prepare' reads them at the start;
 * one that cannot be read keeps its ${NESTVIRT_DISK<i>_TYPE} and says why. */
int vm_print_argv(const Plan *plan, size_t vm, const char *root) {
        const VmConfig *c = plan->vms[vm].config;
        _cleanup_(strv_freep) char **argv = NULL;
        _cleanup_(freep) size_t *literal = NULL;
        _cleanup_(freep) const char **types = calloc(MAX(c->n_disks, (size_t) 1), sizeof(char *));
        if (!types)
                return log_oom();
        int r = vm_command_build_for_unit(plan, vm, root, &argv, &literal);
        if (r < 0)
                return log_error_errno(r, "Failed to build the command line of VM %s: %m", c->name);
        for (size_t i = 0; i < c->n_disks; i++) {
                _cleanup_(freep) char *real = path_under_root(root, c->disks[i].path);
                DiskImageType type;
                const char *format = NULL;
                r = real ? disk_image_type_read(real, &type, &format) : -ENOMEM;
                if (r < 0)
                        log_warning_errno(r, "Disk=%s cannot be read (%m): its image type is decided when the VM "
                                          "starts, and the start fails unless it can be read then", c->disks[i].path);
                else if (!(types[i] = disk_image_type_to_string(type)))
                        log_warning("Disk=%s is a %s image: the start refuses it (raw or qcow2 only)",
                                    c->disks[i].path, format);
        }
        r = vm_command_resolve_disk_types(argv, literal, types, c->n_disks);
        if (r < 0)
                return log_oom();
        for (char **a = argv; *a; a++)
                printf("%s\n", *a);
        return 0;
}
