/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host inventory (src/core/inventory.c): what is read from sysfs under a root, on hand-made
 * trees and on the sysfs fixtures captured from lab machines (tests/fixtures/). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "cpu-set.h"
#include "fake-inventory.h"
#include "inventory.h"
#include "pci-match.h"
#include "util.h"

/* ---- whether vfio needs unsafe interrupts ---- */

static void test_inventory_needs_unsafe_interrupts(void **state) {
        Inventory inv = {};
        assert_false(inventory_needs_unsafe_interrupts(&inv));   /* no IOMMU */
        add_iommu(&inv, "dmar0", "intel-iommu");
        inv.irq_info = true;
        inv.interrupt_remapping = true;
        assert_false(inventory_needs_unsafe_interrupts(&inv));
        inv.interrupt_remapping = false;
        assert_true(inventory_needs_unsafe_interrupts(&inv));
        inv.irq_info = false;
        assert_false(inventory_needs_unsafe_interrupts(&inv));
        add_iommu(&inv, "0000:00:02.0", "virtio_iommu");
        assert_true(inventory_needs_unsafe_interrupts(&inv));     /* whatever the chips say */
        inv.irq_info = true;
        inv.interrupt_remapping = true;
        assert_true(inventory_needs_unsafe_interrupts(&inv));
        inventory_done(&inv);

        /* Early in the initrd: the virtio-iommu PCI device is there, its driver not yet. */
        Inventory early = {};
        add_dev(&early, "0000:00:02.0", 0x1af4, 0x1057, 0x00ff00, -1, -1, NULL);
        assert_true(inventory_needs_unsafe_interrupts(&early));
        inventory_done(&early);
}

/* ---- hand-made trees ---- */

/* An image root without /sys (image CI), and one with empty sysfs directories. */
static void test_empty_inventory(void **state) {
        char root[] = "/tmp/nestvirt-test-inventory-XXXXXX";
        assert_non_null(mkdtemp(root));
        Inventory inv;
        PciAddress a;
        assert_int_equal(pci_address_parse("0000:18:00.0", &a), 0);

        assert_int_equal(inventory_load(root, INVENTORY_DETAILS, &inv), 0);
        assert_false(inv.has_pci);
        assert_false(inv.has_nodes);
        assert_int_equal(inv.n_devices, 0);
        assert_null(inventory_find_device(&inv, a));
        assert_null(inventory_find_node(&inv, 0));
        assert_false(inventory_needs_unsafe_interrupts(&inv));
        inventory_done(&inv);

        /* Empty directories: PCI is readable but has nothing. */
        static const char *const dirs[] = { "/sys", "/sys/bus", "/sys/bus/pci", "/sys/bus/pci/devices", "/sys/devices",
                                            "/sys/devices/system", "/sys/devices/system/node" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_(freep) char *d = strjoin(root, dirs[i]);
                assert_int_equal(mkdir(d, 0755), 0);
        }
        assert_int_equal(inventory_load(root, INVENTORY_DETAILS, &inv), 0);
        assert_true(inv.has_pci);
        assert_false(inv.has_nodes);
        assert_null(inventory_find_device(&inv, a));
        inventory_done(&inv);

        for (size_t i = ELEMENTSOF(dirs); i > 0; i--) {
                _cleanup_(freep) char *d = strjoin(root, dirs[i - 1]);
                assert_int_equal(rmdir(d), 0);
        }
        assert_int_equal(rmdir(root), 0);
}

/* Writes TEXT to ROOT/PATH, making the directories on the way. */
static void put_file(const char *root, const char *path, const char *text) {
        _cleanup_(freep) char *p = strjoin(root, path);
        assert_non_null(p);
        for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                assert_true(mkdir(p, 0755) >= 0 || errno == EEXIST);
                *s = '/';
        }
        FILE *f = fopen(p, "we");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

/* Found by fuzz/fuzz-inventory: a "node01" next to "node1" (an image's /sys can hold anything)
 * was read as a second node 1, with node1's files. Only the kernel's "node%u" counts. */
