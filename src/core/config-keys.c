/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <limits.h>

#include "config-keys.h"
#include "parse-values.h"
#include "util.h"

const char *const host_keys[] = {
        "Hugepages", "HugepagesExtra", "UnsafeInterrupts", "Passthrough", "Hypervisor", NULL,
};

const char *const vm_keys[] = {
        "CPUs", "Memory", "Device", "NUMANode", "CPUAffinity", "Kernel", "Firmware", "Initramfs",
        "Cmdline", "Disk", "CloudInit", "Network", "TapName", "MAC", "HostAddress", "Serial",
        "Autostart", "Restart", "ExtraArguments", NULL,
};

const char *suggest_key(const char *const *keys, const char *key) {
        const char *best = NULL;
        unsigned best_d = UINT_MAX;
        for (size_t i = 0; keys[i]; i++) {
                unsigned d = levenshtein(keys[i], key);
                if (d < best_d) {
                        best_d = d;
                        best = keys[i];
                }
        }
        return best_d <= 3 ? best : NULL;
}

static void bad_value(Config *c, const VmConfig *vm, Location where, const char *key, const char *value,
                      const char *reason) {
        /* The design's own example has comments after values; say where they belong. */
        const char *hash = strstr(value, " #");
        diag_add(&c->diagnostics, DIAG_ERROR, where, vm ? vm->name : NULL, NULL, "%s=%s: %s%s", key, value,
                 reason, hash ? " (comments go on their own line, starting with #)" : "");
}

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

static int set_path(Config *c, VmConfig *vm, Setting *s, Location where, const char *key, const char *value) {
        if (*value && !path_is_normalized_absolute(value)) {
                bad_value(c, vm, where, key, value,
                          "must be an absolute path without . or .. components (like /var/lib/nestvirt/vm/root.raw)");
                return -EINVAL;
        }
        return set_setting(s, where, value);
}

/* Device= and Passthrough=: whitespace-separated matches; an empty value resets the list. */
static int apply_matches(Config *c, VmConfig *vm, Location where, const char *key, const char *value,
                         DeviceMatch **list, size_t *n) {
        if (!*value) {
                free(*list);
                *list = NULL;
                *n = 0;
                return 0;
        }
        _cleanup_(freep) char *copy = strdup(value);
        if (!copy)
                return -ENOMEM;
        int ret = 0;
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                DeviceMatch m;
                const char *reason;
                if (device_match_parse(w, vm != NULL, &m, &reason) < 0) {
                        bad_value(c, vm, where, key, w, reason);
                        ret = -EINVAL;
                        continue;
                }
                m.where = where;
                DeviceMatch *x = realloc(*list, sizeof(DeviceMatch) * (*n + 1));
                if (!x)
                        return -ENOMEM;
                *list = x;
                x[(*n)++] = m;
        }
        return ret;
}

int host_apply_key(Config *c, Location where, const char *key, const char *value) {
        HostConfig *h = &c->host;
        const char *reason = NULL;

        if (streq(key, "Hugepages")) {
                if (parse_hugepages(value, h, &reason) < 0)
                        bad_value(c, NULL, where, key, value, reason);
                else
                        h->hugepages_where = where;
        } else if (streq(key, "HugepagesExtra")) {
                uint64_t v;
                if (safe_atou64(value, &v) < 0 || v > 1u << 20)
                        bad_value(c, NULL, where, key, value, "must be a count of 1 GiB pages, e.g. 2");
                else
                        h->hugepages_extra = v;
        } else if (streq(key, "UnsafeInterrupts")) {
                if (parse_tristate(value, &h->unsafe_interrupts) < 0)
                        bad_value(c, NULL, where, key, value, "must be auto, yes or no");
        } else if (streq(key, "Passthrough")) {
                int r = apply_matches(c, NULL, where, key, value, &h->passthrough, &h->n_passthrough);
                if (r == -ENOMEM)
                        return r;
        } else if (streq(key, "Hypervisor")) {
                if (!*value)
                        value = DEFAULT_HYPERVISOR;
                /* systemd refuses an executable path with quotes or backslashes in it. */
                if (strpbrk(value, "\"'\\")) {
                        bad_value(c, NULL, where, key, value,
                                  "systemd cannot run a program whose path contains quotes or backslashes; "
                                  "install or link it under a plain path");
                        return 0;
                }
                int r = set_path(c, NULL, &h->hypervisor, where, key, value);
                if (r == -ENOMEM)
                        return r;
        } else
                return -ENOENT;
        return 0;
}

