/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "conf-files.h"
#include "conf-parser.h"
#include "config-keys.h"
#include "config.h"
#include "tap-name.h"
#include "utf8.h"
#include "util.h"

typedef struct ParseState {
        Config *config;
        bool strict;
        enum { SECTION_NONE, SECTION_HOST, SECTION_VM, SECTION_SKIP } kind;
        size_t vm;
} ParseState;

void config_init(Config *c) {
        *c = (Config) {
                .digest = FNV1A_INIT,
                .host = {
                        .hugepages_mode = HUGEPAGES_AUTO,
                        .unsafe_interrupts = TRISTATE_AUTO,
                        .hypervisor.value = strdup(DEFAULT_HYPERVISOR),
                },
        };
        if (!c->host.hypervisor.value)
                c->diagnostics.oom = true;
}

static void setting_done(Setting *s) {
        free(s->value);
        s->value = NULL;
}

static void vm_done(VmConfig *vm) {
        free(vm->name);
        free(vm->devices);
        cpu_set_done(&vm->affinity);
        free(vm->numa_nodes);
        setting_done(&vm->cpu_options);
        setting_done(&vm->kernel);
        setting_done(&vm->firmware);
        setting_done(&vm->initramfs);
        setting_done(&vm->cmdline);
        setting_done(&vm->cloud_init);
        setting_done(&vm->tap_name);
        setting_done(&vm->mac);
        setting_done(&vm->host_address);
        setting_done(&vm->extra_arguments);
        for (size_t i = 0; i < vm->n_disks; i++)
                free(vm->disks[i].path);
        free(vm->disks);
}

void config_done(Config *c) {
        free(c->host.hugepages_nodes);
        free(c->host.passthrough);
        setting_done(&c->host.hypervisor);
        for (size_t i = 0; i < c->n_vms; i++)
                vm_done(&c->vms[i]);
        free(c->vms);
        for (size_t i = 0; i < c->n_files; i++)
                free(c->files[i].path);
        free(c->files);
        diag_done(&c->diagnostics);
        *c = (Config) {};
}

bool vm_name_is_valid(const char *name) {
        size_t l = strlen(name);
        if (l == 0 || l > VM_NAME_MAX)
                return false;
        if (!islower((unsigned char) name[0]) && !isdigit((unsigned char) name[0]))
                return false;
        for (const char *p = name; *p; p++)
                if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '-'))
                        return false;
        return true;
}

const VmConfig *config_find_vm(const Config *c, const char *name) {
        for (size_t i = 0; i < c->n_vms; i++)
                if (streq(c->vms[i].name, name))
                        return &c->vms[i];
        return NULL;
}

static int add_vm(Config *c, const char *name, Location where, size_t *ret) {
        for (size_t i = 0; i < c->n_vms; i++)
                if (streq(c->vms[i].name, name)) {
                        *ret = i;
                        return 0;
                }
        _cleanup_(freep) char *copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        VmConfig *vm = ARRAY_APPEND(c->vms, c->n_vms);
        if (!vm)
                return -ENOMEM;
        *vm = (VmConfig) {
                .name = TAKE_PTR(copy),
                .where = where,
                .cpus = 1,
                .numa_node = -1,
                .affinity_mode = AFFINITY_AUTO,
                .network = NETWORK_NONE,
                .serial = SERIAL_JOURNAL,
                .autostart = true,
                .restart = RESTART_ON_FAILURE,
        };
        *ret = c->n_vms - 1;
        return 0;
}

/* The first byte of S that is not well-formed UTF-8, or NULL: the units systemd loads, the
 * journal and 'check --json' all need UTF-8, and so the message must not echo the bytes. */
static const char *first_invalid_utf8(const char *s) {
        size_t n = strlen(s);
        for (size_t i = 0, l; i < n; i += l)
                if ((l = utf8_sequence_length(s + i, n - i)) == 0)
                        return s + i;
        return NULL;
}

