/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stddef.h>
#include <strings.h>

#include "config-keys.h"
#include "cpu-options.h"
#include "parse-values.h"
#include "util.h"

#define PATH_REASON "must be an absolute path without . or .. components (like /var/lib/nestvirt/vm/root.raw)"

/* Reports the value (or one word of it) and returns -EINVAL, for the parser to return. */
static int bad_value(const Assignment *a, const char *value, const char *reason) {
        /* The design's own example has comments after values; say where they belong. */
        const char *hash = strstr(value, " #");
        diag_add(&a->config->diagnostics, DIAG_ERROR, a->where, a->vm ? a->vm->name : NULL, NULL, "%s=%s: %s%s",
                 a->key, value, reason, hash ? " (comments go on their own line, starting with #)" : "");
        return -EINVAL;
}

/* ---- strings: checked when not empty, stored with their line; empty unsets ---- */

static int set_setting(Setting *s, Location where, const char *value) {
        char *v = NULL;
        if (*value) {
                v = strdup(value);
                if (!v)
                        return -ENOMEM;
        }
        free(s->value);
        s->value = v;
        s->where = where;
        return 0;
}

/* Returns 0, or < 0 with *reason set (-ENOMEM: none). */
typedef int (*ValueCheck)(const char *value, const char **reason);