static int parse_disk(Config *c, VmConfig *vm, Location where, const char *value) {
        if (!*value) {
                for (size_t i = 0; i < vm->n_disks; i++)
                        free(vm->disks[i].path);
                free(vm->disks);
                vm->disks = NULL;
                vm->n_disks = 0;
                return 0;
        }

        _cleanup_(freep) char *path = strdup(value);
        if (!path)
                return -ENOMEM;
        bool readonly = false;
        /* PATH[,readonly]: a final ",word" without a slash is an option, not part of the path. */
        char *comma = strrchr(path, ',');
        if (comma && !strchr(comma, '/')) {
                const char *option = strstrip(comma + 1);
                if (!streq(option, "readonly")) {
                        char why[128];
                        snprintf(why, sizeof why, "unknown disk option '%s'; the only option is readonly", option);
                        bad_value(c, vm, where, "Disk", value, why);
                        return -EINVAL;
                }
                readonly = true;
                *comma = 0;
                /* "PATH ,readonly": the blank belongs to neither (Cloud Hypervisor would trim it). */
                for (size_t n = strlen(path); n > 0 && (path[n - 1] == ' ' || path[n - 1] == '\t'); n--)
                        path[n - 1] = 0;
        }
        if (!path_is_normalized_absolute(path)) {
                bad_value(c, vm, where, "Disk", value,
                          "must be an absolute path to a raw or qcow2 image, optionally followed by ,readonly");
                return -EINVAL;
        }
        DiskConfig *x = realloc(vm->disks, sizeof(DiskConfig) * (vm->n_disks + 1));
        if (!x)
                return -ENOMEM;
        vm->disks = x;
        x[vm->n_disks++] = (DiskConfig) { .path = TAKE_PTR(path), .readonly = readonly, .where = where };
        return 0;
}