static int refuse_invalid_utf8(Config *c, VmConfig *vm, Location where, const char *what, const char *text) {
        const char *bad = first_invalid_utf8(text);
        if (!bad)
                return 0;
        diag_add(&c->diagnostics, DIAG_ERROR, where, vm ? vm->name : NULL, NULL,
                 "%s is not valid UTF-8 (byte 0x%02x at offset %zu); write it as UTF-8", what,
                 (unsigned char) *bad, (size_t) (bad - text));
        if (vm)
                vm->invalid = true;
        return -EINVAL;
}

static int on_section(void *userdata, Location where, const char *section) {
        ParseState *s = userdata;
        const char *name;

        if (refuse_invalid_utf8(s->config, NULL, where, "the section name", section) < 0) {
                s->kind = SECTION_SKIP;
                return 0;
        }

        if (streq(section, "Host")) {
                s->kind = SECTION_HOST;
                return 0;
        }
        if ((name = startswith(section, "VM ")) || (name = startswith(section, "VM\t"))) {
                while (isspace((unsigned char) *name))
                        name++;
                if (!vm_name_is_valid(name)) {
                        diag_add(&s->config->diagnostics, DIAG_ERROR, where, NULL, NULL,
                                 "[VM %s]: invalid VM name; use 1-32 characters of a-z, 0-9 and '-', "
                                 "starting with a letter or digit (it becomes part of unit and tap names)",
                                 name);
                        s->kind = SECTION_SKIP;
                        return 0;
                }
                s->kind = SECTION_VM;
                return add_vm(s->config, name, where, &s->vm);
        }
        if (streq(section, "VM")) {
                diag_add(&s->config->diagnostics, DIAG_ERROR, where, NULL, NULL,
                         "[VM] needs a name; write [VM NAME], e.g. [VM train0]");
                s->kind = SECTION_SKIP;
                return 0;
        }

        const char *hint = strcasecmp(section, "host") == 0 ? " (section names are case-sensitive: [Host])"
                         : strncasecmp(section, "vm ", 3) == 0 ? " (write [VM NAME] with VM in capitals)"
                         : "";
        diag_add(&s->config->diagnostics, s->strict ? DIAG_ERROR : DIAG_WARNING, where, NULL, NULL,
                 "unknown section [%s], ignored; the sections are [Host] and [VM NAME]%s", section, hint);
        s->kind = SECTION_SKIP;
        return 0;
}

static int on_item(void *userdata, Location where, const char *key, const char *value) {
        ParseState *s = userdata;
        Config *c = s->config;
        VmConfig *vm = s->kind == SECTION_VM ? &c->vms[s->vm] : NULL;

        if (!key) {
                if (refuse_invalid_utf8(c, vm, where, "the line", value) < 0)
                        return 0;
                /* A broken line: whatever it meant to set is missing, so a VM with one gets no unit. */
                if (strchr(value, '='))
                        diag_add(&c->diagnostics, DIAG_ERROR, where, vm ? vm->name : NULL, NULL,
                                 "assignment without a key; write Key=Value");
                else
                        diag_add(&c->diagnostics, DIAG_ERROR, where, vm ? vm->name : NULL, NULL,
                                 "'%s' is not an assignment; write Key=Value, or start the line with # for a comment",
                                 value);
                if (vm)
                        vm->invalid = true;
                return 0;
        }
        if (s->kind != SECTION_HOST && s->kind != SECTION_VM)
                return 0;   /* the section was reported already */
        if (refuse_invalid_utf8(c, vm, where, "the key", key) < 0)
                return 0;
        _cleanup_(freep) char *what = strjoin("the value of ", key, "=");
        if (!what)
                return -ENOMEM;
        if (refuse_invalid_utf8(c, vm, where, what, value) < 0)
                return 0;
        return config_key_apply(c, vm, where, key, value, s->strict);
}

static const char *intern_file(Config *c, const char *path, bool refused) {
        for (size_t i = 0; i < c->n_files; i++)
                if (streq(c->files[i].path, path))
                        return c->files[i].path;
        _cleanup_(freep) char *copy = strdup(path);
        if (!copy)
                return NULL;
        ConfigFile *f = ARRAY_APPEND(c->files, c->n_files);
        if (!f)
                return NULL;
        *f = (ConfigFile) { .path = TAKE_PTR(copy), .refused = refused };
        return f->path;
}