static int parse_setting(const Assignment *a, Setting *s, ValueCheck check) {
        const char *reason = NULL;
        if (*a->value) {
                int r = check(a->value, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return bad_value(a, a->value, reason);
        }
        return set_setting(s, a->where, a->value);
}

#define DEFINE_PARSE_SETTING(function, check)                                   \
        static int function(const Assignment *a, void *data, size_t *n) {      \
                return parse_setting(a, data, check);                           \
        }

static int check_path(const char *value, const char **reason) {
        *reason = PATH_REASON;
        return path_is_normalized_absolute(value) ? 0 : -EINVAL;
}

static int check_text(const char *value, const char **reason) {
        *reason = "contains control characters; remove them";
        return string_has_cc(value) ? -EINVAL : 0;
}

static int check_tap_name(const char *value, const char **reason) {
        *reason = "must be 1-15 characters of letters, digits, '-', '_' or '.' (a Linux interface name)";
        return tap_name_is_valid(value) ? 0 : -EINVAL;
}

/* Cloud Hypervisor refuses these twice; nestvirt writes them from the keys. */
static const char *repeated_option(char *const *words, const char **ret_key) {
        static const struct {
                const char *option, *key;
        } owned[] = {
                { "--api-socket", NULL },     { "--cpus", "CPUs= and CPUAffinity=" },
                { "--memory", "Memory=" },    { "--memory-zone", "Memory= and NUMANode=" },
                { "--kernel", "Kernel=" },    { "--firmware", "Firmware=" },
                { "--initramfs", "Initramfs=" }, { "--cmdline", "Cmdline=" },
                { "--serial", "Serial=" },    { "--console", NULL },
        };
        for (size_t i = 0; words[i]; i++)
                for (size_t j = 0; j < ELEMENTSOF(owned); j++) {
                        size_t n = strlen(owned[j].option);
                        if (strncmp(words[i], owned[j].option, n) == 0 && (!words[i][n] || words[i][n] == '=')) {
                                *ret_key = owned[j].key;
                                return owned[j].option;
                        }
                }
        return NULL;
}

static int check_extra_arguments(const char *value, const char **reason) {
        static char why[192];
        _cleanup_(strv_freep) char **words = NULL;
        const char *key;

        *reason = NULL;
        int r = split_arguments(value, &words, reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || string_has_cc(value)) {
                *reason = *reason ?: "contains control characters; remove them";
                return -EINVAL;
        }
        if (words[0] && words[0][0] != '-') {
                *reason = "must start with a Cloud Hypervisor option such as --rng; a bare word would be "
                          "taken as a stray argument";
                return -EINVAL;
        }
        const char *option = repeated_option(words, &key);
        if (!option)
                return 0;
        if (key)
                snprintf(why, sizeof why, "repeats %s, which nestvirt writes from %s; set it there", option, key);
        else
                snprintf(why, sizeof why, "repeats %s, which nestvirt manages; remove it", option);
        *reason = why;
        return -EINVAL;
}

DEFINE_PARSE_SETTING(parse_path, check_path)
DEFINE_PARSE_SETTING(parse_text, check_text)
DEFINE_PARSE_SETTING(parse_tap_name, check_tap_name)
DEFINE_PARSE_SETTING(parse_mac_address, parse_mac)
DEFINE_PARSE_SETTING(parse_host_address, parse_cidr)
DEFINE_PARSE_SETTING(parse_extra_arguments, check_extra_arguments)

/* Hypervisor=: empty means the default, and systemd must be able to run it. */
static int parse_executable(const Assignment *a, void *data, size_t *n) {
        const char *value = *a->value ? a->value : DEFAULT_HYPERVISOR;
        /* systemd refuses an executable path with quotes or backslashes in it. */
        if (strpbrk(value, "\"'\\"))
                return bad_value(a, value,
                                 "systemd cannot run a program whose path contains quotes or backslashes; "
                                 "install or link it under a plain path");
        if (!path_is_normalized_absolute(value))
                return bad_value(a, value, PATH_REASON);
        return set_setting(data, a->where, value);
}

/* ---- enumerations and numbers ---- */

static int enum_from_string(const char *const *names, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (streq(names[i], s))
                        return (int) i;
        return -EINVAL;
}

/* The names, indexed by the enum's values. */
#define DEFINE_PARSE_ENUM(function, type, hint, ...)                                          \
        static int function(const Assignment *a, void *data, size_t *n) {                    \
                static const char *const names[] = { __VA_ARGS__ };                           \
                int i = enum_from_string(names, ELEMENTSOF(names), a->value);                 \
                if (i < 0)                                                                     \
                        return bad_value(a, a->value, hint);                                  \
                *(type *) data = (type) i;                                                     \
                return 0;                                                                      \
        }

DEFINE_PARSE_ENUM(parse_network_name, NetworkMode, "must be none, tap or nat",
                  [NETWORK_NONE] = "none", [NETWORK_TAP] = "tap", [NETWORK_NAT] = "nat")
DEFINE_PARSE_ENUM(parse_serial, SerialMode, "must be journal, file, socket or off",
                  [SERIAL_JOURNAL] = "journal", [SERIAL_FILE] = "file", [SERIAL_OFF] = "off",
                  [SERIAL_SOCKET] = "socket")
DEFINE_PARSE_ENUM(parse_restart, RestartMode, "must be no, on-failure or always",
                  [RESTART_NO] = "no", [RESTART_ON_FAILURE] = "on-failure", [RESTART_ALWAYS] = "always")

static int parse_network(const Assignment *a, void *data, size_t *n) {
        if (!*a->value) {
                *(NetworkMode *) data = NETWORK_NONE;
                return 0;
        }
        return parse_network_name(a, data, n);
}

static int parse_bool(const Assignment *a, void *data, size_t *n) {
        int b = parse_boolean(a->value);
        if (b < 0)
                return bad_value(a, a->value, "must be yes or no");
        *(bool *) data = b;
        return 0;
}

static int parse_tristate_key(const Assignment *a, void *data, size_t *n) {
        if (parse_tristate(a->value, data) < 0)
                return bad_value(a, a->value, "must be auto, yes or no");
        return 0;
}

static int parse_page_count(const Assignment *a, void *data, size_t *n) {
        uint64_t v;
        if (safe_atou64(a->value, &v) < 0 || v > PAGES_MAX)
                return bad_value(a, a->value, "must be a count of 1 GiB pages up to 1048576 (1 PiB), e.g. 2");
        *(uint64_t *) data = v;
        return 0;
}

/* ---- keys that set several fields of their section: the value and the line that set it ---- */

static int parse_hugepages_key(const Assignment *a, void *data, size_t *n) {
        HostConfig *h = data;
        const char *reason = NULL;
        if (parse_hugepages(a->value, h, &reason) < 0)
                return bad_value(a, a->value, reason);
        h->hugepages_where = a->where;
        return 0;
}

static int parse_cpus(const Assignment *a, void *data, size_t *n) {
        VmConfig *vm = data;
        unsigned v;
        if (safe_atou(a->value, &v) < 0 || v == 0 || v > 1024)
                return bad_value(a, a->value, "must be a number of vCPUs from 1 to 1024");
        vm->cpus = v;
        vm->cpus_where = a->where;
        return 0;
}

static int parse_memory(const Assignment *a, void *data, size_t *n) {
        VmConfig *vm = data;
        const char *reason = NULL;
        uint64_t v;
        vm->memory_where = a->where;   /* even when invalid: "no Memory=" would mislead */
        if (parse_memory_gib(a->value, &v, &reason) < 0)
                return bad_value(a, a->value, reason);
        vm->memory_gib = v;
        return 0;
}

#define NUMA_NODE_MAX 1023
#define NUMA_NODE_REASON "must be auto or a node number such as 0, or a list of different nodes such as 0,1"

/* "0,1,3": each node once, ascending, in *ret (n_ret of them). */
static int parse_node_list(const char *value, unsigned **ret, size_t *n_ret) {
        _cleanup_(freep) char *copy = strdup(value);
        _cleanup_(freep) unsigned *nodes = NULL;
        size_t n = 0;
        if (!copy)
                return -ENOMEM;
        if (!*value || *value == ',' || value[strlen(value) - 1] == ',' || strstr(value, ",,"))
                return -EINVAL;
        char *save = NULL;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                unsigned v;
                if (safe_atou(strstrip(w), &v) < 0 || v > NUMA_NODE_MAX)
                        return -EINVAL;
                for (size_t i = 0; i < n; i++)
                        if (nodes[i] == v)
                                return -EINVAL;
                unsigned *x = ARRAY_APPEND(nodes, n);
                if (!x)
                        return -ENOMEM;
                *x = v;
                for (size_t i = n - 1; i > 0 && nodes[i - 1] > nodes[i]; i--) {
                        unsigned t = nodes[i - 1];
                        nodes[i - 1] = nodes[i];
                        nodes[i] = t;
                }
        }
        *ret = TAKE_PTR(nodes);
        *n_ret = n;
        return 0;
}

