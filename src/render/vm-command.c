/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>

#include "parse-values.h"
#include "unit-escape.h"
#include "vm-command.h"

/* PCI base class 0x03, "Display controller": such devices are named gpuN, the others devN. */
#define PCI_BASE_CLASS_DISPLAY 0x03

static uint64_t hash_string(uint64_t h, const char *s) {
        return fnv1a(h, s, strlen(s));
}

void vm_mac_address(const VmConfig *c, const char *root, char buf[static MAC_ADDRESS_STRING_MAX]) {
        if (c->mac.value) {
                snprintf(buf, MAC_ADDRESS_STRING_MAX, "%s", c->mac.value);
                return;
        }
        /* Stable per machine and VM. */
        _cleanup_(freep) char *path = path_under_root(root, "/etc/machine-id");
        _cleanup_(freep) char *id = NULL;
        if (path)
                (void) read_one_line_file(path, &id);
        uint64_t h = hash_string(FNV1A_INIT, strempty(id));
        h = hash_string(h, "/nestvirt/");
        h = hash_string(h, c->name);
        /* First octet: multicast bit (0x01) clear, locally administered bit (0x02) set. */
        snprintf(buf, MAC_ADDRESS_STRING_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned) ((h & 0xfc) | 0x02),
                 (unsigned) (h >> 8 & 0xff), (unsigned) (h >> 16 & 0xff), (unsigned) (h >> 24 & 0xff),
                 (unsigned) (h >> 32 & 0xff), (unsigned) (h >> 40 & 0xff));
}

/* The command line being built: what every appender reads, and the argv it grows. */
typedef struct Command {
        const Plan *plan;
        const VmPlan *vp;
        const VmConfig *c;
        const char *root;
        char **argv;
        StringBuffer value;   /* the value of the option being appended */
        size_t *disk_words;   /* the argv index of each Disk='s word, whose end is a reference */
} Command;

/* Appends OPTION and the value built so far, which starts empty again. */
static int push_option(Command *cmd, const char *option) {
        char *v = sb_steal(&cmd->value);
        if (!v)
                return -ENOMEM;
        int r = strv_extend(&cmd->argv, option);
        if (r < 0) {
                free(v);
                return r;
        }
        return strv_push(&cmd->argv, v);
}

static void append_quoted(StringBuffer *b, const char *s) {
        _cleanup_(freep) char *q = ch_quote_value(s);
        if (!q)
                b->oom = true;
        else
                sb_append(b, q);
}

static int append_hypervisor(Command *cmd) {
        return strv_extend(&cmd->argv, cmd->plan->config->host.hypervisor.value);
}

static int append_api_socket(Command *cmd) {
        _cleanup_(freep) char *socket = vm_api_socket_path(NULL, cmd->c->name);
        if (!socket)
                return -ENOMEM;
        sb_appendf(&cmd->value, "path=%s", socket);
        return push_option(cmd, "--api-socket");
}

/* affinity=[0@[0-7],1@[0-7]]: each vCPU may run on any CPU of the set (the node's, by default). */
static int append_affinity(StringBuffer *b, const VmPlan *vp) {
        _cleanup_(freep) char *cpus = cpu_set_format(&vp->cpus);
        if (!cpus)
                return -ENOMEM;
        sb_append(b, ",affinity=[");
        for (unsigned i = 0; i < vp->config->cpus; i++)
                sb_appendf(b, "%s%u@[%s]", i ? "," : "", i, cpus);
        sb_append_char(b, ']');
        return 0;
}

/* "4" or "4-7": vCPUs FIRST to FIRST + N - 1 (Cloud Hypervisor's integer lists take ranges). */
static void append_vcpu_range(StringBuffer *b, unsigned first, unsigned n) {
        if (n == 1)
                sb_appendf(b, "%u", first);
        else
                sb_appendf(b, "%u-%u", first, first + n - 1);
}

/* On several nodes: each node's vCPUs on that node's CPUs. */
static int append_node_affinity(StringBuffer *b, const VmPlan *vp) {
        if (cpu_set_count(&vp->nodes[0].host_cpus) == 0)
                return 0;   /* CPUAffinity=none (or no NUMA information): all or none are pinned */
        sb_append(b, ",affinity=[");
        for (size_t n = 0; n < vp->n_nodes; n++) {
                _cleanup_(freep) char *cpus = cpu_set_format(&vp->nodes[n].host_cpus);
                if (!cpus)
                        return -ENOMEM;
                for (unsigned i = 0; i < vp->nodes[n].cpus; i++)
                        sb_appendf(b, "%s%u@[%s]", n + i ? "," : "", vp->nodes[n].first_cpu + i, cpus);
        }
        sb_append_char(b, ']');
        return 0;
}

