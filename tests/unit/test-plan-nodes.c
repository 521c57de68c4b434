/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VMs on several NUMA nodes (src/core/plan-nodes.c, plan-id-match.c, and the command line
 * render/vm-command.c makes of them): which nodes, the split of memory and vCPUs, the PCI
 * segments, and every error. Inventories built in C (fake-inventory.c); the 2-node sysfs
 * fixtures are covered by the golden cases whole-box and whole-box-options. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "fake-inventory.h"
#include "inventory.h"
#include "plan-check.h"
#include "plan.h"
#include "util.h"
#include "vm-command.h"

/* The kernel's distances: 10 to itself, 20 to a neighbour, 30 beyond. */
static void set_distances(Inventory *inv) {
        for (size_t i = 0; i < inv->n_nodes; i++) {
                inv->nodes[i].distances = calloc(inv->n_nodes, sizeof(unsigned));
                assert_non_null(inv->nodes[i].distances);
                inv->nodes[i].n_distances = inv->n_nodes;
                for (size_t j = 0; j < inv->n_nodes; j++)
                        inv->nodes[i].distances[j] = i == j ? 10 : i + 1 == j || j + 1 == i ? 20 : 30;
        }
}

/* Three nodes of 2 CPUs and 64 GiB, three GPUs each (groups 10+), node N on bus N+1. */
static void three_nodes(Inventory *inv) {
        inv_init(inv);
        add_node(inv, 2, "4-5", 64);
        add_node(inv, 0, "0-1", 64);
        add_node(inv, 1, "2-3", 64);
        add_iommu(inv, "0000:00:02.0", "virtio_iommu");
        int group = 10;
        for (int node = 0; node < 3; node++)
                for (int slot = 0; slot < 3; slot++) {
                        char a[32];
                        snprintf(a, sizeof a, "0000:%02x:%02x.0", node + 1, slot);
                        add_dev(inv, a, GPU, node, group++, NULL);
                }
        inv_sort(inv);
        set_distances(inv);
}

static unsigned devices_on(const Plan *p, const VmPlan *v, int node) {
        unsigned n = 0;
        for (size_t i = 0; i < v->n_devices; i++)
                n += p->inventory->devices[v->devices[i]].numa_node == node;
        return n;
}

static char **argv_of(const Plan *p, const char *name) {
        char **argv = NULL;
        assert_int_equal(vm_command_build(p, (size_t) vm_index(p, name), "/nonexistent", &argv), 0);
        return argv;
}

/* The values of every OPTION in ARGV, joined by " | ". */
static char *values_of(char **argv, const char *option) {
        char *joined = strdup("");
        assert_non_null(joined);
        for (size_t i = 0; argv[i] && argv[i + 1]; i++)
                if (streq(argv[i], option)) {
                        char *x = strjoin(joined, *joined ? " | " : "", argv[i + 1]);
                        assert_non_null(x);
                        free(joined);
                        joined = x;
                }
        return joined;
}

static void expect_values(char **argv, const char *option, const char *expected) {
        _cleanup_(freep) char *v = values_of(argv, option);
        if (!streq(v, expected))
                fail_msg("%s: got \"%s\", expected \"%s\"", option, v, expected);
}

/* ---- placement ---- */

