/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table of config keys: every key parses, lists append and reset, unknown keys get their
 * suggestion from it, and nestvirt.conf(5) documents exactly its keys, in its order. The
 * messages themselves are tested in test-config.c. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config-keys.h"
#include "util.h"

#define FILE_NAME "/etc/nestvirt.conf.d/50-test.conf"
#define BASE_VM "[VM a]\nMemory=4G\nKernel=/var/lib/nestvirt/vmlinux\n"

/* A valid value for every key, different from the default and from BASE_VM; one item for lists. */
static const struct {
        ConfigSection section;
        const char *key, *value;
} samples[] = {
        { CONFIG_SECTION_HOST, "Hugepages", "0:4,1:4" },
        { CONFIG_SECTION_HOST, "HugepagesExtra", "2" },
        { CONFIG_SECTION_HOST, "UnsafeInterrupts", "yes" },
        { CONFIG_SECTION_HOST, "Passthrough", "10de:22bc" },
        { CONFIG_SECTION_HOST, "Hypervisor", "/usr/bin/cloud-hypervisor" },
        { CONFIG_SECTION_VM, "CPUs", "8" },
        { CONFIG_SECTION_VM, "Memory", "16G" },
        { CONFIG_SECTION_VM, "Device", "10de:2330*2" },
        { CONFIG_SECTION_VM, "NUMANode", "1" },
        { CONFIG_SECTION_VM, "CPUAffinity", "0-7,16" },
        { CONFIG_SECTION_VM, "CPUOptions", "max_phys_bits=42,kvm_hyperv=on" },
        { CONFIG_SECTION_VM, "SharedMemory", "yes" },
        { CONFIG_SECTION_VM, "PeerToPeer", "yes" },
        { CONFIG_SECTION_VM, "Kernel", "/boot/vmlinuz" },
        { CONFIG_SECTION_VM, "Firmware", "/usr/share/cloud-hypervisor/CLOUDHV.fd" },
        { CONFIG_SECTION_VM, "Initramfs", "/boot/initrd.img" },
        { CONFIG_SECTION_VM, "Cmdline", "console=ttyS0 root=/dev/vda1" },
        { CONFIG_SECTION_VM, "Disk", "/var/lib/nestvirt/a.raw,readonly" },
        { CONFIG_SECTION_VM, "CloudInit", "/etc/nestvirt/a" },
        { CONFIG_SECTION_VM, "Network", "tap" },
        { CONFIG_SECTION_VM, "TapName", "tap-a" },
        { CONFIG_SECTION_VM, "MAC", "52:54:00:12:34:56" },
        { CONFIG_SECTION_VM, "HostAddress", "192.168.249.1/24" },
        { CONFIG_SECTION_VM, "Serial", "off" },
        { CONFIG_SECTION_VM, "Autostart", "no" },
        { CONFIG_SECTION_VM, "Restart", "always" },
        { CONFIG_SECTION_VM, "ExtraArguments", "--rng src=/dev/urandom" },
};

static const char *sample_of(const ConfigKey *k) {
        for (size_t i = 0; i < ELEMENTSOF(samples); i++)
                if (samples[i].section == k->section && streq(samples[i].key, k->name))
                        return samples[i].value;
        fail_msg("no sample value for %s=: add one to samples[]", k->name);
        return NULL;
}

static void dump_diagnostics(const Diagnostics *d) {
        for (size_t i = 0; i < d->n; i++)
                print_message("  %s %s:%u %s\n", diag_level_to_string(d->items[i].level),
                              strempty(d->items[i].where.file), d->items[i].where.line, d->items[i].message);
}

/* A config with [VM a] of BASE_VM. Returns the section K belongs to. */
static void *parse_base(Config *c, const ConfigKey *k) {
        config_init(c);
        assert_int_equal(config_parse_buffer(c, FILE_NAME, BASE_VM, true), 0);
        assert_int_equal(c->n_vms, 1);
        assert_int_equal(c->diagnostics.n, 0);
        return k->section == CONFIG_SECTION_VM ? (void *) &c->vms[0] : (void *) &c->host;
}

