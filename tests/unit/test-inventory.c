/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host inventory (src/core/inventory.c): what is read from sysfs under a root, on hand-made
 * trees and on the sysfs fixtures captured from lab machines (tests/fixtures/). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>

#include "capture-info.h"
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

/* A device whose numa_node names a node without a node directory has no NUMA information:
 * planning on node 3 of a one-node machine would reserve no pages. */
static void test_stray_numa_node(void **state) {
        char root[] = "/tmp/nestvirt-test-inventory-XXXXXX";
        assert_non_null(mkdtemp(root));
        put_file(root, "/sys/devices/system/node/node0/cpulist", "0-1\n");
        put_file(root, "/sys/bus/pci/devices/0000:00:05.0/modalias", "pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00\n");
        put_file(root, "/sys/bus/pci/devices/0000:00:05.0/numa_node", "3\n");
        put_file(root, "/sys/bus/pci/devices/0000:00:06.0/modalias", "pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00\n");
        put_file(root, "/sys/bus/pci/devices/0000:00:06.0/numa_node", "0\n");

        Inventory inv;
        assert_int_equal(inventory_load(root, 0, &inv), 0);
        assert_int_equal(inv.n_devices, 2);
        assert_int_equal(inv.devices[0].numa_node, NODE_NONE);
        assert_true(inv.devices[0].stray_numa_node);
        assert_int_equal(inv.devices[0].kernel_numa_node, 3);
        assert_int_equal(inv.devices[1].numa_node, 0);
        assert_false(inv.devices[1].stray_numa_node);
        inventory_done(&inv);

        _cleanup_(freep) char *cmd = strjoin("rm -rf ", root);
        assert_int_equal(system(cmd), 0);
}

/* nodeN/distance: one distance per node, in node order; anything else is unknown. */
static void test_node_distances(void **state) {
        char root[] = "/tmp/nestvirt-test-inventory-XXXXXX";
        assert_non_null(mkdtemp(root));
        put_file(root, "/sys/devices/system/node/node0/distance", "10 21\n");
        put_file(root, "/sys/devices/system/node/node1/distance", "21 10\n");
        put_file(root, "/sys/devices/system/node/node2/distance", "10 x\n");

        Inventory inv;
        assert_int_equal(inventory_load(root, 0, &inv), 0);
        assert_int_equal(inv.n_nodes, 3);
        /* Two distances for three nodes: not the kernel's layout, so none are used. */
        assert_int_equal(inventory_node_distance(&inv, 0, 1), -1);
        assert_int_equal(inventory_node_distance(&inv, 2, 0), -1);
        inventory_done(&inv);

        put_file(root, "/sys/devices/system/node/node0/distance", "10 21 31\n");
        put_file(root, "/sys/devices/system/node/node1/distance", "21 10 21\n");
        put_file(root, "/sys/devices/system/node/node2/distance", "31 21 10\n");
        assert_int_equal(inventory_load(root, 0, &inv), 0);
        assert_int_equal(inventory_node_distance(&inv, 0, 2), 31);
        assert_int_equal(inventory_node_distance(&inv, 1, 1), 10);
        assert_int_equal(inventory_node_distance(&inv, 2, 1), 21);
        assert_int_equal(inventory_node_distance(&inv, 0, 3), -1);
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
        put_file(root, "/sys/devices/system/node/node1/cpulist", "0-1\n");   /* a node they can name */
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

/* Intel VMD's devices sit in domain 10000 and up: they were dropped silently. */
static void test_vmd_domains(void **state) {
        static const char *const names[] = { "10000:e1:00.0", "0000:41:00.0", "10001:00:02.0", "010000:00:03.0" };
        char root[] = "/tmp/nestvirt-test-inventory-XXXXXX";
        assert_non_null(mkdtemp(root));
        put_file(root, "/sys/devices/system/node/node1/cpulist", "0-1\n");   /* a node they can name */
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_(freep) char *p = strjoin("/sys/bus/pci/devices/", names[i], "/modalias");
                put_file(root, p, "pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02\n");
                _cleanup_(freep) char *n = strjoin("/sys/bus/pci/devices/", names[i], "/numa_node");
                put_file(root, n, "1\n");
        }

        Inventory inv;
        assert_int_equal(inventory_load(root, INVENTORY_DETAILS, &inv), 0);
        assert_int_equal(inv.n_devices, 3);   /* not the non-kernel spelling 010000: */
        assert_string_equal(inv.devices[0].name, "0000:41:00.0");
        assert_string_equal(inv.devices[1].name, "10000:e1:00.0");
        assert_string_equal(inv.devices[2].name, "10001:00:02.0");
        assert_int_equal(inv.devices[1].numa_node, 1);   /* its attributes were read under its name */
        PciAddress a;
        assert_int_equal(pci_address_parse("10000:e1:00.0", &a), 0);
        assert_ptr_equal(inventory_find_device(&inv, a), &inv.devices[1]);
        inventory_done(&inv);

        _cleanup_(freep) char *cmd = strjoin("rm -rf ", root);
        assert_int_equal(system(cmd), 0);
}