/* NUMANode=auto | N | N,M,... (a VM on several nodes: see plan-nodes.c) */
static int parse_numa_node(const Assignment *a, void *data, size_t *n) {
        VmConfig *vm = data;
        _cleanup_(freep) unsigned *nodes = NULL;
        size_t n_nodes = 0;

        vm->numa_where = a->where;
        free(vm->numa_nodes);
        vm->numa_nodes = NULL;
        vm->n_numa_nodes = 0;
        vm->numa_node = -1;
        if (streq(a->value, "auto"))
                return 0;
        int r = parse_node_list(a->value, &nodes, &n_nodes);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return bad_value(a, a->value, NUMA_NODE_REASON);
        if (n_nodes == 1)
                vm->numa_node = (int) nodes[0];
        else {
                vm->numa_nodes = TAKE_PTR(nodes);
                vm->n_numa_nodes = n_nodes;
        }
        return 0;
}

/* CPUOptions=: checked sub-options for --cpus; empty unsets. */
static int parse_cpu_options(const Assignment *a, void *data, size_t *n) {
        VmConfig *vm = data;
        char why[256];
        unsigned bits = 0;
        if (*a->value && cpu_options_check(a->value, &bits, why, sizeof why) < 0)
                return bad_value(a, a->value, why);
        vm->max_phys_bits = bits;
        return set_setting(&vm->cpu_options, a->where, a->value);
}

static int parse_cpu_affinity(const Assignment *a, void *data, size_t *n) {
        VmConfig *vm = data;
        vm->affinity_where = a->where;
        cpu_set_done(&vm->affinity);
        if (streq(a->value, "auto") || !*a->value)
                vm->affinity_mode = AFFINITY_AUTO;
        else if (streq(a->value, "none"))
                vm->affinity_mode = AFFINITY_NONE;
        else {
                int r = cpu_set_parse(a->value, &vm->affinity);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || cpu_set_count(&vm->affinity) == 0)
                        return bad_value(a, a->value, "must be auto, none, or a CPU list such as 0-7,16");
                vm->affinity_mode = AFFINITY_LIST;
        }
        return 0;
}

/* ---- lists: each assignment appends, an empty one resets ---- */

/* Device= and Passthrough=: whitespace-separated matches; a bad one is reported, the others kept. */
static int parse_device_matches(const Assignment *a, void *data, size_t *n) {
        DeviceMatch **list = data;
        if (!*a->value) {
                free(*list);
                *list = NULL;
                *n = 0;
                return 0;
        }
        _cleanup_(freep) char *copy = strdup(a->value);
        if (!copy)
                return -ENOMEM;
        int ret = 0;
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                DeviceMatch m;
                const char *reason;
                if (device_match_parse(w, a->vm != NULL, &m, &reason) < 0) {
                        ret = bad_value(a, w, reason);
                        continue;
                }
                m.where = a->where;
                DeviceMatch *x = ARRAY_APPEND(*list, *n);
                if (!x)
                        return -ENOMEM;
                *x = m;
        }
        return ret;
}