int config_parse_buffer(Config *c, const char *file, const char *data, bool strict) {
        const char *f = intern_file(c, file, false);
        if (!f)
                return -ENOMEM;
        ParseState s = { .config = c, .strict = strict };
        return conf_parse_buffer(f, data, strlen(data), on_section, on_item, &s, &c->diagnostics);
}

/* A name the units cannot carry (it goes into SourcePath=), shown with '?' for each bad byte so
 * the message itself stays one line. */
static int refuse_file_name(Config *c, const char *logical) {
        _cleanup_(freep) char *shown = strdup(logical);
        if (!shown)
                return -ENOMEM;
        for (char *p = shown; *p; p++)
                if ((unsigned char) *p < ' ' || (unsigned char) *p >= 127)
                        *p = '?';
        const char *f = intern_file(c, shown, true);
        if (!f)
                return -ENOMEM;
        diag_add(&c->diagnostics, DIAG_ERROR, (Location) { f, 0 }, NULL, NULL,
                 "the file name has control characters or is not UTF-8, and goes into the units' SourcePath=: "
                 "the file is not read; rename it");
        return 0;
}

static int load_one(Config *c, const char *root, const ConfFile *file, const ConfPolicy *policy, bool strict) {
        if (!string_is_safe_text(file->logical))
                return refuse_file_name(c, file->logical);
        const char *f = intern_file(c, file->logical, false);
        if (!f)
                return -ENOMEM;
        _cleanup_(freep) char *data = NULL;
        size_t size;
        int r = conf_file_read(root, file, policy, (Location) { f, 0 }, &c->diagnostics, &data, &size);
        for (size_t i = 0; r == 0 && i < c->n_files; i++)
                c->files[i].refused |= c->files[i].path == f;
        if (r <= 0)
                return r;
        const char *logical = f;
        c->digest = fnv1a(fnv1a(c->digest, logical, strlen(logical) + 1), data, size);
        /* Not even a comment: more likely truncated than meant (the shipped file has comments). */
        size_t blank = 0;
        while (blank < size && isspace((unsigned char) data[blank]))
                blank++;
        if (blank == size)
                diag_add(&c->diagnostics, DIAG_WARNING, (Location) { f, 0 }, NULL, NULL,
                         "empty, it configures nothing; write [Host] or [VM NAME] sections into it (to mask a "
                         "drop-in of the same name, make it a link to /dev/null instead)");
        ParseState s = { .config = c, .strict = strict };
        return conf_parse_buffer(f, data, size, on_section, on_item, &s, &c->diagnostics);
}

/* VM's tap: TapName= (even without a network, which is warned about), or the name derived for
 * Network=tap or nat; NULL for none. Sets *ret_where to the line that decides it. */
static int effective_tap_name(const VmConfig *vm, char **ret, Location *ret_where) {
        *ret = NULL;
        if (!vm->tap_name.value && !vm_has_tap(vm))
                return 0;
        *ret = vm_tap_name(vm);
        *ret_where = vm->tap_name.value ? vm->tap_name.where : vm->where;
        return *ret ? 0 : -ENOMEM;
}

/* Tap names must differ, or two VMs fight over one interface: explicit or derived (whose 16-bit
 * hash two long names can share), each pair is an error naming both VMs and their lines. */