/* 8 on 2 nodes of 4 is 4 + 4, and the whole command line follows. */
static void test_eight_on_two_nodes(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        eight_gpus(&inv);
        set_distances(&inv);
        config(&c, "[VM box]\nCPUs=16\nMemory=64G\nDevice=10de:2330*8\nPeerToPeer=yes\nKernel=/k\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        const VmPlan *v = vm(&p, "box");
        assert_int_equal(v->n_nodes, 2);
        assert_int_equal(v->numa_node, 0);
        for (unsigned n = 0; n < 2; n++) {
                assert_int_equal(v->nodes[n].node, n);
                assert_int_equal(v->nodes[n].memory_gib, 32);
                assert_int_equal(v->nodes[n].cpus, 8);
                assert_int_equal(v->nodes[n].first_cpu, 8 * n);
                assert_int_equal(devices_on(&p, v, (int) n), 4);
                assert_int_equal(pages_on(&p, n), 32);
        }
        for (size_t i = 0; i < v->n_devices; i++)
                assert_int_equal(v->segments[i], (unsigned) p.inventory->devices[v->devices[i]].numa_node);
        assert_int_equal(cpu_set_count(&v->cpus), 0);   /* pinned per node instead */
        _cleanup_(freep) char *cpus0 = cpu_set_format(&v->nodes[0].host_cpus);
        assert_string_equal(cpus0, "0-15,32-47");

        _cleanup_(strv_freep) char **argv = argv_of(&p, "box");
        expect_values(argv, "--memory", "size=0");
        expect_values(argv, "--memory-zone",
                      "id=mem0,size=32G,hugepages=on,hugepage_size=1G,host_numa_node=0 | "
                      "id=mem1,size=32G,hugepages=on,hugepage_size=1G,host_numa_node=1");
        expect_values(argv, "--numa",
                      "guest_numa_id=0,cpus=[0-7],distances=[0@10,1@20],memory_zones=[mem0],pci_segments=[0] | "
                      "guest_numa_id=1,cpus=[8-15],distances=[0@20,1@10],memory_zones=[mem1],pci_segments=[1]");
        expect_values(argv, "--platform", "num_pci_segments=2");
        expect_values(argv, "--pci-segment", "");   /* no BAR sizes known: Cloud Hypervisor's even split */
        _cleanup_(freep) char *devices = values_of(argv, "--device");
        assert_non_null(strstr(devices, "path=/sys/bus/pci/devices/0000:18:00.0,id=gpu0,pci_segment=0,"
                                        "x_nv_gpudirect_clique=0 | "));
        assert_non_null(strstr(devices, "path=/sys/bus/pci/devices/0000:db:00.0,id=gpu7,pci_segment=1,"
                                        "x_nv_gpudirect_clique=0"));
        _cleanup_(freep) char *cpus = values_of(argv, "--cpus");
        assert_non_null(startswith(cpus, "boot=16,affinity=[0@[0-15,32-47],1@[0-15,32-47],"));
        assert_non_null(strstr(cpus, ",8@[16-31,48-63],"));
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* COUNT 6 over nodes of 3: the fewest nodes, the lowest first; 7 needs three, lowest node first. */
static void test_count_over_nodes(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        three_nodes(&inv);

        config(&c, "[VM a]\nCPUs=6\nMemory=6G\nDevice=10de:2330*6\nKernel=/k\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        const VmPlan *v = vm(&p, "a");
        assert_int_equal(v->n_nodes, 2);
        assert_int_equal(v->nodes[0].node, 0);
        assert_int_equal(v->nodes[1].node, 1);
        assert_int_equal(devices_on(&p, v, 0), 3);
        assert_int_equal(devices_on(&p, v, 1), 3);
        assert_int_equal(pages_on(&p, 2), 0);
        plan_done(&p);
        config_done(&c);

        /* Another VM holds one of node 0's: nodes 0+1 have 5, 0+2 have 5, 1+2 have 6. */
        config(&c, "[VM x]\nMemory=1G\nDevice=01:00.0\nKernel=/k\n"
                   "[VM a]\nCPUs=6\nMemory=6G\nDevice=10de:2330*6\nKernel=/k\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        v = vm(&p, "a");
        assert_int_equal(v->n_nodes, 2);
        assert_int_equal(v->nodes[0].node, 1);
        assert_int_equal(v->nodes[1].node, 2);
        assert_int_equal(v->numa_node, 1);
        plan_done(&p);
        config_done(&c);

        config(&c, "[VM a]\nCPUs=6\nMemory=6G\nDevice=10de:2330*7\nKernel=/k\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        v = vm(&p, "a");
        assert_int_equal(v->n_nodes, 3);
        assert_int_equal(devices_on(&p, v, 0), 3);
        assert_int_equal(devices_on(&p, v, 1), 3);
        assert_int_equal(devices_on(&p, v, 2), 1);
        _cleanup_(strv_freep) char **argv = argv_of(&p, "a");
        expect_values(argv, "--numa",
                      "guest_numa_id=0,cpus=[0-1],distances=[0@10,1@20,2@30],memory_zones=[mem0],pci_segments=[0] | "
                      "guest_numa_id=1,cpus=[2-3],distances=[0@20,1@10,2@20],memory_zones=[mem1],pci_segments=[1] | "
                      "guest_numa_id=2,cpus=[4-5],distances=[0@30,1@20,2@10],memory_zones=[mem2],pci_segments=[2]");
        expect_values(argv, "--platform", "num_pci_segments=3");
        plan_done(&p);
        config_done(&c);

        /* A count one node serves stays on one node, with today's command line. */
        config(&c, "[VM a]\nCPUs=2\nMemory=2G\nDevice=10de:2330*3\nKernel=/k\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(vm(&p, "a")->n_nodes, 0);
        _cleanup_(strv_freep) char **one = argv_of(&p, "a");
        expect_values(one, "--numa", "");
        expect_values(one, "--platform", "");
        expect_values(one, "--memory-zone", "id=mem0,size=2G,hugepages=on,hugepage_size=1G,host_numa_node=0");
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* Remainders go to the lowest nodes. */
static void test_remainders(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        three_nodes(&inv);
        config(&c, "[VM a]\nCPUs=7\nMemory=5G\nNUMANode=2,0,1\nKernel=/k\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        const VmPlan *v = vm(&p, "a");
        assert_int_equal(v->n_nodes, 3);
        static const uint64_t memory[] = { 2, 2, 1 };
        static const unsigned cpus[] = { 3, 2, 2 }, first[] = { 0, 3, 5 };
        for (size_t i = 0; i < 3; i++) {
                assert_int_equal(v->nodes[i].node, i);
                assert_int_equal(v->nodes[i].memory_gib, memory[i]);
                assert_int_equal(v->nodes[i].cpus, cpus[i]);
                assert_int_equal(v->nodes[i].first_cpu, first[i]);
                assert_int_equal(pages_on(&p, (unsigned) i), memory[i]);
        }
        _cleanup_(strv_freep) char **argv = argv_of(&p, "a");
        _cleanup_(freep) char *numa = values_of(argv, "--numa");
        assert_non_null(strstr(numa, "guest_numa_id=0,cpus=[0-2],"));
        assert_non_null(strstr(numa, "guest_numa_id=2,cpus=[5-6],"));
        plan_done(&p);
        config_done(&c);

        /* One vCPU on a node is a single number, not a range. */
        config(&c, "[VM a]\nCPUs=3\nMemory=3G\nNUMANode=0,1,2\nKernel=/k\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        _cleanup_(strv_freep) char **argv3 = argv_of(&p, "a");
        _cleanup_(freep) char *numa3 = values_of(argv3, "--numa");
        assert_non_null(strstr(numa3, "guest_numa_id=1,cpus=[1],"));
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* NUMANode= lists: its nodes, whatever the devices say; a device elsewhere joins segment 0. */
static void test_explicit_lists(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        three_nodes(&inv);
        config(&c, "[VM a]\nCPUs=2\nMemory=2G\nNUMANode=0,2\nDevice=10de:2330*6\nDevice=02:00.0\nKernel=/k\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        const Diagnostic *d = find(&p, DIAG_WARNING, "0000:02:00.0 is on NUMA node 1, which NUMANode= does not list");
        assert_int_equal(d->where.line, 4);
        const VmPlan *v = vm(&p, "a");
        assert_int_equal(v->n_nodes, 2);
        assert_int_equal(devices_on(&p, v, 0), 3);
        assert_int_equal(devices_on(&p, v, 2), 3);
        for (size_t i = 0; i < v->n_devices; i++) {
                int node = p.inventory->devices[v->devices[i]].numa_node;
                assert_int_equal(v->segments[i], node == 2 ? 1 : 0);
        }
        assert_int_equal(pages_on(&p, 1), 0);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* ---- errors, each at its line ---- */

static void expect_vm_error(const Inventory *inv, const char *text, const char *needle, unsigned line) {
        Config c;
        Plan p;
        config(&c, text);
        plan(&c, inv, &p);
        const Diagnostic *d = find(&p, DIAG_ERROR, needle);
        assert_string_equal(d->where.file, CONF);
        assert_int_equal(d->where.line, line);
        assert_false(vm(&p, "a")->valid);
        assert_int_equal(p.n_claims, 0);
        assert_int_equal(plan_pages_total(&p), 0);
        plan_done(&p);
        config_done(&c);
}

static void test_errors(void **state) {
        Inventory inv;
        three_nodes(&inv);
        expect_vm_error(&inv, "[VM a]\nCPUs=3\nMemory=2G\nDevice=10de:2330*7\nKernel=/k\n",
                        "Memory=2G cannot give each of the VM's 3 NUMA nodes (0, 1, 2) 1 GiB", 3);
        expect_vm_error(&inv, "[VM a]\nCPUs=2\nMemory=3G\nDevice=10de:2330*7\nKernel=/k\n",
                        "CPUs=2 cannot give each of the VM's 3 NUMA nodes", 2);
        expect_vm_error(&inv, "[VM a]\nCPUs=2\nMemory=2G\nNUMANode=0,7\nKernel=/k\n",
                        "NUMANode= lists node 7, which this machine does not have (it has 0, 1, 2)", 4);
        expect_vm_error(&inv, "[VM a]\nCPUs=2\nMemory=2G\nNUMANode=0,1\nCPUAffinity=0-3\nKernel=/k\n",
                        "CPUAffinity= lists CPUs, but [VM a] spans NUMA nodes 0, 1", 5);
        /* Shortages stay what they were. */
        expect_vm_error(&inv, "[VM a]\nCPUs=4\nMemory=4G\nDevice=10de:2330*10\nKernel=/k\n",
                        "10 wanted, 9 free", 4);
        inventory_done(&inv);
}

/* A node without CPUs (memory only): an error with CPUAffinity=auto, unpinned with none. */
static void test_node_without_cpus(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        inv_init(&inv);
        add_node(&inv, 0, "0-3", 64);
        add_node(&inv, 1, "", 64);
        inv_sort(&inv);
        expect_vm_error(&inv, "[VM a]\nCPUs=2\nMemory=2G\nNUMANode=0,1\nKernel=/k\n",
                        "node 1 has no CPUs to run the vCPUs of the VM's guest node 1", 1);

        config(&c, "[VM a]\nCPUs=2\nMemory=2G\nNUMANode=0,1\nCPUAffinity=none\nKernel=/k\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(vm(&p, "a")->n_nodes, 2);
        _cleanup_(strv_freep) char **argv = argv_of(&p, "a");
        expect_values(argv, "--cpus", "boot=2");
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_eight_on_two_nodes),
                cmocka_unit_test(test_count_over_nodes),
                cmocka_unit_test(test_remainders),
                cmocka_unit_test(test_explicit_lists),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_node_without_cpus),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