/* LINES in K's section, strictly, after BASE_VM. Returns the section. */
static void *parse_in_section(Config *c, const ConfigKey *k, const char *lines) {
        void *section = parse_base(c, k);
        _cleanup_(freep) char *text = strjoin(k->section == CONFIG_SECTION_VM ? "[VM a]\n" : "[Host]\n", lines, "\n");
        assert_non_null(text);
        assert_int_equal(config_parse_buffer(c, FILE_NAME, text, true), 0);
        assert_false(c->diagnostics.oom);
        if (c->diagnostics.n != 0) {
                dump_diagnostics(&c->diagnostics);
                fail_msg("%s: reported", lines);
        }
        return section;
}

static void test_samples_match_table(void **state) {
        assert_int_equal(ELEMENTSOF(samples), n_config_keys);
        for (size_t i = 0; i < ELEMENTSOF(samples); i++)
                if (config_key_find(samples[i].section, samples[i].key) == NULL)
                        fail_msg("samples[] has %s=, which is not in the table", samples[i].key);
}

/* Each key takes its sample without a word and stores it: the bytes at its offset change (the
 * whole section, for a key whose parser sets several fields). */
static void test_every_key_parses(void **state) {
        FOREACH_CONFIG_KEY(k) {
                size_t size = k->section == CONFIG_SECTION_VM ? sizeof(VmConfig) : sizeof(HostConfig);
                _cleanup_(freep) char *text = strjoin(k->section == CONFIG_SECTION_VM ? "[VM a]\n" : "[Host]\n",
                                                      k->name, "=", sample_of(k), "\n");
                _cleanup_(freep) char *before = malloc(size);
                assert_non_null(text);
                assert_non_null(before);

                Config c;
                const char *section = parse_base(&c, k);
                memcpy(before, section, size);
                assert_int_equal(config_parse_buffer(&c, "/etc/nestvirt.conf.d/60-more.conf", text, true), 0);
                if (c.diagnostics.n != 0) {
                        dump_diagnostics(&c.diagnostics);
                        fail_msg("%s=%s: reported", k->name, sample_of(k));
                }
                if (k->section == CONFIG_SECTION_VM)
                        assert_false(c.vms[0].invalid);
                /* A field is at most a pointer or a 64-bit number wide, and the others stay. */
                size_t length = k->offset > 0 ? MIN(sizeof(uint64_t), size - k->offset) : size;
                if (memcmp(before + k->offset, section + k->offset, length) == 0)
                        fail_msg("%s=%s: nothing stored at its offset", k->name, sample_of(k));
                config_done(&c);
        }
}

/* Every key is a key of its section only: a key of the other section is found there. */
static void test_find(void **state) {
        FOREACH_CONFIG_KEY(k) {
                assert_ptr_equal(config_key_find(k->section, k->name), k);
                ConfigSection other = k->section == CONFIG_SECTION_VM ? CONFIG_SECTION_HOST : CONFIG_SECTION_VM;
                assert_null(config_key_find(other, k->name));
        }
        assert_null(config_key_find(CONFIG_SECTION_VM, "memory"));   /* case-sensitive */
        assert_null(config_key_find(CONFIG_SECTION_VM, ""));
}

static void test_lists_append_and_reset(void **state) {
        size_t n_lists = 0;
        FOREACH_CONFIG_KEY(k) {
                if (!k->list)
                        continue;
                n_lists++;
                _cleanup_(freep) char *line = strjoin(k->name, "=", sample_of(k));
                _cleanup_(freep) char *twice = strjoin(line, "\n", line, "\n", k->name, "=");
                assert_non_null(line);
                assert_non_null(twice);
                Config c;

                char *section = parse_in_section(&c, k, twice);
                /* The empty assignment, last, emptied what the first two appended. */
                assert_int_equal(*(size_t *) (section + k->n_offset), 0);
                assert_null(*(void **) (section + k->offset));
                config_done(&c);

                section = parse_in_section(&c, k, line);
                size_t n_once = *(size_t *) (section + k->n_offset);
                config_done(&c);
                _cleanup_(freep) char *two = strjoin(line, "\n", line);
                assert_non_null(two);
                section = parse_in_section(&c, k, two);
                assert_int_equal(n_once, 1);
                assert_int_equal(*(size_t *) (section + k->n_offset), 2);
                assert_non_null(*(void **) (section + k->offset));
                config_done(&c);
        }
        assert_int_equal(n_lists, 3);   /* Passthrough=, Device=, Disk=: the man page says "A list" */
}