static void check_tap_names(Config *c) {
        _cleanup_(strv_freep) char **names = calloc(c->n_vms + 1, sizeof(char *));
        _cleanup_(freep) Location *where = calloc(c->n_vms + 1, sizeof(Location));
        if (!names || !where) {
                c->diagnostics.oom = true;
                return;
        }
        /* strv_free() stops at the first NULL: keep the array dense, "" for none. */
        for (size_t i = 0; i < c->n_vms; i++) {
                if (effective_tap_name(&c->vms[i], &names[i], &where[i]) < 0 || (!names[i] && !(names[i] = strdup("")))) {
                        c->diagnostics.oom = true;
                        return;
                }
        }
        for (size_t j = 0; j < c->n_vms; j++)
                for (size_t i = 0; i < j && *names[j]; i++) {
                        if (!streq(names[i], names[j]))
                                continue;
                        VmConfig *a = &c->vms[i], *b = &c->vms[j];
                        char other[512];
                        diag_format_location(&(Diagnostic) { .where = where[i] }, other, sizeof other);
                        size_t l = strlen(other);
                        if (l >= 2 && streq(other + l - 2, ": "))
                                other[l - 2] = 0;   /* "FILE:LINE: " */
                        diag_add(&c->diagnostics, DIAG_ERROR, where[j], b->name, NULL,
                                 "%s %s is already used by [VM %s] (%s %s); give each VM its own TapName=",
                                 b->tap_name.value ? "TapName=" : "the tap name derived from the VM name,", names[j],
                                 a->name, a->tap_name.value ? "TapName= at" : "derived, [VM] at", other);
                        b->invalid = true;
                        break;
                }
}

/* systemd reads no unit line over LONG_LINE_MAX (1 MiB, src/basic/fileio.h) and execve() takes
 * no argument over MAX_ARG_STRLEN (128 KiB): refuse a VM whose ExecStart= would exceed either.
 * Each value is bounded at its key; what remains are the repeated parts: the affinity list,
 * written once per vCPU (Cloud Hypervisor takes one vCPU per key, so only the host CPUs
 * compress into ranges), and the disks. Escaping at most doubles a byte (control characters
 * are refused), so twice the raw length bounds the line. */
#define LONG_LINE_MAX (1024u * 1024u)
#define MAX_ARG_STRLEN (128u * 1024u)
static void check_command_length(Config *c, VmConfig *vm) {
        if (vm->affinity_mode == AFFINITY_LIST) {
                _cleanup_(freep) char *cpus = cpu_set_format(&vm->affinity);
                if (!cpus) {
                        c->diagnostics.oom = true;
                        return;
                }
                size_t word = 32 + (size_t) vm->cpus * (strlen(cpus) + 8);   /* "N@[LIST]," each */
                if (word >= MAX_ARG_STRLEN) {
                        diag_add(&c->diagnostics, DIAG_ERROR, vm->affinity_where, vm->name, NULL,
                                 "CPUAffinity= with CPUs=%u makes the --cpus argument about %zu bytes, over execve()'s "
                                 "limit for one argument (MAX_ARG_STRLEN, 128 KiB): give CPU ranges (0-63) rather than "
                                 "single CPUs, or fewer vCPUs", vm->cpus, word);
                        vm->invalid = true;
                        return;
                }
        }
        size_t line = 4096;   /* options and values of bounded length */
        const Setting *s[] = { &vm->kernel, &vm->firmware, &vm->initramfs, &vm->cmdline, &vm->extra_arguments };
        for (size_t i = 0; i < ELEMENTSOF(s); i++)
                line += s[i]->value ? 2 * strlen(s[i]->value) : 0;
        for (size_t i = 0; i < vm->n_disks; i++)
                line += 2 * strlen(vm->disks[i].path) + 64;
        if (line >= LONG_LINE_MAX) {
                diag_add(&c->diagnostics, DIAG_ERROR, vm->where, vm->name, NULL,
                         "[VM %s] would make an ExecStart= line of up to %zu bytes, over systemd's limit for a unit "
                         "file line (LONG_LINE_MAX, 1 MiB): use fewer or shorter Disk= paths", vm->name, line);
                vm->invalid = true;
        }
}