static int vm_apply_key_internal(Config *c, VmConfig *vm, Location where, const char *key, const char *value) {
        const char *reason = NULL;

        if (streq(key, "CPUs")) {
                unsigned v;
                if (safe_atou(value, &v) < 0 || v == 0 || v > 1024) {
                        bad_value(c, vm, where, key, value, "must be a number of vCPUs from 1 to 1024");
                        return -EINVAL;
                }
                vm->cpus = v;
                vm->cpus_where = where;
        } else if (streq(key, "Memory")) {
                uint64_t v;
                vm->memory_where = where;   /* even when invalid: "no Memory=" would mislead */
                if (parse_memory_gib(value, &v, &reason) < 0) {
                        bad_value(c, vm, where, key, value, reason);
                        return -EINVAL;
                }
                vm->memory_gib = v;
                vm->memory_where = where;
        } else if (streq(key, "Device"))
                return apply_matches(c, vm, where, key, value, &vm->devices, &vm->n_devices);
        else if (streq(key, "NUMANode")) {
                unsigned v;
                if (streq(value, "auto"))
                        vm->numa_node = -1;
                else if (safe_atou(value, &v) < 0 || v > 1023) {
                        bad_value(c, vm, where, key, value, "must be auto or a node number such as 0");
                        return -EINVAL;
                } else
                        vm->numa_node = (int) v;
                vm->numa_where = where;
        } else if (streq(key, "CPUAffinity")) {
                vm->affinity_where = where;
                cpu_set_done(&vm->affinity);
                if (streq(value, "auto") || !*value)
                        vm->affinity_mode = AFFINITY_AUTO;
                else if (streq(value, "none"))
                        vm->affinity_mode = AFFINITY_NONE;
                else {
                        int r = cpu_set_parse(value, &vm->affinity);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0 || cpu_set_count(&vm->affinity) == 0) {
                                bad_value(c, vm, where, key, value,
                                          "must be auto, none, or a CPU list such as 0-7,16");
                                return -EINVAL;
                        }
                        vm->affinity_mode = AFFINITY_LIST;
                }
        } else if (streq(key, "Kernel"))
                return set_path(c, vm, &vm->kernel, where, key, value);
        else if (streq(key, "Firmware"))
                return set_path(c, vm, &vm->firmware, where, key, value);
        else if (streq(key, "Initramfs"))
                return set_path(c, vm, &vm->initramfs, where, key, value);
        else if (streq(key, "CloudInit"))
                return set_path(c, vm, &vm->cloud_init, where, key, value);
        else if (streq(key, "Cmdline")) {
                if (string_has_cc(value)) {
                        bad_value(c, vm, where, key, value, "contains control characters; remove them");
                        return -EINVAL;
                }
                return set_setting(&vm->cmdline, where, value);
        } else if (streq(key, "Disk"))
                return parse_disk(c, vm, where, value);
        else if (streq(key, "Network")) {
                if (streq(value, "none") || !*value)
                        vm->network = NETWORK_NONE;
                else if (streq(value, "tap"))
                        vm->network = NETWORK_TAP;
                else {
                        bad_value(c, vm, where, key, value, "must be none or tap");
                        return -EINVAL;
                }
        } else if (streq(key, "TapName")) {
                if (*value && !tap_name_is_valid(value)) {
                        bad_value(c, vm, where, key, value,
                                  "must be 1-15 characters of letters, digits, '-', '_' or '.' (a Linux interface name)");
                        return -EINVAL;
                }
                return set_setting(&vm->tap_name, where, value);
        } else if (streq(key, "MAC")) {
                if (*value && parse_mac(value, &reason) < 0) {
                        bad_value(c, vm, where, key, value, reason);
                        return -EINVAL;
                }
                return set_setting(&vm->mac, where, value);
        } else if (streq(key, "HostAddress")) {
                if (*value && parse_cidr(value, &reason) < 0) {
                        bad_value(c, vm, where, key, value, reason);
                        return -EINVAL;
                }
                return set_setting(&vm->host_address, where, value);
        } else if (streq(key, "Serial")) {
                if (streq(value, "journal"))
                        vm->serial = SERIAL_JOURNAL;
                else if (streq(value, "file"))
                        vm->serial = SERIAL_FILE;
                else if (streq(value, "off"))
                        vm->serial = SERIAL_OFF;
                else {
                        bad_value(c, vm, where, key, value, "must be journal, file or off");
                        return -EINVAL;
                }
        } else if (streq(key, "Autostart")) {
                int b = parse_boolean(value);
                if (b < 0) {
                        bad_value(c, vm, where, key, value, "must be yes or no");
                        return -EINVAL;
                }
                vm->autostart = b;
        } else if (streq(key, "Restart")) {
                if (streq(value, "no"))
                        vm->restart = RESTART_NO;
                else if (streq(value, "on-failure"))
                        vm->restart = RESTART_ON_FAILURE;
                else if (streq(value, "always"))
                        vm->restart = RESTART_ALWAYS;
                else {
                        bad_value(c, vm, where, key, value, "must be no, on-failure or always");
                        return -EINVAL;
                }
        } else if (streq(key, "ExtraArguments")) {
                _cleanup_(strv_freep) char **words = NULL;
                int r = split_arguments(value, &words, &reason);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || string_has_cc(value)) {
                        bad_value(c, vm, where, key, value, reason ?: "contains control characters; remove them");
                        return -EINVAL;
                }
                if (words && words[0] && words[0][0] != '-') {
                        bad_value(c, vm, where, key, value,
                                  "must start with a Cloud Hypervisor option such as --rng; a bare word would be "
                                  "taken as a stray argument");
                        return -EINVAL;
                }
                /* Cloud Hypervisor refuses these twice; nestvirt writes them from the keys. */
                static const struct {
                        const char *option, *key;
                } owned[] = {
                        { "--api-socket", NULL },     { "--cpus", "CPUs= and CPUAffinity=" },
                        { "--memory", "Memory=" },    { "--memory-zone", "Memory= and NUMANode=" },
                        { "--kernel", "Kernel=" },    { "--firmware", "Firmware=" },
                        { "--initramfs", "Initramfs=" }, { "--cmdline", "Cmdline=" },
                        { "--serial", "Serial=" },    { "--console", NULL },
                };
                for (size_t i = 0; words && words[i]; i++)
                        for (size_t j = 0; j < ELEMENTSOF(owned); j++) {
                                size_t n = strlen(owned[j].option);
                                if (strncmp(words[i], owned[j].option, n) != 0 || (words[i][n] && words[i][n] != '='))
                                        continue;
                                char why[192];
                                if (owned[j].key)
                                        snprintf(why, sizeof why, "repeats %s, which nestvirt writes from %s; set it there",
                                                 owned[j].option, owned[j].key);
                                else
                                        snprintf(why, sizeof why, "repeats %s, which nestvirt manages; remove it",
                                                 owned[j].option);
                                bad_value(c, vm, where, key, value, why);
                                return -EINVAL;
                        }
                return set_setting(&vm->extra_arguments, where, value);
        } else
                return -ENOENT;
        return 0;
}

int vm_apply_key(Config *c, VmConfig *vm, Location where, const char *key, const char *value) {
        int r = vm_apply_key_internal(c, vm, where, key, value);
        if (r == -EINVAL || r == -ERANGE) {
                vm->invalid = true;   /* reported already; this VM gets no unit */
                return 0;
        }
        return r;
}