/* reset_method: empty is "the kernel knows no reset"; an absent file (kernels before 5.15) is
 * unknown, so the planner does not warn about it. */
static void test_reset_method(void **state) {
        static const char *const names[] = { "0000:00:05.0", "0000:00:06.0", "0000:00:07.0" };
        char root[] = "/tmp/nestvirt-test-inventory-XXXXXX";
        assert_non_null(mkdtemp(root));
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_(freep) char *p = strjoin("/sys/bus/pci/devices/", names[i], "/modalias");
                put_file(root, p, "pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00\n");
        }
        put_file(root, "/sys/bus/pci/devices/0000:00:05.0/reset_method", "\n");
        put_file(root, "/sys/bus/pci/devices/0000:00:06.0/reset_method", "flr bus\n");

        Inventory inv;
        assert_int_equal(inventory_load(root, 0, &inv), 0);   /* the generator's inventory too */
        assert_int_equal(inv.n_devices, 3);
        assert_int_equal(inv.devices[0].reset, PCI_RESET_NONE);
        assert_int_equal(inv.devices[1].reset, PCI_RESET_AVAILABLE);
        assert_int_equal(inv.devices[2].reset, PCI_RESET_UNKNOWN);
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

/* ---- the fixtures, read here without the reader's code ----
 *
 * Each captured fixture is compared with its own files, read with plain stdio, and where sysfs
 * says a thing twice, from the copy the reader does not use: vendor, device and class instead of
 * modalias, /sys/kernel/iommu_groups/N/devices instead of each device's iommu_group link. And with
 * the machine it was captured from: CAPTURE-INFO keeps the QEMU arguments that built it
 * (tests/lab/capture.sh, topology.sh). */

/* The first line of ROOT/PATH without its newline, or NULL when it cannot be read. */
static char *first_line(const char *root, const char *path) {
        _cleanup_(freep) char *p = strjoin(root, "/", path);
        assert_non_null(p);
        _cleanup_(fclosep) FILE *f = fopen(p, "re");
        if (!f)
                return NULL;
        char *line = NULL;
        size_t size = 0;
        if (getline(&line, &size, f) < 0) {
                free(line);
                return NULL;
        }
        line[strcspn(line, "\n")] = 0;
        return line;
}

/* A number file: "0x8086", "0x020000", "-1", "12". */
static long number_file(const char *root, const char *path) {
        _cleanup_(freep) char *s = first_line(root, path);
        if (!s)
                fail_msg("%s/%s cannot be read", root, path);
        char *end;
        errno = 0;
        long v = strtol(s, &end, 0);
        if (errno != 0 || end == s || *end)
                fail_msg("%s/%s holds \"%s\", not a number", root, path, s);
        return v;
}

/* The last component of the target of the link ROOT/PATH, or NULL when it is no link. */
static char *link_name(const char *root, const char *path) {
        _cleanup_(freep) char *p = strjoin(root, "/", path);
        char target[PATH_MAX];
        assert_non_null(p);
        ssize_t n = readlink(p, target, sizeof target - 1);
        if (n < 0)
                return NULL;
        target[n] = 0;
        const char *slash = strrchr(target, '/');
        char *r = strdup(slash ? slash + 1 : target);
        assert_non_null(r);
        return r;
}

