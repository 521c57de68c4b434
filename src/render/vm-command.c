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
        sb_appendf(&cmd->value, "path=" VM_RUNTIME_DIR "/%s/" VM_API_SOCKET, cmd->c->name);
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

static int append_cpus(Command *cmd) {
        sb_appendf(&cmd->value, "boot=%u", cmd->c->cpus);
        if (cpu_set_count(&cmd->vp->cpus) > 0) {
                int r = append_affinity(&cmd->value, cmd->vp);
                if (r < 0)
                        return r;
        }
        return push_option(cmd, "--cpus");
}

/* All guest memory comes from one hugepage-backed zone (--memory-zone) on the VM's node. */
static int append_memory(Command *cmd) {
        sb_append(&cmd->value, "size=0");
        return push_option(cmd, "--memory");
}

static int append_memory_zone(Command *cmd) {
        sb_appendf(&cmd->value, "id=mem0,size=%" PRIu64 "G,hugepages=on,hugepage_size=1G", cmd->c->memory_gib);
        if (cmd->vp->numa_node >= 0)
                sb_appendf(&cmd->value, ",host_numa_node=%d", cmd->vp->numa_node);
        return push_option(cmd, "--memory-zone");
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
        sb_appendf(&cmd->value, "path=" VM_RUNTIME_DIR "/%s/" VM_SEED_FILE ",readonly=on,image_type=raw",
                   cmd->c->name);
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
                int r = push_option(cmd, "--device");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int append_net(Command *cmd) {
        if (cmd->c->network != NETWORK_TAP)
                return 0;
        _cleanup_(freep) char *tap = vm_tap_name(cmd->c);
        char mac[MAC_ADDRESS_STRING_MAX];
        if (!tap)
                return -ENOMEM;
        vm_mac_address(cmd->c, cmd->root, mac);
        sb_appendf(&cmd->value, "tap=%s,mac=%s", tap, mac);
        if (cmd->c->host_address.value) {
                char ip[64], mask[64];
                if (cidr_to_ip_mask(cmd->c->host_address.value, ip, mask) >= 0)
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
        }
        return push_option(cmd, "--serial");
}

/* The serial port is the one console (see append_serial). */
static int append_console(Command *cmd) {
        sb_append(&cmd->value, "off");
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