/* Disk=PATH[,readonly] */
static int parse_disk(const Assignment *a, void *data, size_t *n) {
        DiskConfig **disks = data;
        if (!*a->value) {
                for (size_t i = 0; i < *n; i++)
                        free((*disks)[i].path);
                free(*disks);
                *disks = NULL;
                *n = 0;
                return 0;
        }

        _cleanup_(freep) char *path = strdup(a->value);
        if (!path)
                return -ENOMEM;
        bool readonly = false;
        /* A final ",word" without a slash is an option, not part of the path. */
        char *comma = strrchr(path, ',');
        if (comma && !strchr(comma, '/')) {
                const char *option = strstrip(comma + 1);
                if (!streq(option, "readonly")) {
                        char why[128];
                        snprintf(why, sizeof why, "unknown disk option '%s'; the only option is readonly", option);
                        return bad_value(a, a->value, why);
                }
                readonly = true;
                *comma = 0;
                /* "PATH ,readonly": the blank belongs to neither (Cloud Hypervisor would trim it). */
                for (size_t l = strlen(path); l > 0 && (path[l - 1] == ' ' || path[l - 1] == '\t'); l--)
                        path[l - 1] = 0;
        }
        if (!path_is_normalized_absolute(path))
                return bad_value(a, a->value,
                                 "must be an absolute path to a raw or qcow2 image, optionally followed by ,readonly");
        DiskConfig *x = ARRAY_APPEND(*disks, *n);
        if (!x)
                return -ENOMEM;
        *x = (DiskConfig) { .path = TAKE_PTR(path), .readonly = readonly, .where = a->where };
        return 0;
}

/* ---- the table ---- */

/* A key whose value is one field of its section, a list with its count, or a key whose parser
 * sets several fields and gets the whole section. */
#define KEY(s, type, key, parser, field, ...) \
        { .section = s, .name = key, .parse = parser, .offset = offsetof(type, field), __VA_ARGS__ }
#define LIST_KEY(s, type, key, parser, field, n_field) \
        KEY(s, type, key, parser, field, .list = true, .n_offset = offsetof(type, n_field))
#define SETTER(s, key, parser) { .section = s, .name = key, .parse = parser }

#define HOST_KEY(...) KEY(CONFIG_SECTION_HOST, HostConfig, __VA_ARGS__)
#define HOST_LIST_KEY(...) LIST_KEY(CONFIG_SECTION_HOST, HostConfig, __VA_ARGS__)
#define HOST_SETTER(...) SETTER(CONFIG_SECTION_HOST, __VA_ARGS__)
#define VM_KEY(...) KEY(CONFIG_SECTION_VM, VmConfig, __VA_ARGS__)
#define VM_LIST_KEY(...) LIST_KEY(CONFIG_SECTION_VM, VmConfig, __VA_ARGS__)
#define VM_SETTER(...) SETTER(CONFIG_SECTION_VM, __VA_ARGS__)

const ConfigKey config_keys[] = {
        HOST_SETTER("Hugepages", parse_hugepages_key),
        HOST_KEY("HugepagesExtra", parse_page_count, hugepages_extra),
        HOST_KEY("UnsafeInterrupts", parse_tristate_key, unsafe_interrupts),
        HOST_LIST_KEY("Passthrough", parse_device_matches, passthrough, n_passthrough),
        HOST_KEY("Hypervisor", parse_executable, hypervisor),

        VM_SETTER("CPUs", parse_cpus),
        VM_SETTER("Memory", parse_memory),
        VM_LIST_KEY("Device", parse_device_matches, devices, n_devices),
        VM_SETTER("NUMANode", parse_numa_node),
        VM_SETTER("CPUAffinity", parse_cpu_affinity),
        VM_SETTER("CPUOptions", parse_cpu_options),
        VM_KEY("SharedMemory", parse_bool, shared_memory),
        VM_KEY("PeerToPeer", parse_bool, peer_to_peer),
        VM_KEY("Kernel", parse_path, kernel, .file = true),
        VM_KEY("Firmware", parse_path, firmware, .file = true),
        VM_KEY("Initramfs", parse_path, initramfs, .file = true),
        VM_KEY("Cmdline", parse_text, cmdline),
        VM_LIST_KEY("Disk", parse_disk, disks, n_disks),
        VM_KEY("CloudInit", parse_path, cloud_init),
        VM_KEY("Network", parse_network, network),
        VM_KEY("TapName", parse_tap_name, tap_name),
        VM_KEY("MAC", parse_mac_address, mac),
        VM_KEY("HostAddress", parse_host_address, host_address),
        VM_KEY("Serial", parse_serial, serial),
        VM_KEY("Autostart", parse_bool, autostart),
        VM_KEY("Restart", parse_restart, restart),
        VM_KEY("ExtraArguments", parse_extra_arguments, extra_arguments),
};
const size_t n_config_keys = ELEMENTSOF(config_keys);

