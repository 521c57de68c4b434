/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "capture-info.h"
#include "util.h"

/* The value of KEY= in QEMU's comma-separated option list LIST, copied to BUF, or NULL. */
static const char *option(const char *list, const char *key, char buf[static QEMU_OPTION_MAX]) {
        for (const char *s = list; s; s = strchr(s, ',')) {
                if (*s == ',')
                        s++;
                const char *v = startswith(s, key);
                if (v && *v == '=') {
                        snprintf(buf, QEMU_OPTION_MAX, "%.*s", (int) strcspn(v + 1, ","), v + 1);
                        return buf;
                }
        }
        return NULL;
}

/* Like option(), for a value that must be there. */
static const char *need(const char *list, const char *key, char buf[static QEMU_OPTION_MAX]) {
        if (!option(list, key, buf))
                fail_msg("no %s= in %s", key, list);
        return buf;
}

static void parse_device(Machine *m, const char *value) {
        char buf[QEMU_OPTION_MAX];

        if (startswith(value, "e1000e,"))
                m->n_e1000e++;
        else if (startswith(value, "ich9-intel-hda,"))
                m->n_hda++;
        else if (startswith(value, "intel-iommu")) {
                m->intel_iommu = true;
                m->intremap = streq_ptr(option(value, "intremap", buf), "on");
        } else if (startswith(value, "virtio-iommu-pci,")) {
                m->virtio_iommu = true;
                assert_string_equal(need(value, "bus", buf), "pcie.0");
                m->virtio_iommu_slot = (unsigned) strtoul(need(value, "addr", buf), NULL, 0);
        } else if (startswith(value, "pxb-pcie,")) {
                assert_true(m->n_expanders < MACHINE_PARTS_MAX);
                m->expanders[m->n_expanders].bus = (unsigned) strtoul(need(value, "bus_nr", buf), NULL, 0);
                m->expanders[m->n_expanders++].node = atoi(need(value, "numa_node", buf));
        }
}

static void parse_numa(Machine *m, const char *value) {
        char buf[QEMU_OPTION_MAX];
        assert_true(m->n_nodes < MACHINE_PARTS_MAX);
        m->nodes[m->n_nodes].id = (unsigned) atoi(need(value, "nodeid", buf));
        need(value, "cpus", m->nodes[m->n_nodes].cpus);
        need(value, "memdev", m->nodes[m->n_nodes].memdev);
        m->n_nodes++;
}

static void parse_memory(Machine *m, const char *value) {
        char size[QEMU_OPTION_MAX];
        assert_true(m->n_memories < MACHINE_PARTS_MAX);
        need(value, "id", m->memories[m->n_memories].id);
        need(value, "size", size);
        assert_string_equal(size + strspn(size, "0123456789"), "G");
        m->memories[m->n_memories++].gib = strtoull(size, NULL, 10);
}

void parse_machine(const char *root, Machine *m) {
        _cleanup_(freep) char *info = strjoin(root, "/CAPTURE-INFO");
        _cleanup_(fclosep) FILE *f = fopen(info, "re");
        _cleanup_(freep) char *line = NULL;
        size_t size = 0;
        const char *args = NULL;

        *m = (Machine) {};
        assert_non_null(f);
        while (!args && getline(&line, &size, f) >= 0)
                args = startswith(line, "qemu-machine-args: ");
        if (!args)
                fail_msg("%s has no qemu-machine-args", info);

        char *save = NULL, *prev = NULL;
        for (char *w = strtok_r((char *) args, " \n", &save); w; prev = w, w = strtok_r(NULL, " \n", &save)) {
                if (!prev)
                        continue;
                if (streq(prev, "-device"))
                        parse_device(m, w);
                else if (streq(prev, "-numa") && startswith(w, "node,"))
                        parse_numa(m, w);
                else if (streq(prev, "-object") && startswith(w, "memory-backend-ram,"))
                        parse_memory(m, w);
                else if (streq(prev, "-cpu"))
                        m->no_gigantic_pages = strstr(w, "pdpe1gb=off");
        }
}
