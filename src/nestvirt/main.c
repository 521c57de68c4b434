/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "build-config.h"
#include "log-journal.h"
#include "log.h"
#include "options.h"
#include "util.h"
#include "verb-apply.h"
#include "verb-bind-vfio.h"
#include "verb-check.h"
#include "verb-cmdline.h"
#include "verb-config-digest.h"
#include "verb-config-files.h"
#include "verb-devices.h"
#include "verb-plan.h"
#include "verb-reserve-hugepages.h"
#include "verb-status.h"
#include "verb-vm.h"

typedef struct Verb {
        const char *name;
        int (*run)(const Options *o, int argc, char *argv[]);
        bool json;          /* accepts --json */
        bool arguments;     /* takes arguments after its name (checks them itself) */
        const char *usage;  /* what follows the common options in its usage line */
        const char *summary;
        const char *help;
} Verb;

static const Verb verbs[] = {
        { "check", verb_check, true, false, NULL, "Validate the configuration against this machine or an image root",
          "Checks syntax and meaning of every config file, plans against the devices and NUMA nodes under\n"
          "the root, and checks that the files the VMs name, the vfio modules of every kernel under\n"
          "ROOT/lib/modules, the generator and the units are there. Unknown keys are errors here.\n"
          "Exit status: 0 when no errors were found, 1 otherwise." },
        { "plan", verb_plan, true, false, NULL, "Show what the generator and the units will do",
          "Prints 1 GiB pages per node, each claimed device and the VM it goes to (with IOMMU group\n"
          "siblings), each VM's node and CPUs, the unsafe-interrupts decision, and the units that would\n"
          "be written. Exit status 1 when the plan has errors." },
        { "devices", verb_devices, true, false, NULL, "List PCI devices with ids, NUMA node, IOMMU group and driver",
          "Lists every PCI device: address, vendor:device, class, NUMA node, IOMMU group, bound driver\n"
          "and the name from the hardware database. Use the ids for Device= and Passthrough=." },
        { "cmdline", verb_cmdline, false, false, NULL, "Print the equivalent kernel command line parameters",
          "Prints hugepagesz=1G hugepages=NODE:COUNT,... (and the unsafe interrupts switch when\n"
          "the plan enables it) for admins who want boot-time reservation as well." },
        { "status", verb_status, true, false, NULL, "Check that pages, devices, interrupts and VMs are as planned",
          "Per node the 1 GiB pages planned, reserved and free; per claimed device the expected and\n"
          "actual driver and /dev/vfio/GROUP; unsafe interrupts wanted and actual; whether the\n"
          "initramfs saw the same config; each VM unit's state (asked of systemd over D-Bus).\n"
          "Exit status 0 only when everything holds." },
        { "config-digest", verb_config_digest, false, false, NULL, "Print the digest of the configuration",
          "The digest of the files' names and contents, in reading order: what the initramfs's run\n"
          "records in /run/nestvirt/initrd-record and status compares after switch-root." },
        { "config-files", verb_config_files, false, false, NULL, "List the configuration files a boot would read (for initramfs builders)",
          "One line per file, lowest precedence first: its path, a tab, where its links lead inside the\n"
          "root. Each is checked as the boot checks it (a regular file owned by root, not writable by group\n"
          "or others, nor are its directories). Exit status 1, with FILE: errors, when one is refused." },
        { "reserve-hugepages", verb_reserve_hugepages, false, false, NULL,
          "Reserve the planned 1 GiB pages (run by nestvirt-hugepages.service)",
          "Writes each node's count, reads it back and reports any shortfall with the numbers.\n"
          "Never shrinks a pool; run again, it tops up. Exit status 1 on a shortfall." },
        { "bind-vfio", verb_bind_vfio, false, false, " [--force]", "Bind the planned devices to vfio-pci (run by nestvirt-vfio.service)",
          "driver_override, unbind, load vfio-pci, probe, verify, for every planned device and the\n"
          "other endpoints of its IOMMU group; enables allow_unsafe_interrupts when planned. Refuses\n"
          "devices that carry a mounted file system, swap or the active console (--force binds them)." },
        { "apply", verb_apply, false, false, " [--dry-run] [--restart] [--initramfs]",
          "Make a changed configuration take effect without a reboot",
          "Plans against this machine and prints what differs: 1 GiB pages per node to add, devices to\n"
          "claim (and the driver they leave), VM units new, changed or removed. Then reloads systemd\n"
          "(the generator writes the units again), tops up the pages, binds the new devices to vfio-pci\n"
          "and starts the new VMs with Autostart=yes. A running VM is never stopped; --restart restarts\n"
          "the running VMs whose unit changed. A device a process holds open, or that carries a mounted\n"
          "file system or the console, is left alone; devices no longer named stay on vfio-pci until\n"
          "reboot. Says when the initramfs carries another configuration; --initramfs rebuilds it for\n"
          "the running kernel. --dry-run changes nothing (with --root: an image or a fixture).\n"
          "Exit status: 0 when everything took effect (--dry-run: when the config has no errors), 1 otherwise." },
        { "vm", verb_vm, true, true, " SUBCOMMAND [NAME] [--timeout SEC]",
          "List, inspect, attach to, reboot, prepare, wait for or stop VMs",
          "nestvirt vm list               every VM: unit state, main PID, uptime, vCPUs, memory, devices (--json)\n"
          "nestvirt vm info NAME          what Cloud Hypervisor says over the API socket (--json)\n"
          "nestvirt vm console NAME       attach the terminal to the serial socket (Serial=socket); Ctrl-] detaches\n"
          "nestvirt vm reboot NAME        reset the VM through the API; the unit keeps running\n"
          "nestvirt vm argv NAME          the exact Cloud Hypervisor command line, one argument per line\n"
          "nestvirt vm preflight NAME     check pages, devices, /dev/kvm, files and root= before a start\n"
          "nestvirt vm prepare NAME       remove a stale API socket, build the cloud-init seed\n"
          "nestvirt vm net-up NAME        Network=nat: IPv4 forwarding and the VM's masquerade rule\n"
          "nestvirt vm net-down NAME      Network=nat: remove the VM's masquerade rule\n"
          "nestvirt vm wait-running NAME  wait until the API reports the VM running (--timeout SEC)\n"
          "nestvirt vm stop NAME PID      press the ACPI power button, wait for PID to exit (--timeout SEC)" },
};

