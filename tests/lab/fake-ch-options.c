/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fake-ch's command line: Cloud Hypervisor's options as nestvirt generates them, parsed the
 * way CH does (comma-separated key=value, brackets and quotes kept together); unknown
 * options and keys are refused, as CH refuses them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake-ch.h"

Options options;

/* Splits "a=1,b=[2,3],c=\"x,y\"" at the commas outside brackets and quotes, as CH's option
 * parser does; quotes are dropped from the values. Returns the number of items. */
static size_t split_items(const char *opt, const char *s, char *items[], size_t max) {
        size_t n = 0, len = 0;
        int depth = 0;
        bool quoted = false;
        char *cur = calloc(strlen(s) + 1, 1);
        if (!cur)
                fail("argv", ENOMEM, "%s", opt);
        for (const char *p = s;; p++) {
                if (*p == '"') {
                        quoted = !quoted;
                        continue;
                }
                if (!quoted && *p == '[')
                        depth++;
                if (!quoted && *p == ']' && --depth < 0)
                        fail("argv", 0, "%s %s: unbalanced ]", opt, s);
                if (*p == 0 || (*p == ',' && depth == 0 && !quoted)) {
                        if (n == max)
                                fail("argv", 0, "%s %s: too many items", opt, s);
                        cur[len] = 0;
                        items[n++] = strdup(cur);
                        len = 0;
                        if (*p == 0)
                                break;
                        continue;
                }
                cur[len++] = *p;
        }
        free(cur);
        if (quoted || depth != 0)
                fail("argv", 0, "%s %s: unbalanced quotes or brackets", opt, s);
        return n;
}

/* "key=value" of an option that knows only the keys in KNOWN (space-separated); a bare word
 * comes back as key with value NULL. Unknown keys are refused, as CH refuses them. */
static void key_value(const char *opt, char *item, const char *known, char **key, char **value) {
        char *eq = strchr(item, '=');
        if (eq)
                *eq = 0;
        *key = item;
        *value = eq ? eq + 1 : NULL;
        size_t l = strlen(item);
        if (l == 0)
                fail("argv", 0, "%s: an empty item (two commas in a row?)", opt);
        for (const char *k = known; (k = strstr(k, item)); k += l)
                if ((k == known || k[-1] == ' ') && (k[l] == ' ' || k[l] == 0))
                        return;
        fail("argv", 0, "%s: unknown key '%s' (Cloud Hypervisor would refuse it too)", opt, item);
}

/* Sizes take K, M or G (uppercase only) or nothing, as CH's ByteSized. */
static uint64_t parse_size(const char *opt, const char *s) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s ?: "", &end, 10);
        unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
        if (errno || end == s || (shift && end[1]) || (!shift && *end))
                fail("argv", 0, "%s: size '%s' is not a number with K, M or G", opt, s ?: "");
        return (uint64_t) v << shift;
}

static bool parse_on_off(const char *opt, const char *key, const char *v) {
        if (v && strcmp(v, "on") == 0)
                return true;
        if (v && strcmp(v, "off") == 0)
                return false;
        fail("argv", 0, "%s: %s=%s is neither on nor off", opt, key, v ?: "");
}

/* "[0-3,6]" into SET. */
static void parse_cpu_list(const char *s, cpu_set_t *set) {
        char *end;
        if (*s++ != '[')
                fail("argv", 0, "--cpus: CPU list %s has no brackets", s - 1);
        for (;;) {
                long a = strtol(s, &end, 10), b = a;
                if (end == s)
                        fail("argv", 0, "--cpus: bad CPU list at '%s'", s);
                if (*end == '-')
                        b = strtol(s = end + 1, &end, 10);
                if (a < 0 || b < a || b >= CPU_SETSIZE)
                        fail("argv", 0, "--cpus: bad CPU range at '%s'", s);
                for (long c = a; c <= b; c++)
                        CPU_SET(c, set);
                if (*end == ']' && end[1] == 0)
                        return;
                if (*end != ',')
                        fail("argv", 0, "--cpus: bad CPU list at '%s'", end);
                s = end + 1;
        }
}