static char *device_path(const char *name, const char *attribute) {
        char *p = strjoin("sys/bus/pci/devices/", name, "/", attribute);
        assert_non_null(p);
        return p;
}

static bool is_node_name(const char *s, unsigned *ret) {
        const char *num = startswith(s, "node");
        if (!num || !*num || strspn(num, "0123456789") != strlen(num))
                return false;
        *ret = (unsigned) strtoul(num, NULL, 10);
        return true;
}

static void load(const char *root, InventoryFlags flags, Inventory *inv) {
        assert_int_equal(inventory_load(root, flags, inv), 0);
}

/* Every entry of bus/pci/devices is there once, with what its files say. */
static void check_devices(const char *root, const Inventory *inv) {
        _cleanup_(freep) char *dir = strjoin(root, "/sys/bus/pci/devices");
        DIR *d = opendir(dir);
        size_t n = 0;

        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                n++;
                const PciDevice *x = fixture_dev(inv, de->d_name);
                _cleanup_(freep) char *vendor = device_path(de->d_name, "vendor");
                _cleanup_(freep) char *device = device_path(de->d_name, "device");
                _cleanup_(freep) char *class = device_path(de->d_name, "class");
                _cleanup_(freep) char *node = device_path(de->d_name, "numa_node");
                _cleanup_(freep) char *group_link = device_path(de->d_name, "iommu_group");
                _cleanup_(freep) char *driver_link = device_path(de->d_name, "driver");
                _cleanup_(freep) char *override_file = device_path(de->d_name, "driver_override");
                _cleanup_(freep) char *group = link_name(root, group_link);
                _cleanup_(freep) char *driver = link_name(root, driver_link);
                _cleanup_(freep) char *override = first_line(root, override_file);

                assert_string_equal(x->name, de->d_name);
                assert_int_equal(x->vendor, number_file(root, vendor));
                assert_int_equal(x->device, number_file(root, device));
                assert_int_equal(x->class, number_file(root, class));
                assert_int_equal(x->numa_node, number_file(root, node));
                assert_int_equal(x->iommu_group, group ? atoi(group) : -1);
                if (!streq_ptr(x->driver, driver))
                        fail_msg("%s: driver %s, the fixture says %s", x->name, strempty(x->driver), strempty(driver));
                if (override && (!*override || streq(override, "(null)"))) {
                        free(override);
                        override = NULL;
                }
                if (!streq_ptr(x->driver_override, override))
                        fail_msg("%s: driver_override %s, the fixture says %s", x->name, strempty(x->driver_override),
                                 strempty(override));
                /* PCI bridges (class 06 04) never join a claim; endpoints are no bridges. */
                if ((x->class >> 8) == 0x0604)
                        assert_true(x->bridge);
                if ((x->class >> 16) == 0x02 || (x->class >> 16) == 0x04)
                        assert_false(x->bridge);
        }
        closedir(d);
        assert_int_equal(inv->n_devices, n);
        for (size_t i = 1; i < inv->n_devices; i++)
                assert_true(pci_address_compare(inv->devices[i - 1].address, inv->devices[i].address) < 0);
}

/* The kernel's list of each group's members names the same groups as the devices' links. */
static void check_groups(const char *root, const Inventory *inv) {
        _cleanup_(freep) char *dir = strjoin(root, "/sys/kernel/iommu_groups");
        DIR *d = opendir(dir);
        size_t n_groups = 0, n_members = 0;

        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                n_groups++;
                _cleanup_(freep) char *members = strjoin(dir, "/", de->d_name, "/devices");
                DIR *m = opendir(members);
                assert_non_null(m);
                for (struct dirent *me; (me = readdir(m));) {
                        if (me->d_name[0] == '.')
                                continue;
                        n_members++;
                        if (fixture_dev(inv, me->d_name)->iommu_group != atoi(de->d_name))
                                fail_msg("%s is in group %s, the inventory says %d", me->d_name, de->d_name,
                                         fixture_dev(inv, me->d_name)->iommu_group);
                }
                closedir(m);
        }
        closedir(d);

        size_t in_groups = 0, distinct = 0;
        for (size_t i = 0; i < inv->n_devices; i++) {
                int g = inv->devices[i].iommu_group;
                if (g < 0)
                        continue;
                in_groups++;
                bool seen = false;
                for (size_t j = 0; j < i; j++)
                        seen = seen || inv->devices[j].iommu_group == g;
                distinct += !seen;
        }
        assert_int_equal(in_groups, n_members);
        assert_int_equal(distinct, n_groups);
}