/* A typo (the last letter dropped) finds its key, with the suggestion taken from the table; an
 * error for check, a warning for the generator. */
static void test_suggestions(void **state) {
        FOREACH_CONFIG_KEY(k) {
                _cleanup_(freep) char *typo = strndup(k->name, strlen(k->name) - 1);
                assert_non_null(typo);
                assert_null(config_key_find(k->section, typo));
                assert_string_equal(config_key_suggest(k->section, typo), k->name);

                const char *header = k->section == CONFIG_SECTION_VM ? "[VM a]" : "[Host]";
                _cleanup_(freep) char *text = strjoin(header, "\n", typo, "=1\n");
                _cleanup_(freep) char *want = NULL;
                assert_non_null(text);
                assert_int_equal(asprintf_safe(&want, "unknown key %s= in %s; did you mean %s=?", typo, header,
                                               k->name), 0);
                for (int strict = 0; strict <= 1; strict++) {
                        Config c;
                        config_init(&c);
                        assert_int_equal(config_parse_buffer(&c, FILE_NAME, text, strict), 0);
                        assert_int_equal(c.diagnostics.n, 1);
                        const Diagnostic *d = &c.diagnostics.items[0];
                        assert_int_equal(d->level, strict ? DIAG_ERROR : DIAG_WARNING);
                        assert_int_equal(d->where.line, 2);
                        /* "in [Host], ignored; did you mean" without strict */
                        if (strict)
                                assert_string_equal(d->message, want);
                        else {
                                assert_non_null(strstr(d->message, ", ignored; did you mean "));
                                assert_non_null(strstr(d->message, k->name));
                        }
                        if (k->section == CONFIG_SECTION_VM)
                                assert_false(c.vms[0].invalid);   /* unknown keys do not break a VM */
                        config_done(&c);
                }
        }
        assert_null(config_key_suggest(CONFIG_SECTION_VM, "Frobnicate"));
}

/* Every key, in the other section, is pointed to where it belongs. */
static void test_wrong_section(void **state) {
        FOREACH_CONFIG_KEY(k) {
                bool vm = k->section == CONFIG_SECTION_VM;
                _cleanup_(freep) char *text = strjoin(vm ? "[Host]\n" : "[VM a]\n", k->name, "=1\n");
                _cleanup_(freep) char *want = NULL;
                assert_non_null(text);
                assert_int_equal(asprintf_safe(&want, "%s= belongs in [%s], not [%s]", k->name,
                                               vm ? "VM NAME" : "Host", vm ? "Host" : "VM a"), 0);
                Config c;
                config_init(&c);
                assert_int_equal(config_parse_buffer(&c, FILE_NAME, text, true), 0);
                assert_int_equal(c.diagnostics.n, 1);
                assert_string_equal(c.diagnostics.items[0].message, want);
                config_done(&c);
        }
}

static void test_vm_files(void **state) {
        VmConfig empty = {};
        StringBuffer text = {};
        size_t n = 0;

        sb_append(&text, "[VM a]\n");
        FOREACH_VM_FILE(f, &empty) {
                const ConfigKey *k = config_key_find(CONFIG_SECTION_VM, f.key);
                assert_non_null(k);
                assert_true(k->file);
                assert_null(f.setting->value);
                sb_appendf(&text, "%s=/files/%s\n", f.key, f.key);
                n++;
        }
        /* The keys whose messages check-image.c and vm-preflight.c print. */
        assert_int_equal(n, 3);

        Config c;
        config_init(&c);
        assert_false(text.oom);
        assert_int_equal(config_parse_buffer(&c, FILE_NAME, text.data, true), 0);
        sb_done(&text);
        unsigned line = 2;
        FOREACH_VM_FILE(f, &c.vms[0]) {
                _cleanup_(freep) char *want = strjoin("/files/", f.key);
                assert_non_null(want);
                assert_string_equal(f.setting->value, want);
                assert_int_equal(f.setting->where.line, line++);
        }
        config_done(&c);
}