static void help(const Verb *v) {
        if (v) {
                printf("Usage: nestvirt %s [--root DIR] [--config FILE]%s%s\n\n%s.\n\n%s\n", v->name,
                       v->json ? " [--json]" : "", v->usage ?: "", v->summary, v->help ?: "");
                return;
        }
        printf("Usage: nestvirt COMMAND [OPTIONS]\n\n"
               "Nested virtualization with GPU passthrough, declared in " "/etc/nestvirt.conf.\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-18s %s\n", verbs[i].name, verbs[i].summary);
        printf("\nOptions:\n"
               "  --root DIR      Read config, /sys and /proc under DIR (an image, a test fixture)\n"
               "  --config FILE   Read only FILE instead of /etc/nestvirt.conf and its drop-ins\n"
               "  --json          Machine-readable output (check, plan, devices, status, vm list, vm info)\n"
               "  --force         bind-vfio: bind even devices the running system depends on\n"
               "  --timeout SEC   vm wait-running, stop, info, reboot: give up after SEC seconds\n"
               "  --dry-run       apply: print what would change, change nothing\n"
               "  --restart       apply: restart the running VMs whose unit changed\n"
               "  --initramfs     apply: rebuild the running kernel's initramfs when its config is stale\n"
               "  --allow-owner UID  Accept config owned by UID as if by root (unprivileged image CI)\n"
               "  -h --help       Show help; 'nestvirt COMMAND --help' for one command\n"
               "  --version       Show the version\n\n"
               "Exit status: 0 fine, 1 problems found or action failed, 2 usage error.\n");
}