/* Each node%u: its CPUs, its MemTotal and its 1 GiB pool. */
static void check_nodes(const char *root, const Inventory *inv) {
        _cleanup_(freep) char *dir = strjoin(root, "/sys/devices/system/node");
        DIR *d = opendir(dir);
        size_t n = 0;
        unsigned id;

        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d));) {
                if (!is_node_name(de->d_name, &id))
                        continue;
                n++;
                const NumaNode *x = inventory_find_node(inv, id);
                if (!x)
                        fail_msg("no node %u in the inventory", id);
                _cleanup_(freep) char *base = strjoin("sys/devices/system/node/", de->d_name);
                _cleanup_(freep) char *cpulist = strjoin(base, "/cpulist");
                _cleanup_(freep) char *nr = strjoin(base, "/hugepages/hugepages-1048576kB/nr_hugepages");
                _cleanup_(freep) char *free_pages = strjoin(base, "/hugepages/hugepages-1048576kB/free_hugepages");
                _cleanup_(freep) char *cpus = first_line(root, cpulist);
                _cleanup_(freep) char *formatted = cpu_set_format(&x->cpus);
                assert_non_null(cpus);
                assert_string_equal(formatted, cpus);
                assert_int_equal(x->pages_nr, number_file(root, nr));
                assert_int_equal(x->pages_free, number_file(root, free_pages));

                /* "Node 0 MemTotal:        2990956 kB" */
                _cleanup_(freep) char *meminfo = strjoin(dir, "/", de->d_name, "/meminfo");
                _cleanup_(fclosep) FILE *f = fopen(meminfo, "re");
                char line[256];
                unsigned line_node;
                uint64_t kib = 0;
                assert_non_null(f);
                while (fgets(line, sizeof line, f))
                        if (sscanf(line, "Node %u MemTotal: %" SCNu64 " kB", &line_node, &kib) == 2)
                                break;
                assert_int_equal(line_node, id);
                assert_true(kib > 0);
                assert_int_equal(x->memory_kib, kib);
        }
        closedir(d);
        assert_int_equal(inv->n_nodes, n);
        assert_int_equal(inv->has_nodes, n > 0);
}

/* The registered IOMMUs, whether an interrupt chip remaps ("IR-..."), whether 1 GiB pages exist. */
static void check_iommus_and_interrupts(const char *root, const Inventory *inv) {
        _cleanup_(freep) char *dir = strjoin(root, "/sys/class/iommu");
        DIR *d = opendir(dir);
        size_t n = 0;

        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                n++;
                bool found = false;
                for (size_t i = 0; i < inv->n_iommus; i++)
                        found = found || streq(inv->iommus[i].name, de->d_name);
                if (!found)
                        fail_msg("IOMMU %s is not in the inventory", de->d_name);
        }
        closedir(d);
        assert_int_equal(inv->n_iommus, n);

        _cleanup_(freep) char *irq = strjoin(root, "/sys/kernel/irq");
        DIR *i = opendir(irq);
        bool remapped = false;
        assert_non_null(i);
        for (struct dirent *de; (de = readdir(i));) {
                _cleanup_(freep) char *chip_file = strjoin("sys/kernel/irq/", de->d_name, "/chip_name");
                _cleanup_(freep) char *chip = de->d_name[0] == '.' ? NULL : first_line(root, chip_file);
                remapped = remapped || (chip && startswith(chip, "IR-"));
        }
        closedir(i);
        assert_true(inv->irq_info);
        assert_int_equal(inv->interrupt_remapping, remapped);

        _cleanup_(freep) char *gigantic = strjoin(root, "/sys/kernel/mm/hugepages/hugepages-1048576kB");
        assert_int_equal(inv->gigantic_pages, access(gigantic, F_OK) >= 0);
}