const ConfigKey *config_key_find(ConfigSection section, const char *name) {
        FOREACH_CONFIG_KEY(k)
                if (k->section == section && streq(k->name, name))
                        return k;
        return NULL;
}

const char *config_key_suggest(ConfigSection section, const char *name) {
        const char *best = NULL;
        unsigned best_d = UINT_MAX;
        FOREACH_CONFIG_KEY(k) {
                if (k->section != section)
                        continue;
                unsigned d = levenshtein(k->name, name);
                if (d < best_d) {
                        best_d = d;
                        best = k->name;
                }
        }
        return best_d <= 3 ? best : NULL;
}

static void report_unknown_key(Config *c, const VmConfig *vm, Location where, const char *key, bool strict) {
        const char *name = vm ? vm->name : NULL;
        const char *other = config_key_suggest(vm ? CONFIG_SECTION_HOST : CONFIG_SECTION_VM, key);
        const char *near = config_key_suggest(vm ? CONFIG_SECTION_VM : CONFIG_SECTION_HOST, key);
        if (other && (!near || !streq(other, key)) && strcasecmp(other, key) == 0)
                near = NULL;
        char section[8 + VM_NAME_MAX];
        snprintf(section, sizeof section, "%s%s", name ? "VM " : "Host", strempty(name));
        DiagLevel level = strict ? DIAG_ERROR : DIAG_WARNING;
        const char *ignored = strict ? "" : ", ignored";
        if (near)
                diag_add(&c->diagnostics, level, where, name, NULL, "unknown key %s= in [%s]%s; did you mean %s=?",
                         key, section, ignored, near);
        else if (other)
                diag_add(&c->diagnostics, level, where, name, NULL, "%s= belongs in [%s], not [%s]%s", other,
                         name ? "Host" : "VM NAME", section, ignored);
        else
                diag_add(&c->diagnostics, level, where, name, NULL,
                         "unknown key %s= in [%s]%s; see nestvirt.conf(5) for the keys", key, section, ignored);
}

/* The longest value a key can have and still reach Cloud Hypervisor and the guest whole: the
 * guest kernel's command line (COMMAND_LINE_SIZE, 2048 on x86, with its NUL), execve()'s limit
 * on one argument (MAX_ARG_STRLEN, 32 pages: 128 KiB with the NUL), and a path (PATH_MAX). */
static size_t value_length_max(const char *key, const char **ret_limit) {
        static const char *const paths[] = { "Kernel", "Firmware", "Initramfs", "Disk", "CloudInit", "Hypervisor" };
        if (streq(key, "Cmdline")) {
                *ret_limit = "the guest kernel's command line limit (COMMAND_LINE_SIZE, 2048 bytes on x86)";
                return 2047;
        }
        for (size_t i = 0; i < ELEMENTSOF(paths); i++)
                if (streq(key, paths[i])) {
                        *ret_limit = "PATH_MAX (4096 bytes)";
                        return 4095 + (streq(key, "Disk") ? strlen(",readonly") : 0);
                }
        *ret_limit = "execve()'s limit for one argument (MAX_ARG_STRLEN, 128 KiB)";
        return 128 * 1024 - 1;
}

int config_key_apply(Config *c, VmConfig *vm, Location where, const char *key, const char *value, bool strict) {
        const ConfigKey *k = config_key_find(vm ? CONFIG_SECTION_VM : CONFIG_SECTION_HOST, key);
        if (!k) {
                report_unknown_key(c, vm, where, key, strict);
                return 0;
        }
        const char *limit;
        size_t max = value_length_max(key, &limit), length = strlen(value);
        if (length > max) {
                diag_add(&c->diagnostics, DIAG_ERROR, where, vm ? vm->name : NULL, NULL,
                         "%s= is %zu bytes long, over %s: %zu bytes at most", key, length, limit, max);
                if (vm)
                        vm->invalid = true;
                return 0;
        }

        char *section = vm ? (char *) vm : (char *) &c->host;
        const Assignment a = { .config = c, .vm = vm, .where = where, .key = key, .value = value };
        int r = k->parse(&a, section + k->offset, k->list ? (size_t *) (section + k->n_offset) : NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0 && vm)
                vm->invalid = true;   /* reported already; this VM gets no unit */
        return 0;
}

bool vm_file_next(const VmConfig *vm, VmFile *f) {
        for (; f->next < n_config_keys; f->next++) {
                const ConfigKey *k = &config_keys[f->next];
                if (k->section == CONFIG_SECTION_VM && k->file) {
                        f->key = k->name;
                        f->setting = (const Setting *) ((const char *) vm + k->offset);
                        f->next++;
                        return true;
                }
        }
        return false;
}