static void parse_cpus(const char *opt, const char *arg) {
        char *items[MAX_ITEMS], *k, *v;
        size_t n = split_items(opt, arg, items, MAX_ITEMS);
        for (size_t i = 0; i < n; i++) {
                key_value(opt, items[i], "boot max topology kvm_hyperv max_phys_bits affinity features nested "
                          "core_scheduling", &k, &v);
                if (strcmp(k, "boot") == 0)
                        options.boot_vcpus = (unsigned) parse_size(opt, v);
                else if (strcmp(k, "affinity") == 0) {
                        /* [VCPU@[CPUS],...]: the union is where this process may run. */
                        size_t l = v ? strlen(v) : 0;
                        if (l < 2 || v[0] != '[' || v[l - 1] != ']')
                                fail("argv", 0, "%s: affinity=%s needs outer brackets", opt, v ?: "");
                        v[l - 1] = 0;
                        char *entries[256];
                        size_t m = split_items(opt, v + 1, entries, 256);
                        for (size_t j = 0; j < m; j++) {
                                char *at = strchr(entries[j], '@');
                                if (!at)
                                        fail("argv", 0, "%s: affinity entry '%s' is not VCPU@[CPUS]", opt, entries[j]);
                                parse_cpu_list(at + 1, &options.affinity);
                                free(entries[j]);
                        }
                        options.has_affinity = true;
                }
        }
}

static void parse_memory_zone(const char *opt, const char *arg) {
        char *items[MAX_ITEMS], *k, *v;
        Zone *z = &options.zones[options.n_zones];
        bool hugepages = false;
        if (options.n_zones == MAX_ITEMS)
                fail("argv", 0, "too many %s", opt);
        *z = (Zone) { .node = -1 };
        size_t n = split_items(opt, arg, items, MAX_ITEMS);
        for (size_t i = 0; i < n; i++) {
                key_value(opt, items[i], "id size file shared hugepages hugepage_size host_numa_node hotplug_size "
                          "hotplugged_size prefault reserve mergeable", &k, &v);
                if (strcmp(k, "id") == 0)
                        z->id = v;
                else if (strcmp(k, "size") == 0)
                        z->size = parse_size(opt, v);
                else if (strcmp(k, "hugepages") == 0)
                        hugepages = parse_on_off(opt, k, v);
                else if (strcmp(k, "hugepage_size") == 0)
                        z->page_size = parse_size(opt, v);
                else if (strcmp(k, "host_numa_node") == 0)
                        z->node = (int) parse_size(opt, v);
        }
        /* The lab checks what nestvirt generates: hugepage-backed zones with an explicit size. */
        if (!z->id || !z->size || !hugepages || !z->page_size || (z->page_size & (z->page_size - 1)) ||
            z->size % z->page_size)
                fail("argv", 0, "%s %s: want id=, size= (a multiple of hugepage_size), hugepages=on and "
                     "hugepage_size= a power of two", opt, arg);
        options.n_zones++;
}

static void parse_disk(const char *opt, const char *arg) {
        char *items[MAX_ITEMS], *k, *v;
        Disk *d = &options.disks[options.n_disks];
        if (options.n_disks == MAX_ITEMS)
                fail("argv", 0, "too many %s", opt);
        *d = (Disk) { .fd = -1 };
        size_t n = split_items(opt, arg, items, MAX_ITEMS);
        for (size_t i = 0; i < n; i++) {
                key_value(opt, items[i], "path readonly direct iommu queue_size num_queues vhost_user socket "
                          "bw_size bw_one_time_burst bw_refill_time ops_size ops_one_time_burst ops_refill_time id "
                          "pci_segment serial rate_limit_group queue_affinity backing_files sparse image_type "
                          "lock_granularity", &k, &v);
                if (strcmp(k, "path") == 0)
                        d->path = v;
                else if (strcmp(k, "readonly") == 0)
                        d->readonly = parse_on_off(opt, k, v);
                else if (strcmp(k, "image_type") == 0 && (!v || (strcmp(v, "raw") && strcmp(v, "qcow2"))))
                        fail("argv", 0, "%s: image_type=%s", opt, v ?: "");
        }
        if (!d->path)
                fail("argv", 0, "%s %s: no path=", opt, arg);
        options.n_disks++;
}