static void test_node_names(void **state) {
        char root[] = "/tmp/nestvirt-test-inventory-XXXXXX";
        assert_non_null(mkdtemp(root));
        put_file(root, "/sys/devices/system/node/node1/cpulist", "2-3\n");
        put_file(root, "/sys/devices/system/node/node01/cpulist", "4-5\n");
        put_file(root, "/sys/devices/system/node/node0/cpulist", "0-1\n");
        put_file(root, "/sys/devices/system/node/node/cpulist", "6\n");

        Inventory inv;
        assert_int_equal(inventory_load(root, INVENTORY_DETAILS, &inv), 0);
        assert_int_equal(inv.n_nodes, 2);
        assert_int_equal(inv.nodes[0].id, 0);
        assert_int_equal(inv.nodes[1].id, 1);
        assert_ptr_equal(inventory_find_node(&inv, 1), &inv.nodes[1]);
        assert_true(cpu_set_has(&inv.nodes[1].cpus, 2));
        assert_false(cpu_set_has(&inv.nodes[1].cpus, 4));
        inventory_done(&inv);

        _cleanup_(freep) char *cmd = strjoin("rm -rf ", root);
        assert_int_equal(system(cmd), 0);
}

/* Found by fuzz/fuzz-inventory too: a "00:06.0" or "0000:00:0A.0" entry was read through the
 * attributes of 0000:00:06.0 or 0000:00:0a.0, so a device could be listed twice. */
static void test_device_names(void **state) {
        static const char *const names[] = { "0000:00:06.0", "00:06.0", "0000:00:0A.0", "0000:00:0a.0" };
        char root[] = "/tmp/nestvirt-test-inventory-XXXXXX";
        assert_non_null(mkdtemp(root));
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_(freep) char *p = strjoin("/sys/bus/pci/devices/", names[i], "/modalias");
                put_file(root, p, "pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00\n");
        }

        Inventory inv;
        assert_int_equal(inventory_load(root, INVENTORY_DETAILS, &inv), 0);
        assert_int_equal(inv.n_devices, 2);
        assert_string_equal(inv.devices[0].name, "0000:00:06.0");
        assert_string_equal(inv.devices[1].name, "0000:00:0a.0");
        inventory_done(&inv);

        _cleanup_(freep) char *cmd = strjoin("rm -rf ", root);
        assert_int_equal(system(cmd), 0);
}

/* ---- captured sysfs fixtures: what the lab machines had ---- */

static void test_fixture_virtio_2node_4dev(void **state) {
        _cleanup_(freep) char *root = fixture("virtio-2node-4dev");
        Inventory inv;
        assert_int_equal(inventory_load(root, INVENTORY_DETAILS, &inv), 0);
        assert_true(inv.has_pci);
        assert_true(inv.has_nodes);
        assert_true(inv.gigantic_pages);

        /* Four e1000e (8086:10d3), two per node, each in its own group. */
        static const struct {
                const char *address;
                int node;
        } e1000e[] = {
                { "0000:21:00.0", 0 }, { "0000:22:00.0", 0 }, { "0000:41:00.0", 1 }, { "0000:42:00.0", 1 },
        };
        size_t n = 0;
        for (size_t i = 0; i < inv.n_devices; i++)
                n += inv.devices[i].vendor == 0x8086 && inv.devices[i].device == 0x10d3;
        assert_int_equal(n, 4);
        for (size_t i = 0; i < ELEMENTSOF(e1000e); i++) {
                const PciDevice *d = fixture_dev(&inv, e1000e[i].address);
                assert_int_equal(d->vendor, 0x8086);
                assert_int_equal(d->device, 0x10d3);
                assert_int_equal(d->class, 0x020000);
                assert_int_equal(d->numa_node, e1000e[i].node);
                assert_true(d->iommu_group >= 0);
                assert_string_equal(d->driver, "e1000e");
                assert_false(d->bridge);
                for (size_t j = 0; j < inv.n_devices; j++)
                        if (&inv.devices[j] != d && inv.devices[j].iommu_group == d->iommu_group)
                                fail_msg("%s shares IOMMU group %d with %s", d->name, d->iommu_group,
                                         inv.devices[j].name);
        }
        /* Sorted by address; root ports are bridges. */
        for (size_t i = 1; i < inv.n_devices; i++)
                assert_true(pci_address_compare(inv.devices[i - 1].address, inv.devices[i].address) < 0);
        assert_true(fixture_dev(&inv, "0000:20:00.0")->bridge);

        /* virtio-iommu: no interrupt remapping. */
        assert_int_equal(inv.n_iommus, 1);
        assert_string_equal(inv.iommus[0].driver, "virtio_iommu");
        assert_true(inventory_needs_unsafe_interrupts(&inv));

        /* Two nodes, CPUs 0-1 and 2-3. */
        assert_int_equal(inv.n_nodes, 2);
        assert_int_equal(inv.nodes[0].id, 0);
        assert_int_equal(inv.nodes[1].id, 1);
        _cleanup_(freep) char *c0 = cpu_set_format(&inv.nodes[0].cpus);
        _cleanup_(freep) char *c1 = cpu_set_format(&inv.nodes[1].cpus);
        assert_string_equal(c0, "0-1");
        assert_string_equal(c1, "2-3");
        assert_true(inv.nodes[0].memory_kib > GIB_KIB);
        assert_true(inv.nodes[1].memory_kib > GIB_KIB);
        inventory_done(&inv);
}