static void check_files(const char *name) {
        _cleanup_(freep) char *root = fixture(name);
        Inventory inv;
        load(root, INVENTORY_DETAILS, &inv);
        assert_true(inv.has_pci);
        check_devices(root, &inv);
        check_groups(root, &inv);
        check_nodes(root, &inv);
        check_iommus_and_interrupts(root, &inv);
        inventory_done(&inv);
}

/* ---- the machine each fixture was captured from ---- */

static size_t count_id(const Inventory *inv, uint16_t vendor, uint16_t device) {
        size_t n = 0;
        for (size_t i = 0; i < inv->n_devices; i++)
                n += inv->devices[i].vendor == vendor && inv->devices[i].device == device;
        return n;
}

/* An expander's node holds for the buses from its bus_nr up to the next one's; the root bus has
 * no node. */
static int expected_node(const Machine *m, unsigned bus) {
        int node = -1;
        unsigned from = 0;
        for (size_t i = 0; i < m->n_expanders; i++)
                if (m->expanders[i].bus <= bus && m->expanders[i].bus >= from) {
                        from = m->expanders[i].bus;
                        node = m->expanders[i].node;
                }
        return node;
}

static void check_machine_nodes(const Machine *m, const Inventory *inv) {
        assert_int_equal(inv->n_nodes, m->n_nodes);
        for (size_t i = 0; i < m->n_nodes; i++) {
                const NumaNode *x = inventory_find_node(inv, m->nodes[i].id);
                if (!x)
                        fail_msg("no node %u in the inventory", m->nodes[i].id);
                _cleanup_(freep) char *cpus = cpu_set_format(&x->cpus);
                assert_string_equal(cpus, m->nodes[i].cpus);
                /* Its memory, less what the kernel keeps for itself. */
                uint64_t gib = 0;
                for (size_t j = 0; j < m->n_memories; j++)
                        if (streq(m->memories[j].id, m->nodes[i].memdev))
                                gib = m->memories[j].gib;
                assert_true(gib > 0);
                assert_true(x->memory_kib <= gib * GIB_KIB);
                assert_true(x->memory_kib > gib * GIB_KIB / 2);
        }
        for (size_t i = 0; i < inv->n_devices; i++) {
                const PciDevice *d = &inv->devices[i];
                if (d->numa_node != expected_node(m, d->address.bus))
                        fail_msg("%s is on node %d, its bus on node %d", d->name, d->numa_node,
                                 expected_node(m, d->address.bus));
        }
}

static void check_machine(const char *name) {
        _cleanup_(freep) char *root = fixture(name);
        Machine m;
        Inventory inv;
        parse_machine(root, &m);
        load(root, INVENTORY_DETAILS, &inv);

        /* QEMU's e1000e is 8086:10d3 (the lab's stand-in GPU), its ich9-intel-hda 8086:293e. */
        assert_true(m.n_e1000e > 0);
        assert_int_equal(count_id(&inv, 0x8086, 0x10d3), m.n_e1000e);
        assert_int_equal(count_id(&inv, 0x8086, 0x293e), m.n_hda);
        check_machine_nodes(&m, &inv);

        /* One IOMMU, of the kind asked for. */
        assert_true(m.intel_iommu != m.virtio_iommu);
        assert_int_equal(inv.n_iommus, 1);
        if (m.intel_iommu) {
                assert_string_equal(inv.iommus[0].name, "dmar0");
                assert_string_equal(inv.iommus[0].driver, "intel-iommu");
                assert_int_equal(inv.interrupt_remapping, m.intremap);
        } else {
                assert_string_equal(inv.iommus[0].driver, "virtio_iommu");
                /* At its addr= on the root bus: a modern virtio device, 1af4:(1040 + type 23). */
                char address[32];
                snprintf(address, sizeof address, "0000:00:%02x.0", m.virtio_iommu_slot);
                assert_int_equal(fixture_dev(&inv, address)->vendor, 0x1af4);
                assert_int_equal(fixture_dev(&inv, address)->device, 0x1040 + 23);
                assert_false(inv.interrupt_remapping);
        }
        assert_int_equal(inventory_needs_unsafe_interrupts(&inv), m.virtio_iommu || !m.intremap);
        assert_int_equal(inv.gigantic_pages, !m.no_gigantic_pages);
        inventory_done(&inv);
}