static int append_cpus(Command *cmd) {
        int r = 0;
        sb_appendf(&cmd->value, "boot=%u", cmd->c->cpus);
        if (vm_plan_spans_nodes(cmd->vp))
                r = append_node_affinity(&cmd->value, cmd->vp);
        else if (cpu_set_count(&cmd->vp->cpus) > 0)
                r = append_affinity(&cmd->value, cmd->vp);
        if (r < 0)
                return r;
        /* CPUOptions=, checked when read; boot= and affinity= stay nestvirt's. */
        if (cmd->c->cpu_options.value)
                sb_appendf(&cmd->value, ",%s", cmd->c->cpu_options.value);
        return push_option(cmd, "--cpus");
}

/* All guest memory comes from hugepage-backed zones (--memory-zone): one on the VM's node, or one
 * per node of a VM on several. */
static int append_memory(Command *cmd) {
        sb_append(&cmd->value, "size=0");
        return push_option(cmd, "--memory");
}

static int append_memory_zone(Command *cmd) {
        const VmPlan *vp = cmd->vp;
        for (size_t i = 0; i < MAX(vp->n_nodes, (size_t) 1); i++) {
                bool spans = vm_plan_spans_nodes(vp);
                sb_appendf(&cmd->value, "id=mem%zu,size=%" PRIu64 "G,hugepages=on,hugepage_size=1G", i,
                           spans ? vp->nodes[i].memory_gib : cmd->c->memory_gib);
                if (spans)
                        sb_appendf(&cmd->value, ",host_numa_node=%u", vp->nodes[i].node);
                else if (vp->numa_node >= 0)
                        sb_appendf(&cmd->value, ",host_numa_node=%d", vp->numa_node);
                if (cmd->c->shared_memory)
                        sb_append(&cmd->value, ",shared=on");
                int r = push_option(cmd, "--memory-zone");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* distances=[0@10,1@20]: the host's, between the guest nodes' host nodes; none when unknown. */
static void append_distances(Command *cmd, size_t from) {
        const VmPlan *vp = cmd->vp;
        const Inventory *inv = cmd->plan->inventory;
        for (size_t to = 0; to < vp->n_nodes; to++)
                if (inventory_node_distance(inv, vp->nodes[from].node, vp->nodes[to].node) < 0)
                        return;
        sb_append(&cmd->value, ",distances=[");
        for (size_t to = 0; to < vp->n_nodes; to++)
                sb_appendf(&cmd->value, "%s%zu@%d", to ? "," : "", to,
                           inventory_node_distance(inv, vp->nodes[from].node, vp->nodes[to].node));
        sb_append_char(&cmd->value, ']');
}

/* One guest NUMA node per host node: its vCPUs, zone and PCI segment (segment 0 on node 0, as
 * Cloud Hypervisor requires). */
static int append_numa(Command *cmd) {
        const VmPlan *vp = cmd->vp;
        if (!vm_plan_spans_nodes(vp))
                return 0;
        for (size_t i = 0; i < vp->n_nodes; i++) {
                sb_appendf(&cmd->value, "guest_numa_id=%zu,cpus=[", i);
                append_vcpu_range(&cmd->value, vp->nodes[i].first_cpu, vp->nodes[i].cpus);
                sb_append_char(&cmd->value, ']');
                append_distances(cmd, i);
                sb_appendf(&cmd->value, ",memory_zones=[mem%zu],pci_segments=[%zu]", i, i);
                int r = push_option(cmd, "--numa");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int append_platform(Command *cmd) {
        if (!vm_plan_spans_nodes(cmd->vp))
                return 0;
        sb_appendf(&cmd->value, "num_pci_segments=%zu", cmd->vp->n_nodes);
        return push_option(cmd, "--platform");
}

/* The 64-bit MMIO share of each segment whose BARs need more than an even split. */
static int append_pci_segments(Command *cmd) {
        const VmPlan *vp = cmd->vp;
        for (size_t i = 0; i < vp->n_nodes; i++) {
                if (vp->nodes[i].mmio64_weight <= 1)
                        continue;
                sb_appendf(&cmd->value, "pci_segment=%zu,mmio64_aperture_weight=%" PRIu64, i,
                           vp->nodes[i].mmio64_weight);
                int r = push_option(cmd, "--pci-segment");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* An option whose value is a setting taken as it is, when set. */
static int append_setting(Command *cmd, const char *option, const Setting *s) {
        if (!s->value)
                return 0;
        /* A value starting with '-' would be read as the next option: join it. */
        if (s->value[0] == '-') {
                _cleanup_(freep) char *joined = strjoin(option, "=", s->value);
                if (!joined)
                        return -ENOMEM;
                return strv_extend(&cmd->argv, joined);
        }
        sb_append(&cmd->value, s->value);
        return push_option(cmd, option);
}

static int append_kernel(Command *cmd) {
        return append_setting(cmd, "--kernel", &cmd->c->kernel);
}

static int append_firmware(Command *cmd) {
        return append_setting(cmd, "--firmware", &cmd->c->firmware);
}

static int append_initramfs(Command *cmd) {
        return append_setting(cmd, "--initramfs", &cmd->c->initramfs);
}

static int append_cmdline(Command *cmd) {
        return append_setting(cmd, "--cmdline", &cmd->c->cmdline);
}

void vm_disk_type_variable(size_t disk, char buf[static VM_DISK_TYPE_VARIABLE_MAX]) {
        snprintf(buf, VM_DISK_TYPE_VARIABLE_MAX, "NESTVIRT_DISK%zu_TYPE", disk);
}

/* image_type= comes last: the word's tail is the reference 'vm prepare' fills in at the start. */
static int append_disks(Command *cmd) {
        for (size_t i = 0; i < cmd->c->n_disks; i++) {
                const DiskConfig *d = &cmd->c->disks[i];
                char variable[VM_DISK_TYPE_VARIABLE_MAX];
                vm_disk_type_variable(i, variable);
                sb_append(&cmd->value, "path=");
                append_quoted(&cmd->value, d->path);
                if (d->readonly)
                        sb_append(&cmd->value, ",readonly=on");
                sb_appendf(&cmd->value, ",image_type=${%s}", variable);
                int r = push_option(cmd, "--disk");
                if (r < 0)
                        return r;
                cmd->disk_words[i] = strv_length(cmd->argv) - 1;
        }
        return 0;
}

/* Built by 'nestvirt vm prepare' in the runtime directory before each start. */
static int append_seed_disk(Command *cmd) {
        if (!cmd->c->cloud_init.value)
                return 0;
        _cleanup_(freep) char *seed = vm_seed_path(NULL, cmd->c->name);
        if (!seed)
                return -ENOMEM;
        sb_appendf(&cmd->value, "path=%s,readonly=on,image_type=raw", seed);
        return push_option(cmd, "--disk");
}

static bool is_display(const PciDevice *d) {
        return (d->class >> 16) == PCI_BASE_CLASS_DISPLAY;
}

static int append_devices(Command *cmd) {
        unsigned n_gpu = 0, n_dev = 0;
        for (size_t i = 0; i < cmd->vp->n_devices; i++) {
                const PciDevice *d = &cmd->plan->inventory->devices[cmd->vp->devices[i]];
                bool gpu = is_display(d);
                sb_appendf(&cmd->value, "path=/sys/bus/pci/devices/%s,id=%s%u", d->name, gpu ? "gpu" : "dev",
                           gpu ? n_gpu++ : n_dev++);
                if (vm_plan_spans_nodes(cmd->vp))
                        sb_appendf(&cmd->value, ",pci_segment=%u", cmd->vp->segments[i]);
                /* PeerToPeer=: one clique, so the guest driver enables P2P among them all. */
                if (cmd->c->peer_to_peer && d->vendor == PCI_VENDOR_ID_NVIDIA)
                        sb_append(&cmd->value, ",x_nv_gpudirect_clique=0");
                int r = push_option(cmd, "--device");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The host's end of the link (HostAddress=, or Network=nat's default) is set on the tap. */
static int append_net(Command *cmd) {
        const VmNetwork *n = &cmd->vp->net;
        if (!vm_has_tap(cmd->c))
                return 0;
        char mac[MAC_ADDRESS_STRING_MAX];
        vm_mac_address(cmd->c, cmd->root, mac);
        sb_appendf(&cmd->value, "tap=%s,mac=%s", n->tap, mac);
        if (n->has_subnet) {
                char ip[16], mask[16];
                net_format_ipv4(n->host, ip);
                net_format_ipv4(prefix_to_mask(n->prefix), mask);
                sb_appendf(&cmd->value, ",ip=%s,mask=%s", ip, mask);
        }
        return push_option(cmd, "--net");
}

static int append_serial(Command *cmd) {
        switch (cmd->c->serial) {
        case SERIAL_JOURNAL:
                sb_append(&cmd->value, "tty");
                break;
        case SERIAL_FILE:
                sb_appendf(&cmd->value, "file=" VM_LOG_DIR "/%s.serial.log", cmd->c->name);
                break;
        case SERIAL_OFF:
                sb_append(&cmd->value, "off");
                break;
        case SERIAL_SOCKET: {
                /* CH listens there; 'nestvirt vm console' connects, one client at a time. */
                _cleanup_(freep) char *socket = vm_serial_socket_path(NULL, cmd->c->name);
                if (!socket)
                        return -ENOMEM;
                sb_appendf(&cmd->value, "socket=%s", socket);
                break;
        }
        }
        return push_option(cmd, "--serial");
}

/* The serial port is the one console (see append_serial), except with Serial=socket: then the
 * virtio console writes to the unit's output, so that a guest booted with console=hvc0 still
 * logs its boot to the journal while nobody is attached to the socket. */
static int append_console(Command *cmd) {
        sb_append(&cmd->value, cmd->c->serial == SERIAL_SOCKET ? "tty" : "off");
        return push_option(cmd, "--console");
}

/* ExtraArguments=, split as the config check already accepted them, last. */
static int append_extra_arguments(Command *cmd) {
        if (!cmd->c->extra_arguments.value)
                return 0;
        _cleanup_(strv_freep) char **extra = NULL;
        const char *reason;
        int r = split_arguments(cmd->c->extra_arguments.value, &extra, &reason);
        if (r < 0)
                return r;
        for (size_t i = 0; extra[i]; i++)
                if ((r = strv_extend(&cmd->argv, extra[i])) < 0)
                        return r;
        return 0;
}

/* Appends one option (or none, when it does not apply) and its value. */
typedef int (*Appender)(Command *cmd);

/* In command-line order. */
static const Appender appenders[] = {
        append_hypervisor,
        append_api_socket,
        append_cpus,
        append_memory,
        append_memory_zone,
        append_numa,
        append_platform,
        append_pci_segments,
        append_kernel,
        append_firmware,
        append_initramfs,
        append_cmdline,
        append_disks,
        append_seed_disk,
        append_devices,
        append_net,
        append_serial,
        append_console,
        append_extra_arguments,
};

/* Every word is literal but the tail of each disk's, from its "${". */
static int literal_lengths(const Command *cmd, size_t **ret) {
        size_t n = strv_length(cmd->argv);
        size_t *literal = calloc(MAX(n, (size_t) 1), sizeof(size_t));
        if (!literal)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                literal[i] = strlen(cmd->argv[i]);
        for (size_t i = 0; i < cmd->c->n_disks; i++) {
                const char *w = cmd->argv[cmd->disk_words[i]];
                literal[cmd->disk_words[i]] = (size_t) (strrchr(w, '$') - w);
        }
        *ret = literal;
        return 0;
}

int vm_command_build_for_unit(const Plan *plan, size_t vm, const char *root, char ***ret, size_t **ret_literal) {
        Command cmd = {
                .plan = plan,
                .vp = &plan->vms[vm],
                .c = plan->vms[vm].config,
                .root = root,
        };
        int r = 0;

        cmd.disk_words = calloc(MAX(cmd.c->n_disks, (size_t) 1), sizeof(size_t));
        if (!cmd.disk_words)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(appenders) && r >= 0; i++)
                r = appenders[i](&cmd);
        sb_done(&cmd.value);   /* left over only when an appender failed */
        if (r >= 0 && ret_literal)
                r = literal_lengths(&cmd, ret_literal);
        free(cmd.disk_words);
        if (r < 0) {
                strv_free(cmd.argv);
                return r;
        }
        *ret = cmd.argv;
        return 0;
}

int vm_command_build(const Plan *plan, size_t vm, const char *root, char ***ret) {
        return vm_command_build_for_unit(plan, vm, root, ret, NULL);
}

int vm_command_resolve_disk_types(char **argv, const size_t *literal, const char *const *disk_types,
                                  size_t n_disk_types) {
        for (size_t i = 0; argv[i]; i++) {
                const char *reference = argv[i] + literal[i];
                size_t disk;
                if (!*reference || sscanf(reference, "${NESTVIRT_DISK%zu_TYPE}", &disk) != 1 || disk >= n_disk_types ||
                    !disk_types[disk])
                        continue;
                char *w = strndup(argv[i], literal[i]);
                char *resolved = w ? strjoin(w, disk_types[disk]) : NULL;
                free(w);
                if (!resolved)
                        return -ENOMEM;
                free(argv[i]);
                argv[i] = resolved;
        }
        return 0;
}