static int parse_timeout(const char *s, unsigned *ret) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (end == s || *end || v == 0 || v > 86400) {
                fprintf(stderr, "nestvirt: --timeout wants whole seconds, 1 to 86400, not '%s'\n", s);
                return -EINVAL;
        }
        *ret = (unsigned) v;
        return 0;
}

/* The options, before or after the verb. Returns 1 to go on, 0 when done (--version), or
 * -EINVAL on a usage error (reported). getopt leaves the verb and its arguments at optind. */
static int parse_options(int argc, char *argv[], Options *o, bool *ret_help) {
        enum { ARG_ROOT = 0x100, ARG_CONFIG, ARG_JSON, ARG_VERSION, ARG_FORCE, ARG_TIMEOUT, ARG_ALLOW_OWNER,
               ARG_DRY_RUN, ARG_RESTART, ARG_INITRAMFS };
        static const struct option options[] = {
                { "root", required_argument, NULL, ARG_ROOT },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "json", no_argument, NULL, ARG_JSON },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "force", no_argument, NULL, ARG_FORCE },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "allow-owner", required_argument, NULL, ARG_ALLOW_OWNER },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "restart", no_argument, NULL, ARG_RESTART },
                { "initramfs", no_argument, NULL, ARG_INITRAMFS },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_ROOT:
                        o->root = optarg;
                        break;
                case ARG_CONFIG:
                        o->config = optarg;
                        break;
                case ARG_JSON:
                        o->json = true;
                        break;
                case 'h':
                        *ret_help = true;
                        break;
                case ARG_FORCE:
                        o->force = true;
                        break;
                case ARG_TIMEOUT:
                        if (parse_timeout(optarg, &o->timeout) < 0)
                                return -EINVAL;
                        break;
                case ARG_ALLOW_OWNER:
                        if (safe_atou(optarg, &o->allow_owner) < 0) {
                                fprintf(stderr, "nestvirt: --allow-owner wants a numeric uid, not '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_DRY_RUN:
                        o->dry_run = true;
                        break;
                case ARG_RESTART:
                        o->restart = true;
                        break;
                case ARG_INITRAMFS:
                        o->initramfs = true;
                        break;
                case ARG_VERSION:
                        printf("nestvirt %s\n", NESTVIRT_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        return 1;
}

/* The verb named at argv[optind], NULL when none is. Returns -EINVAL (reported) for an
 * unknown verb, or arguments to a verb that takes none. */
static int find_verb(int argc, char *argv[], const Verb **ret) {
        const Verb *verb = NULL;

        *ret = NULL;
        if (optind >= argc)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[optind], verbs[i].name))
                        verb = &verbs[i];
        if (!verb) {
                fprintf(stderr, "nestvirt: unknown command '%s'; see nestvirt --help\n", argv[optind]);
                return -EINVAL;
        }
        if (optind + 1 < argc && !verb->arguments) {
                fprintf(stderr, "nestvirt %s: unexpected argument '%s'\n", verb->name, argv[optind + 1]);
                return -EINVAL;
        }
        *ret = verb;
        return 0;
}

int main(int argc, char *argv[]) {
        Options o = {};
        const Verb *verb;
        bool want_help = false;
        int r;

        log_set_identifier("nestvirt");
        log_set_journal_writer(log_journal_write);
        log_setup(false);

        r = parse_options(argc, argv, &o, &want_help);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;
        if (find_verb(argc, argv, &verb) < 0)
                return EXIT_USAGE;
        if (want_help) {
                help(verb);
                return 0;
        }
        if (!verb) {
                help(NULL);
                return EXIT_USAGE;
        }
        if (o.json && !verb->json) {
                fprintf(stderr, "nestvirt %s: --json is not supported by this command\n", verb->name);
                return EXIT_USAGE;
        }
        if (o.root && streq(o.root, "/"))
                o.root = NULL;
        return verb->run(&o, argc - optind, argv + optind);
}
