/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cpu-options.h"
#include "util.h"

typedef bool (*ValueSyntax)(const char *v, size_t n);

static bool is_number(const char *v, size_t n, unsigned long long max) {
        unsigned long long x = 0;
        if (n == 0 || n > 20)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (v[i] < '0' || v[i] > '9')
                        return false;
                x = x * 10 + (unsigned) (v[i] - '0');
                if (x > max)
                        return false;
        }
        return true;
}

static bool is_one_of(const char *v, size_t n, const char *const *words) {
        for (size_t i = 0; words[i]; i++)
                if (strlen(words[i]) == n && strncmp(v, words[i], n) == 0)
                        return true;
        return false;
}

static bool syntax_u32(const char *v, size_t n) {
        return is_number(v, n, UINT32_MAX);
}

/* Cloud Hypervisor's Toggle (config.rs): on, off, true, false. */
static bool syntax_toggle(const char *v, size_t n) {
        static const char *const words[] = { "on", "off", "true", "false", NULL };
        return is_one_of(v, n, words);
}

static bool syntax_core_scheduling(const char *v, size_t n) {
        static const char *const words[] = { "vm", "vcpu", "off", NULL };
        return is_one_of(v, n, words);
}

static bool syntax_profile(const char *v, size_t n) {
        static const char *const words[] = { "Host", NULL };
        return is_one_of(v, n, words);
}

/* THREADS:CORES:DIES:PACKAGES, each a u16. */
static bool syntax_topology(const char *v, size_t n) {
        unsigned parts = 0;
        for (size_t i = 0, start = 0; i <= n; i++)
                if (i == n || v[i] == ':') {
                        if (!is_number(v + start, i - start, UINT16_MAX))
                                return false;
                        parts++;
                        start = i + 1;
                }
        return parts == 4;
}

/* features=amx or features=[amx,...]: names of letters, digits and '_'. */
static bool syntax_features(const char *v, size_t n) {
        if (n >= 2 && v[0] == '[' && v[n - 1] == ']') {
                v++;
                n -= 2;
        }
        bool word = false;
        for (size_t i = 0; i < n; i++) {
                char c = v[i];
                if (c == ',') {
                        if (!word)
                                return false;
                        word = false;
                } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
                        word = true;
                else
                        return false;
        }
        return word;
}

static bool syntax_phys_bits(const char *v, size_t n) {
        unsigned bits = 0;
        if (!is_number(v, n, MAX_PHYS_BITS_MAX))
                return false;
        for (size_t i = 0; i < n; i++)
                bits = bits * 10 + (unsigned) (v[i] - '0');
        return bits >= MAX_PHYS_BITS_MIN;
}

static const struct {
        const char *name;
        ValueSyntax syntax;
        const char *hint;
} cpu_options[] = {
        { "max", syntax_u32, "a vCPU count (for hotplug)" },
        { "topology", syntax_topology, "THREADS:CORES:DIES:PACKAGES, e.g. 1:4:1:2" },
        { "kvm_hyperv", syntax_toggle, "on or off" },
        { "max_phys_bits", syntax_phys_bits, "a number of address bits from 36 to 52" },
        { "features", syntax_features, "a feature name such as amx, or a list [amx,...]" },
        { "nested", syntax_toggle, "on or off" },
        { "core_scheduling", syntax_core_scheduling, "vm, vcpu or off" },
        { "profile", syntax_profile, "Host" },
};

/* The next "key=value" of a comma list, commas inside [...] included. */
static size_t option_length(const char *s) {
        size_t n = 0;
        int depth = 0;
        for (; s[n] && (depth > 0 || s[n] != ','); n++)
                depth += s[n] == '[' ? 1 : s[n] == ']' ? -1 : 0;
        return n;
}

static int check_option(const char *s, size_t n, bool *seen, unsigned *max_phys_bits, char *why, size_t size) {
        const char *eq = memchr(s, '=', n);
        size_t key = eq ? (size_t) (eq - s) : n;
        if (!eq || key == 0) {
                snprintf(why, size, "'%.*s' is not OPTION=VALUE", (int) n, s);
                return -EINVAL;
        }
        if ((key == 4 && strncmp(s, "boot", 4) == 0) || (key == 8 && strncmp(s, "affinity", 8) == 0)) {
                snprintf(why, size, "%.*s= is written by nestvirt from %s; set it there", (int) key, s,
                         key == 4 ? "CPUs=" : "CPUAffinity=");
                return -EINVAL;
        }
        for (size_t i = 0; i < ELEMENTSOF(cpu_options); i++) {
                if (strlen(cpu_options[i].name) != key || strncmp(s, cpu_options[i].name, key) != 0)
                        continue;
                if (seen[i]) {
                        snprintf(why, size, "%s= is given twice", cpu_options[i].name);
                        return -EINVAL;
                }
                seen[i] = true;
                const char *v = eq + 1;
                size_t vn = n - key - 1;
                if (!cpu_options[i].syntax(v, vn)) {
                        snprintf(why, size, "%s=%.*s: must be %s", cpu_options[i].name, (int) vn, v,
                                 cpu_options[i].hint);
                        return -EINVAL;
                }
                if (streq(cpu_options[i].name, "max_phys_bits"))
                        *max_phys_bits = (unsigned) strtoul(v, NULL, 10);
                return 0;
        }
        snprintf(why, size, "unknown --cpus option '%.*s'; Cloud Hypervisor has max, topology, kvm_hyperv, "
                 "max_phys_bits, features, nested, core_scheduling and profile", (int) key, s);
        return -EINVAL;
}

int cpu_options_check(const char *value, unsigned *ret_max_phys_bits, char *why, size_t size) {
        bool seen[ELEMENTSOF(cpu_options)] = {};
        unsigned max_phys_bits = 0;

        for (const char *s = value;;) {
                size_t n = option_length(s);
                int r = check_option(s, n, seen, &max_phys_bits, why, size);
                if (r < 0)
                        return r;
                if (!s[n])
                        break;
                s += n + 1;
        }
        *ret_max_phys_bits = max_phys_bits;
        return 0;
}
