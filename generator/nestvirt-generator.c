/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nestvirt-generator: decides, at every boot, what the units do (DESIGN.md "Parts").
 * It reads the config and sysfs, never writes sysfs, and never fails the boot: config
 * problems are logged and skipped, only internal failures return non-zero. */

#include "build-config.h"
#include "config.h"
#include "generator-output.h"
#include "inventory.h"
#include "log.h"
#include "plan.h"
#include "proc-cmdline.h"
#include "util.h"
#include "vm-unit.h"

static const char *arg_dest = NULL;
static const char *arg_root = NULL;
static bool arg_in_initrd = false;

static void log_diagnostics(const Diagnostics *d) {
        for (size_t i = 0; i < d->n; i++) {
                const Diagnostic *x = &d->items[i];
                _cleanup_(freep) char *s = diag_format(x, /* with_level= */ false);
                int level = x->level == DIAG_ERROR ? LOG_ERR : x->level == DIAG_WARNING ? LOG_WARNING : LOG_DEBUG;
                if (!s) {
                        log_oom();
                        continue;
                }
                log_full_errno(level, 0, "%s", s);
        }
}


static int pull_in_static(const char *unit) {
        _cleanup_(freep) char *target = strjoin(NESTVIRT_UNITDIR "/", unit);
        if (!target)
                return log_oom();
        return generator_add_wants(arg_dest, "sysinit.target", unit, target);
}

static int write_vms(const Plan *plan, bool autostart) {
        bool any = false;
        int ret = 0;

        for (size_t v = 0; v < plan->n_vms; v++) {
                const VmPlan *vp = &plan->vms[v];
                if (!vp->valid) {
                        log_error("[VM %s] has errors (see above); no unit written for it, the other VMs are not "
                                  "affected", vp->config->name);
                        continue;
                }
                _cleanup_(freep) char *name = vm_unit_name(vp->config->name);
                _cleanup_(freep) char *text = NULL;
                if (!name)
                        return log_oom();
                int r = vm_unit_render(plan, v, arg_root, &text);
                if (r < 0)
                        return log_error_errno(r, "Failed to generate %s: %m", name);
                r = generator_write_file(arg_dest, name, text);
                if (r < 0) {
                        ret = r;   /* logged; go on with the next VM */
                        continue;
                }
                if (!autostart || !vp->config->autostart)
                        continue;
                _cleanup_(freep) char *target = strjoin("../", name);
                if (!target)
                        return log_oom();
                r = generator_add_wants(arg_dest, VMS_TARGET, name, target);
                if (r < 0) {
                        ret = r;
                        continue;
                }
                any = true;
        }

        if (any) {
                int r = generator_add_wants(arg_dest, "multi-user.target", VMS_TARGET, NESTVIRT_UNITDIR "/" VMS_TARGET);
                if (r < 0)
                        ret = r;
        }
        return ret;
}

static int run(void) {
        KernelSwitches sw;
        int r;

        arg_in_initrd = detect_initrd(arg_root);
        r = kernel_switches_read(arg_root, arg_in_initrd, &sw);
        if (r < 0)
                return log_error_errno(r, "Failed to read the kernel command line: %m");
        if (!sw.enabled) {
                log_info("Disabled on the kernel command line (%snestvirt=0); nothing to do.",
                         arg_in_initrd ? "rd." : "");
                return 0;
        }

        _cleanup_(config_done) Config config = {};
        ConfigLoadOptions o = { .root = arg_root, .check_ownership = true };
        r = config_load(&o, &config);
        if (r < 0)
                return log_error_errno(r, "Failed to load the configuration: %m");
        log_diagnostics(&config.diagnostics);

        _cleanup_(inventory_done) Inventory inv = {};
        r = inventory_load(arg_root, 0, &inv);
        if (r < 0)
                return log_error_errno(r, "Failed to read the host's devices and NUMA nodes: %m");

        _cleanup_(plan_done) Plan plan = {};
        r = plan_build(&config, &inv, &plan);
        if (r < 0)
                return log_error_errno(r, "Failed to plan: %m");
        log_diagnostics(&plan.diagnostics);

        int ret = 0;
        if (plan_wants_hugepages(&plan) && (r = pull_in_static(HUGEPAGES_SERVICE)) < 0)
                ret = r;
        if (plan_wants_vfio(&plan) && (r = pull_in_static(VFIO_SERVICE)) < 0)
                ret = r;

        /* VMs run in the real root only; the initrd just prepares pages and devices. */
        if (!arg_in_initrd && (r = write_vms(&plan, sw.autostart)) < 0)
                ret = r;
        return ret;
}

int main(int argc, char *argv[]) {
        log_set_identifier("nestvirt-generator");
        /* Under PID 1 journald is not running yet: log to the kernel log. */
        log_setup(getppid() == 1 || getenv("SYSTEMD_SCOPE"));

        if (argc != 2 && argc != 4) {
                log_error("Usage: %s NORMAL_DIR [EARLY_DIR LATE_DIR]", argv[0]);
                return 1;
        }
        arg_dest = argv[1];
        arg_root = getenv("NESTVIRT_ROOT");

        return run() < 0 ? 1 : 0;
}
