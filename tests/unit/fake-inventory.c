/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "fake-inventory.h"
#include "util.h"

/* ---- a fake inventory ---- */

void inv_init(Inventory *inv) {
        *inv = (Inventory) { .has_pci = true, .has_nodes = true, .gigantic_pages = true, .irq_info = true };
}

void add_node(Inventory *inv, unsigned id, const char *cpus, uint64_t memory_gib) {
        NumaNode *x = realloc(inv->nodes, sizeof(NumaNode) * (inv->n_nodes + 1));
        assert_non_null(x);
        inv->nodes = x;
        x[inv->n_nodes] = (NumaNode) { .id = id, .memory_kib = memory_gib * GIB_KIB };
        assert_int_equal(cpu_set_parse(cpus, &x[inv->n_nodes].cpus), 0);
        inv->n_nodes++;
}

void add_dev(Inventory *inv, const char *address, uint16_t vendor, uint16_t device, uint32_t class, int node,
             int group, const char *driver) {
        PciDevice *x = realloc(inv->devices, sizeof(PciDevice) * (inv->n_devices + 1));
        assert_non_null(x);
        inv->devices = x;
        PciDevice *d = &x[inv->n_devices++];
        *d = (PciDevice) {
                .vendor = vendor,
                .device = device,
                .class = class,
                .numa_node = node,
                .iommu_group = group,
                .driver = driver ? strdup(driver) : NULL,
                .bridge = (class >> 8) == 0x0604,
        };
        assert_int_equal(pci_address_parse(address, &d->address), 0);
        pci_address_format(d->address, d->name);
}

void add_iommu(Inventory *inv, const char *name, const char *driver) {
        Iommu *x = realloc(inv->iommus, sizeof(Iommu) * (inv->n_iommus + 1));
        assert_non_null(x);
        inv->iommus = x;
        x[inv->n_iommus++] = (Iommu) { .name = strdup(name), .driver = driver ? strdup(driver) : NULL };
}

static int cmp_dev(const void *a, const void *b) {
        return pci_address_compare(((const PciDevice *) a)->address, ((const PciDevice *) b)->address);
}

static int cmp_node(const void *a, const void *b) {
        unsigned x = ((const NumaNode *) a)->id, y = ((const NumaNode *) b)->id;
        return x < y ? -1 : x > y;
}

/* inventory_load() sorts devices by address and nodes by id; so do we. */
void inv_sort(Inventory *inv) {
        if (inv->n_devices > 0)
                qsort(inv->devices, inv->n_devices, sizeof(PciDevice), cmp_dev);
        if (inv->n_nodes > 0)
                qsort(inv->nodes, inv->n_nodes, sizeof(NumaNode), cmp_node);
}

size_t dev(const Inventory *inv, const char *address) {
        PciAddress a;
        assert_int_equal(pci_address_parse(address, &a), 0);
        const PciDevice *d = inventory_find_device(inv, a);
        if (!d)
                fail_msg("no device %s in the inventory", address);
        return (size_t) (d - inv->devices);
}

/* Two nodes: CPUs 0-15,32-47 and 16-31,48-63, 512 GiB each, virtio-iommu. */
void two_nodes(Inventory *inv) {
        inv_init(inv);
        add_node(inv, 1, "16-31,48-63", 512);
        add_node(inv, 0, "0-15,32-47", 512);
        add_iommu(inv, "0000:00:02.0", "virtio_iommu");
}

/* 8 GPUs (10de:2330), 4 per node, each in its own IOMMU group; node 0 has the lower addresses. */
void eight_gpus(Inventory *inv) {
        two_nodes(inv);
        /* Added out of order on purpose. */
        add_dev(inv, "0000:db:00.0", GPU, 1, 17, "nvidia");
        add_dev(inv, "0000:18:00.0", GPU, 0, 10, "nvidia");
        add_dev(inv, "0000:9a:00.0", GPU, 1, 14, "nvidia");
        add_dev(inv, "0000:2a:00.0", GPU, 0, 11, "nvidia");
        add_dev(inv, "0000:ab:00.0", GPU, 1, 15, "nvidia");
        add_dev(inv, "0000:3a:00.0", GPU, 0, 12, "nvidia");
        add_dev(inv, "0000:ba:00.0", GPU, 1, 16, "nvidia");
        add_dev(inv, "0000:5d:00.0", GPU, 0, 13, "nvidia");
        inv_sort(inv);
}

/* ---- captured sysfs fixtures ---- */

char *fixture(const char *name) {
        const char *src = getenv("SRCDIR");
        if (!src)
                fail_msg("SRCDIR is not set (meson sets it to the source root)");
        char *p = strjoin(src, "/tests/fixtures/", name);
        assert_non_null(p);
        struct stat st;
        if (stat(p, &st) < 0)
                fail_msg("fixture %s is missing", p);
        return p;
}

const PciDevice *fixture_dev(const Inventory *inv, const char *address) {
        return &inv->devices[dev(inv, address)];
}