/* Without INVENTORY_DETAILS (the generator, on every boot): the same devices, nodes and IOMMUs,
 * no drivers, bridges not looked into, and the same answer on unsafe interrupts. */
static void check_without_details(const char *name) {
        _cleanup_(freep) char *root = fixture(name);
        Inventory full, quick;
        load(root, INVENTORY_DETAILS, &full);
        load(root, 0, &quick);

        assert_int_equal(quick.n_devices, full.n_devices);
        for (size_t i = 0; i < full.n_devices; i++) {
                const PciDevice *q = &quick.devices[i], *f = &full.devices[i];
                assert_string_equal(q->name, f->name);
                assert_int_equal(q->vendor, f->vendor);
                assert_int_equal(q->device, f->device);
                assert_int_equal(q->class, f->class);
                assert_int_equal(q->bridge, f->bridge);
                assert_null(q->driver);
                assert_null(q->driver_override);
                /* inventory.h: the bridges' nodes and groups are details. */
                assert_int_equal(q->numa_node, f->bridge ? -1 : f->numa_node);
                assert_int_equal(q->iommu_group, f->bridge ? -1 : f->iommu_group);
        }
        assert_int_equal(quick.n_nodes, full.n_nodes);
        assert_int_equal(quick.n_iommus, full.n_iommus);
        assert_int_equal(quick.gigantic_pages, full.gigantic_pages);
        /* virtio-iommu settles it: the interrupt chips are not read. */
        if (inventory_has_virtio_iommu(&full))
                assert_false(quick.irq_info);
        else {
                assert_true(quick.irq_info);
                assert_int_equal(quick.interrupt_remapping, full.interrupt_remapping);
        }
        assert_int_equal(inventory_needs_unsafe_interrupts(&quick), inventory_needs_unsafe_interrupts(&full));
        inventory_done(&quick);
        inventory_done(&full);
}

#define FIXTURE_CASES(id, name)                                                                    \
        static void test_##id##_files(void **state) {                                              \
                check_files(name);                                                                  \
        }                                                                                           \
        static void test_##id##_machine(void **state) {                                            \
                check_machine(name);                                                                \
        }                                                                                           \
        static void test_##id##_without_details(void **state) {                                    \
                check_without_details(name);                                                        \
        }

FIXTURE_CASES(intel_8gpu_2node, "intel-8gpu-2node")
FIXTURE_CASES(virtio_2node_4dev, "virtio-2node-4dev")
FIXTURE_CASES(virtio_8gpu_2node, "virtio-8gpu-2node")

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_inventory_needs_unsafe_interrupts),
                cmocka_unit_test(test_empty_inventory),
                cmocka_unit_test(test_node_names),
                cmocka_unit_test(test_device_names),
                cmocka_unit_test(test_stray_numa_node),
                cmocka_unit_test(test_node_distances),
                cmocka_unit_test(test_vmd_domains),
                cmocka_unit_test(test_reset_method),
                cmocka_unit_test(test_fixture_virtio_2node_4dev),
                cmocka_unit_test(test_fixture_intel_8gpu_2node),
                cmocka_unit_test(test_intel_8gpu_2node_files),
                cmocka_unit_test(test_intel_8gpu_2node_machine),
                cmocka_unit_test(test_intel_8gpu_2node_without_details),
                cmocka_unit_test(test_virtio_2node_4dev_files),
                cmocka_unit_test(test_virtio_2node_4dev_machine),
                cmocka_unit_test(test_virtio_2node_4dev_without_details),
                cmocka_unit_test(test_virtio_8gpu_2node_files),
                cmocka_unit_test(test_virtio_8gpu_2node_machine),
                cmocka_unit_test(test_virtio_8gpu_2node_without_details),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