void config_finish(Config *c) {
        for (size_t i = 0; i < c->n_vms; i++) {
                VmConfig *vm = &c->vms[i];
                Diagnostics *d = &c->diagnostics;

                if (vm->memory_gib == 0 && vm->memory_where.line == 0) {
                        diag_add(d, DIAG_ERROR, vm->where, vm->name, NULL,
                                 "[VM %s] has no Memory=; add e.g. Memory=16G (whole GiB)", vm->name);
                        vm->invalid = true;
                }
                if (!!vm->kernel.value == !!vm->firmware.value) {
                        diag_add(d, DIAG_ERROR, vm->kernel.value ? vm->firmware.where : vm->where, vm->name, NULL,
                                 vm->kernel.value ? "[VM %s] sets both Kernel= and Firmware=; keep exactly one"
                                                  : "[VM %s] needs Kernel= (direct kernel boot) or Firmware= (e.g. a "
                                                    "hypervisor-fw or OVMF image); set exactly one",
                                 vm->name);
                        vm->invalid = true;
                }
                if (vm->firmware.value && vm->initramfs.value) {
                        diag_add(d, DIAG_ERROR, vm->initramfs.where, vm->name, NULL,
                                 "Initramfs= needs Kernel=; with Firmware= the guest loads its own initramfs: remove it");
                        vm->invalid = true;
                }
                if (vm->firmware.value && vm->cmdline.value) {
                        diag_add(d, DIAG_ERROR, vm->cmdline.where, vm->name, NULL,
                                 "Cmdline= needs Kernel=; with Firmware= set the command line in the guest's boot loader");
                        vm->invalid = true;
                }
                if (vm->network == NETWORK_NONE) {
                        const Setting *s[] = { &vm->tap_name, &vm->mac, &vm->host_address };
                        const char *k[] = { "TapName", "MAC", "HostAddress" };
                        for (size_t j = 0; j < ELEMENTSOF(s); j++)
                                if (s[j]->value)
                                        diag_add(d, DIAG_WARNING, s[j]->where, vm->name, NULL,
                                                 "%s= has no effect without Network=tap or nat", k[j]);
                }
        }

        for (size_t i = 0; i < c->n_vms; i++)
                check_command_length(c, &c->vms[i]);
        check_tap_names(c);
}

int config_load(const ConfigLoadOptions *o, Config *ret) {
        Config c;
        int r = 0;

        config_init(&c);

        if (o->check_ownership && o->allow_owner != 0)
                diag_add(&c.diagnostics, DIAG_NOTE, (Location) {}, NULL, NULL,
                         "ownership not enforced: files and directories owned by uid %u were accepted as if owned "
                         "by root (--allow-owner); the boot refuses them", (unsigned) o->allow_owner);
        ConfPolicy policy = { .check_ownership = o->check_ownership, .allow_owner = o->allow_owner };
        if (o->single_file) {
                ConfFile file = {};
                r = conf_file_single(o->single_file, &file);
                if (r >= 0)
                        r = load_one(&c, NULL, &file, &policy, o->strict);
                conf_file_done(&file);
        } else {
                ConfFile *files = NULL;
                size_t n = 0;
                r = conf_files_list(o->root, &policy, &c.diagnostics, &files, &n);
                if (r >= 0)
                        for (size_t i = 0; i < n && r >= 0; i++)
                                r = load_one(&c, o->root, &files[i], &policy, o->strict);
                if (r >= 0 && n == 0)
                        diag_add(&c.diagnostics, DIAG_NOTE, (Location) {}, NULL, NULL,
                                 "no configuration found (%s and drop-ins); nothing to do", CONFIG_MAIN_FILE);
                conf_files_free(files, n);
        }
        if (r >= 0)
                config_finish(&c);
        if (r >= 0 && c.diagnostics.oom)
                r = -ENOMEM;
        if (r < 0) {
                config_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

const char *serial_mode_to_string(SerialMode m) {
        return m == SERIAL_JOURNAL ? "journal" : m == SERIAL_FILE ? "file" : m == SERIAL_SOCKET ? "socket" : "off";
}

const char *restart_mode_to_string(RestartMode m) {
        return m == RESTART_NO ? "no" : m == RESTART_ALWAYS ? "always" : "on-failure";
}

const char *tristate_to_string(Tristate t) {
        return t == TRISTATE_AUTO ? "auto" : t == TRISTATE_YES ? "yes" : "no";
}