static void test_fixture_intel_8gpu_2node(void **state) {
        _cleanup_(freep) char *root = fixture("intel-8gpu-2node");
        Inventory inv;
        assert_int_equal(inventory_load(root, INVENTORY_DETAILS, &inv), 0);

        /* Eight e1000e (function 0) and eight ICH9 HDA (function 1), each pair in one group. */
        static const char *const slots[] = { "21", "22", "23", "24", "41", "42", "43", "44" };
        size_t n_nic = 0, n_audio = 0;
        for (size_t i = 0; i < inv.n_devices; i++) {
                n_nic += inv.devices[i].vendor == 0x8086 && inv.devices[i].device == 0x10d3;
                n_audio += inv.devices[i].vendor == 0x8086 && inv.devices[i].device == 0x293e;
        }
        assert_int_equal(n_nic, 8);
        assert_int_equal(n_audio, 8);
        for (size_t i = 0; i < ELEMENTSOF(slots); i++) {
                char a0[32], a1[32];
                snprintf(a0, sizeof a0, "0000:%s:00.0", slots[i]);
                snprintf(a1, sizeof a1, "0000:%s:00.1", slots[i]);
                const PciDevice *nic = fixture_dev(&inv, a0), *audio = fixture_dev(&inv, a1);
                assert_int_equal(nic->device, 0x10d3);
                assert_int_equal(audio->device, 0x293e);
                assert_int_equal(audio->class >> 8, 0x0403);
                assert_true(nic->iommu_group >= 0);
                assert_int_equal(audio->iommu_group, nic->iommu_group);
                assert_int_equal(nic->numa_node, i < 4 ? 0 : 1);
                assert_int_equal(audio->numa_node, nic->numa_node);
                size_t in_group = 0;
                for (size_t j = 0; j < inv.n_devices; j++)
                        in_group += inv.devices[j].iommu_group == nic->iommu_group;
                assert_int_equal(in_group, 2);
        }

        /* intel-iommu with interrupt remapping (IR- chips): no unsafe interrupts. */
        assert_int_equal(inv.n_iommus, 1);
        assert_string_equal(inv.iommus[0].name, "dmar0");
        assert_string_equal(inv.iommus[0].driver, "intel-iommu");
        assert_true(inv.irq_info);
        assert_true(inv.interrupt_remapping);
        assert_false(inventory_needs_unsafe_interrupts(&inv));

        assert_int_equal(inv.n_nodes, 2);
        _cleanup_(freep) char *c0 = cpu_set_format(&inv.nodes[0].cpus);
        _cleanup_(freep) char *c1 = cpu_set_format(&inv.nodes[1].cpus);
        assert_string_equal(c0, "0-1");
        assert_string_equal(c1, "2-3");
        inventory_done(&inv);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_inventory_needs_unsafe_interrupts),
                cmocka_unit_test(test_empty_inventory),
                cmocka_unit_test(test_node_names),
                cmocka_unit_test(test_device_names),
                cmocka_unit_test(test_fixture_virtio_2node_4dev),
                cmocka_unit_test(test_fixture_intel_8gpu_2node),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