/* nestvirt.conf(5): the "*Key=*" entries of "# [Host] SECTION" and "# [VM NAME] SECTION". */
typedef struct ManKey {
        ConfigSection section;
        char name[64];
        bool list;   /* its text starts with "A list" */
} ManKey;

static size_t read_man_keys(ManKey *keys, size_t max) {
        const char *src = getenv("SRCDIR");
        if (!src)
                fail_msg("SRCDIR is not set (meson sets it to the source root)");
        _cleanup_(freep) char *path = strjoin(src, "/man/nestvirt.conf.5.scd");
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f)
                fail_msg("cannot open %s", path);

        char l[1024];
        int section = -1;
        size_t n = 0;
        bool in_entry = false;
        while (fgets(l, sizeof l, f)) {
                l[strcspn(l, "\n")] = 0;
                if (l[0] == '#' && l[1] == ' ') {
                        section = streq(l, "# [Host] SECTION") ? CONFIG_SECTION_HOST
                                : streq(l, "# [VM NAME] SECTION") ? CONFIG_SECTION_VM : -1;
                        continue;
                }
                size_t len = strlen(l);
                if (section >= 0 && len > 3 && l[0] == '*' && streq(l + len - 2, "=*")) {
                        assert_true(n < max);
                        keys[n] = (ManKey) { .section = section };
                        assert_true(len - 3 < sizeof keys[n].name);
                        memcpy(keys[n].name, l + 1, len - 3);
                        n++;
                        in_entry = true;
                } else if (in_entry) {
                        keys[n - 1].list = startswith(l, "\tA list") != NULL;
                        in_entry = false;
                }
        }
        return n;
}

/* VALUE for KEY in [VM a]: the VM stays valid, or is marked invalid with an error naming the line. */
static void expect_key_value(const char *key, const char *value, bool ok, const char *needle) {
        Config c;
        const ConfigKey *k = config_key_find(CONFIG_SECTION_VM, key);
        assert_non_null(k);
        parse_base(&c, k);
        _cleanup_(freep) char *text = strjoin("[VM a]\n", key, "=", value, "\n");
        assert_int_equal(config_parse_buffer(&c, FILE_NAME, text, true), 0);
        if (ok && c.diagnostics.n != 0) {
                dump_diagnostics(&c.diagnostics);
                fail_msg("%s=%s: reported", key, value);
        }
        assert_int_equal(c.vms[0].invalid, !ok);
        if (!ok) {
                assert_int_equal(c.diagnostics.n, 1);
                assert_int_equal(c.diagnostics.items[0].where.line, 2);
                if (!strstr(c.diagnostics.items[0].message, needle))
                        fail_msg("%s=%s: \"%s\" does not say \"%s\"", key, value, c.diagnostics.items[0].message,
                                 needle);
        }
        config_done(&c);
}