static void parse_device(const char *opt, const char *arg) {
        char *items[MAX_ITEMS], *k, *v;
        Device *d = &options.devices[options.n_devices];
        if (options.n_devices == MAX_ITEMS)
                fail("argv", 0, "too many %s", opt);
        *d = (Device) {};
        size_t n = split_items(opt, arg, items, MAX_ITEMS);
        for (size_t i = 0; i < n; i++) {
                key_value(opt, items[i], "path fd iommu id pci_segment pci_device_id x_nv_gpudirect_clique "
                          "x_exclude_mmap_bars", &k, &v);
                if (strcmp(k, "path") == 0)
                        d->path = v;
                else if (strcmp(k, "id") == 0)
                        d->id = v;
        }
        if (!d->path)
                fail("argv", 0, "%s %s: no path=", opt, arg);
        for (size_t i = 0; i < options.n_devices; i++)
                if (d->id && options.devices[i].id && strcmp(d->id, options.devices[i].id) == 0)
                        fail("argv", 0, "%s: id=%s used twice", opt, d->id);
        options.n_devices++;
}

/* --serial and --console: off, null, pty, tty, file=PATH, socket=PATH. */
static char *parse_console(const char *opt, const char *arg) {
        char *items[4], *k, *v, *mode = NULL;
        size_t n = split_items(opt, arg, items, 4);
        for (size_t i = 0; i < n; i++) {
                key_value(opt, items[i], "off null pty tty file socket iommu", &k, &v);
                if (strcmp(k, "iommu") != 0)
                        mode = items[i];
                if (v)
                        k[strlen(k)] = '=';   /* keep "file=PATH" whole */
        }
        if (!mode)
                fail("argv", 0, "%s %s: no mode", opt, arg);
        return mode;
}

void parse_argv(int argc, char **argv) {
        for (int i = 1; i < argc; i++) {
                char *opt = argv[i], *eq = strchr(opt, '=');
                if (strncmp(opt, "--", 2) != 0)
                        fail("argv", 0, "unexpected argument '%s'", opt);
                if (eq)
                        *eq = 0;
                bool multi = !strcmp(opt, "--disk") || !strcmp(opt, "--device") || !strcmp(opt, "--memory-zone");
                /* A value: after '=', else the next argument; repeated options take more. */
                int first = eq ? i : i + 1, last = first;
                if (!eq && i + 1 >= argc)
                        fail("argv", 0, "%s needs a value", opt);
                while (multi && last + 1 < argc && strncmp(argv[last + 1], "--", 2) != 0)
                        last++;
                for (int j = first; j <= last; j++) {
                        char *val = j == i ? eq + 1 : argv[j];
                        if (!strcmp(opt, "--api-socket"))
                                options.api_socket = strncmp(val, "path=", 5) == 0 ? val + 5 : val;
                        else if (!strcmp(opt, "--cpus"))
                                parse_cpus(opt, val);
                        else if (!strcmp(opt, "--memory")) {
                                char *items[MAX_ITEMS], *k, *v;
                                size_t n = split_items(opt, val, items, MAX_ITEMS);
                                for (size_t m = 0; m < n; m++) {
                                        key_value(opt, items[m], "size file mergeable hotplug_method hotplug_size "
                                                  "hotplugged_size shared hugepages hugepage_size prefault reserve thp", &k, &v);
                                        if (strcmp(k, "size") == 0)
                                                options.memory_size = parse_size(opt, v);
                                }
                                options.has_memory = true;
                        } else if (!strcmp(opt, "--memory-zone"))
                                parse_memory_zone(opt, val);
                        else if (!strcmp(opt, "--kernel"))
                                options.kernel = val;
                        else if (!strcmp(opt, "--initramfs"))
                                options.initramfs = val;
                        else if (!strcmp(opt, "--firmware"))
                                options.firmware = val;
                        else if (!strcmp(opt, "--cmdline"))
                                options.cmdline = val;
                        else if (!strcmp(opt, "--disk"))
                                parse_disk(opt, val);
                        else if (!strcmp(opt, "--device"))
                                parse_device(opt, val);
                        else if (!strcmp(opt, "--serial"))
                                options.serial = parse_console(opt, val);
                        else if (!strcmp(opt, "--console"))
                                options.console = parse_console(opt, val);
                        else
                                fail("argv", 0, "option %s is not known to this stand-in (the lab's VM config does "
                                     "not use it)", opt);
                }
                i = last;
        }
        if (!options.api_socket)
                fail("argv", 0, "no --api-socket: nestvirt's stop and readiness need it");
        if (!!options.kernel == !!options.firmware)
                fail("argv", 0, "exactly one of --kernel and --firmware is needed");
        if (options.n_zones && (!options.has_memory || options.memory_size != 0))
                fail("argv", 0, "--memory-zone needs --memory size=0 (CH adds the zones to it)");
}