static void test_numa_node_values(void **state) {
        Config c;
        const ConfigKey *k = config_key_find(CONFIG_SECTION_VM, "NUMANode");
        VmConfig *vm = parse_in_section(&c, k, "NUMANode=3,1 ,2");
        assert_int_equal(vm->n_numa_nodes, 3);
        assert_int_equal(vm->numa_nodes[0], 1);
        assert_int_equal(vm->numa_nodes[1], 2);
        assert_int_equal(vm->numa_nodes[2], 3);
        assert_int_equal(vm->numa_node, -1);
        config_done(&c);

        /* One node is a single-node VM; auto and a later value replace the list. */
        vm = parse_in_section(&c, k, "NUMANode=0,1\nNUMANode=1");
        assert_int_equal(vm->n_numa_nodes, 0);
        assert_null(vm->numa_nodes);
        assert_int_equal(vm->numa_node, 1);
        config_done(&c);
        vm = parse_in_section(&c, k, "NUMANode=0,1\nNUMANode=auto");
        assert_int_equal(vm->n_numa_nodes, 0);
        assert_int_equal(vm->numa_node, -1);
        config_done(&c);

        static const char *const bad[] = { "0,0", "0,", ",1", "0,,1", "x", "0,1024", "-1", "" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                expect_key_value("NUMANode", bad[i], false, "list of different nodes");
}

static void test_cpu_options_values(void **state) {
        static const char *const good[] = {
                "max_phys_bits=46", "kvm_hyperv=on,nested=off", "features=amx", "features=[amx,foo_1],max=16",
                "topology=1:4:1:2", "core_scheduling=vcpu", "profile=Host", "max_phys_bits=36", "max_phys_bits=52",
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                expect_key_value("CPUOptions", good[i], true, NULL);

        static const struct {
                const char *value, *needle;
        } bad[] = {
                { "boot=4", "from CPUs=" },
                { "affinity=[0@[0]]", "from CPUAffinity=" },
                { "max_phys_bits=35", "from 36 to 52" },
                { "max_phys_bits=53", "from 36 to 52" },
                { "max_phys_bits=x", "from 36 to 52" },
                { "kvm_hyperv=yes", "on or off" },
                { "topology=1:4:1", "THREADS:CORES" },
                { "topology=1:4:1:70000", "THREADS:CORES" },
                { "features=[amx,]", "feature name" },
                { "core_scheduling=all", "vm, vcpu or off" },
                { "profile=host", "Host" },
                { "max=-1", "vCPU count" },
                { "max=4294967296", "vCPU count" },
                { "sockets=2", "unknown --cpus option 'sockets'" },
                { "nested=on,nested=off", "given twice" },
                { "nested", "not OPTION=VALUE" },
                { "nested=on,", "not OPTION=VALUE" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                expect_key_value("CPUOptions", bad[i].value, false, bad[i].needle);

        /* max_phys_bits= is kept for the MMIO check; an empty value unsets. */
        Config c;
        const ConfigKey *k = config_key_find(CONFIG_SECTION_VM, "CPUOptions");
        VmConfig *vm = parse_in_section(&c, k, "CPUOptions=nested=on,max_phys_bits=40");
        assert_int_equal(vm->max_phys_bits, 40);
        assert_string_equal(vm->cpu_options.value, "nested=on,max_phys_bits=40");
        config_done(&c);
        vm = parse_in_section(&c, k, "CPUOptions=max_phys_bits=40\nCPUOptions=");
        assert_int_equal(vm->max_phys_bits, 0);
        assert_null(vm->cpu_options.value);
        config_done(&c);
}

static void test_man_page(void **state) {
        ManKey man[128];
        size_t n = read_man_keys(man, ELEMENTSOF(man));
        size_t i = 0;

        FOREACH_CONFIG_KEY(k) {
                if (i >= n || man[i].section != k->section || !streq(man[i].name, k->name))
                        fail_msg("nestvirt.conf(5): expected %s= in its [%s] SECTION next, found %s", k->name,
                                 k->section == CONFIG_SECTION_VM ? "VM NAME" : "Host",
                                 i < n ? man[i].name : "the end");
                if (man[i].list != k->list)
                        fail_msg("nestvirt.conf(5): %s= is %sa list, its entry should %sstart with \"A list\"",
                                 k->name, k->list ? "" : "not ", k->list ? "" : "not ");
                i++;
        }
        if (i < n)
                fail_msg("nestvirt.conf(5) documents %s=, which is not a key", man[i].name);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_samples_match_table),
                cmocka_unit_test(test_every_key_parses),
                cmocka_unit_test(test_find),
                cmocka_unit_test(test_lists_append_and_reset),
                cmocka_unit_test(test_suggestions),
                cmocka_unit_test(test_wrong_section),
                cmocka_unit_test(test_vm_files),
                cmocka_unit_test(test_numa_node_values),
                cmocka_unit_test(test_cpu_options_values),
                cmocka_unit_test(test_man_page),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
