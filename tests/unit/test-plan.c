/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The planner's device and node assignment (src/core/plan.c: config + inventory -> plan): which VM
 * gets which device, NUMA node and CPUs, what is claimed for vfio and why. Most cases use
 * inventories built in C (fake-inventory.c); the last ones load sysfs fixtures captured from lab
 * machines (tests/fixtures/). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "config.h"
#include "fake-inventory.h"
#include "inventory.h"
#include "plan-check.h"
#include "plan.h"
#include "util.h"
#include "vm-command.h"

/* ---- device assignment ---- */

static void test_eight_gpus_two_vms(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        eight_gpus(&inv);
        config(&c,
               "[VM train0]\nCPUs=8\nMemory=64G\nDevice=10de:2330*4\nNUMANode=auto\nKernel=/k\n"
               "[VM train1]\nCPUs=8\nMemory=64G\nDevice=10de:2330*4\nNUMANode=auto\nKernel=/k\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);

        static const char *const n0[] = { "0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0" };
        static const char *const n1[] = { "0000:9a:00.0", "0000:ab:00.0", "0000:ba:00.0", "0000:db:00.0" };
        expect_devices(&p, "train0", n0, 4);
        expect_devices(&p, "train1", n1, 4);
        assert_true(vm(&p, "train0")->valid);
        assert_true(vm(&p, "train1")->valid);
        assert_int_equal(vm(&p, "train0")->numa_node, 0);
        assert_int_equal(vm(&p, "train1")->numa_node, 1);
        expect_cpus(vm(&p, "train0"), "0-15,32-47");
        expect_cpus(vm(&p, "train1"), "16-31,48-63");

        /* Every GPU is claimed, for its VM, sorted by address. */
        assert_int_equal(p.n_claims, 8);
        for (size_t i = 0; i < p.n_claims; i++) {
                assert_int_equal(p.claims[i].device, i);
                assert_int_equal(p.claims[i].reason, CLAIM_VM);
                assert_int_equal(p.claims[i].vm, i < 4 ? 0 : 1);
                assert_string_equal(p.claims[i].where.file, CONF);
                assert_int_equal(p.claims[i].where.line, i < 4 ? 4 : 10);
        }

        /* Pages: each VM's memory on its node. */
        assert_int_equal(p.n_pages, 2);
        assert_int_equal(pages_on(&p, 0), 64);
        assert_int_equal(pages_on(&p, 1), 64);
        assert_int_equal(p.pages_needed_total, 128);
        assert_int_equal(plan_pages_total(&p), 128);

        /* The command line names the node and the devices, in order. */
        _cleanup_(strv_freep) char **argv = NULL;
        assert_int_equal(vm_command_build(&p, 1, "/nonexistent", &argv), 0);
        assert_true(strv_contains(argv, "id=mem0,size=64G,hugepages=on,hugepage_size=1G,host_numa_node=1"));
        assert_true(strv_contains(argv, "path=/sys/bus/pci/devices/0000:9a:00.0,id=gpu0"));
        assert_true(strv_contains(argv, "path=/sys/bus/pci/devices/0000:db:00.0,id=gpu3"));
        assert_false(strv_contains(argv, "path=/sys/bus/pci/devices/0000:18:00.0,id=gpu0"));

        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* "the VM's NUMA node first, then the lowest address" */
static void test_numa_local_before_lower_address(void **state) {
        Inventory inv;
        Config c;
        Plan p;

        two_nodes(&inv);
        add_dev(&inv, "0000:18:00.0", GPU, 0, 1, NULL);
        add_dev(&inv, "0000:19:00.0", GPU, 0, 2, NULL);
        add_dev(&inv, "0000:9a:00.0", GPU, 1, 3, NULL);
        add_dev(&inv, "0000:9b:00.0", GPU, 1, 4, NULL);
        add_dev(&inv, "0000:9c:00.0", GPU, 1, 5, NULL);
        inv_sort(&inv);

        /* Explicit NUMANode=1: node 1's devices although node 0's have lower addresses; when node 1
         * runs out, the lowest address elsewhere. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nNUMANode=1\nDevice=10de:2330*2\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nNUMANode=1\nDevice=10de:2330*2\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        static const char *const a[] = { "0000:9a:00.0", "0000:9b:00.0" };
        static const char *const b[] = { "0000:9c:00.0", "0000:18:00.0" };
        expect_devices(&p, "a", a, 2);
        expect_devices(&p, "b", b, 2);
        assert_int_equal(vm(&p, "a")->numa_node, 1);
        assert_int_equal(vm(&p, "b")->numa_node, 1);
        expect_cpus(vm(&p, "b"), "16-31,48-63");
        const Diagnostic *d = find(&p, DIAG_WARNING, "took 0000:18:00.0 from node 0");
        assert_string_equal(d->vm, "b");
        assert_int_equal(pages_on(&p, 0), 0);
        assert_int_equal(pages_on(&p, 1), 2);
        plan_done(&p);
        config_done(&c);

        /* NUMANode=auto: the first node that has all of them, even if another has lower addresses. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=10de:2330*3\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nDevice=10de:2330*2\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        static const char *const a3[] = { "0000:9a:00.0", "0000:9b:00.0", "0000:9c:00.0" };
        static const char *const b2[] = { "0000:18:00.0", "0000:19:00.0" };
        expect_devices(&p, "a", a3, 3);
        expect_devices(&p, "b", b2, 2);
        assert_int_equal(vm(&p, "a")->numa_node, 1);
        assert_int_equal(vm(&p, "b")->numa_node, 0);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* Interleaved addresses: node order, not address order, decides. */
static void test_interleaved_addresses(void **state) {
        Inventory inv;
        Config c;
        Plan p;

        two_nodes(&inv);
        add_dev(&inv, "0000:18:00.0", GPU, 0, 1, NULL);
        add_dev(&inv, "0000:2a:00.0", GPU, 1, 2, NULL);
        add_dev(&inv, "0000:3a:00.0", GPU, 0, 3, NULL);
        add_dev(&inv, "0000:5d:00.0", GPU, 1, 4, NULL);
        inv_sort(&inv);
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=10de:2330*2\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nDevice=10de:2330*2\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        static const char *const a[] = { "0000:18:00.0", "0000:3a:00.0" };
        static const char *const b[] = { "0000:2a:00.0", "0000:5d:00.0" };
        expect_devices(&p, "a", a, 2);
        expect_devices(&p, "b", b, 2);
        assert_int_equal(vm(&p, "a")->numa_node, 0);
        assert_int_equal(vm(&p, "b")->numa_node, 1);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* An address match is served before any id match, whatever the order of the VMs. */
static void test_address_before_id(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        eight_gpus(&inv);
        config(&c, "[VM first]\nMemory=1G\nKernel=/k\nDevice=10de:2330\n"
                   "[VM second]\nMemory=1G\nKernel=/k\nDevice=18:00.0\n"
                   "[VM third]\nMemory=1G\nKernel=/k\nDevice=10de:2330\nDevice=0000:3a:00.0\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        static const char *const first[] = { "0000:2a:00.0" };
        static const char *const second[] = { "0000:18:00.0" };
        /* The VM's own address first, then its id matches: the address sets the node, the id
         * match takes the lowest free address there. */
        static const char *const third[] = { "0000:3a:00.0", "0000:5d:00.0" };
        expect_devices(&p, "first", first, 1);
        expect_devices(&p, "second", second, 1);
        expect_devices(&p, "third", third, 2);
        assert_int_equal(vm(&p, "third")->numa_node, 0);
        assert_int_equal(claim_of(&p, "0000:18:00.0")->vm, vm_index(&p, "second"));
        assert_int_equal(claim_of(&p, "0000:18:00.0")->where.line, 8);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_address_conflict(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        eight_gpus(&inv);
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=0000:18:00.0\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nDevice=2a:00.0\nDevice=18:00.0\n");
        plan(&c, &inv, &p);
        const Diagnostic *d = find(&p, DIAG_ERROR, "already given to [VM a]");
        assert_string_equal(d->vm, "b");
        assert_string_equal(d->device, "0000:18:00.0");
        assert_string_equal(d->where.file, CONF);
        assert_int_equal(d->where.line, 9);                 /* b's Device=18:00.0 */
        assert_non_null(strstr(d->message, CONF ":4"));     /* and where a took it */
        assert_int_equal(diag_count(&p.diagnostics, DIAG_ERROR), 1);
        assert_true(vm(&p, "a")->valid);
        assert_false(vm(&p, "b")->valid);
        static const char *const a[] = { "0000:18:00.0" };
        expect_devices(&p, "a", a, 1);
        /* b gives back what it took: nothing binds what nothing will use. */
        assert_int_equal(p.n_claims, 1);
        assert_int_equal(claim_of(&p, "0000:18:00.0")->vm, 0);
        assert_null(claim_of(&p, "0000:2a:00.0"));
        /* Its pages are not reserved either. */
        assert_int_equal(plan_pages_total(&p), 1);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_shortage(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        two_nodes(&inv);
        add_dev(&inv, "0000:18:00.0", GPU, 0, 1, NULL);
        add_dev(&inv, "0000:2a:00.0", GPU, 0, 2, NULL);
        add_dev(&inv, "0000:9a:00.0", GPU, 1, 3, NULL);
        add_dev(&inv, "0000:ab:00.0", GPU, 1, 4, NULL);
        inv_sort(&inv);

        /* a wants 5 of 4: it fails, and b, after it, still gets all four. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=10de:2330*5\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nNUMANode=0\nDevice=10de:2330*4\n");
        plan(&c, &inv, &p);
        const Diagnostic *d = find(&p, DIAG_ERROR, "5 wanted");
        assert_string_equal(d->vm, "a");
        assert_int_equal(d->where.line, 4);
        assert_non_null(strstr(d->message, "Device=10de:2330*5"));
        assert_non_null(strstr(d->message, "this machine has 4"));
        assert_int_equal(diag_count_vm(&p.diagnostics, DIAG_ERROR, "b"), 0);
        assert_false(vm(&p, "a")->valid);
        assert_true(vm(&p, "b")->valid);
        assert_int_equal(vm(&p, "a")->n_devices, 0);
        static const char *const b[] = { "0000:18:00.0", "0000:2a:00.0", "0000:9a:00.0", "0000:ab:00.0" };
        expect_devices(&p, "b", b, 4);
        assert_int_equal(p.n_claims, 4);
        for (size_t i = 0; i < p.n_claims; i++)
                assert_int_equal(p.claims[i].vm, 1);
        plan_done(&p);
        config_done(&c);

        /* Short because another VM took them: says so, and the partial take is given back. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nNUMANode=0\nDevice=10de:2330*3\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nDevice=10de:2330*3\n");
        plan(&c, &inv, &p);
        d = find(&p, DIAG_ERROR, "3 wanted, 1 free");
        assert_string_equal(d->vm, "b");
        assert_non_null(strstr(d->message, "3 given to other VMs"));
        assert_true(vm(&p, "a")->valid);
        assert_false(vm(&p, "b")->valid);
        assert_int_equal(vm(&p, "a")->n_devices, 3);
        assert_int_equal(p.n_claims, 3);
        for (size_t i = 0; i < p.n_claims; i++)
                assert_int_equal(p.claims[i].vm, 0);
        plan_done(&p);
        config_done(&c);

        /* An id that is not there at all. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=10de:9999\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nDevice=9a:00.0\n");
        plan(&c, &inv, &p);
        d = find(&p, DIAG_ERROR, "Device=10de:9999: nothing on this machine matches 10de:9999 (1 wanted)");
        assert_string_equal(d->vm, "a");
        assert_int_equal(d->where.line, 4);
        assert_false(vm(&p, "a")->valid);
        assert_int_equal(vm(&p, "a")->numa_node, -1);   /* no node was chosen, and none leaks out */
        assert_true(vm(&p, "b")->valid);
        plan_done(&p);
        config_done(&c);

        /* An address that is not there. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=0000:77:00.0\n");
        plan(&c, &inv, &p);
        d = find(&p, DIAG_ERROR, "no such PCI device");
        assert_int_equal(d->where.line, 4);
        assert_string_equal(d->device, "0000:77:00.0");
        assert_false(vm(&p, "a")->valid);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* vfio takes whole IOMMU groups: the GPU's audio function goes along, to the same VM. */
static void test_group_siblings(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        two_nodes(&inv);
        add_dev(&inv, "0000:17:00.0", BRIDGE, 0, 10, "pcieport");   /* bridges never join a claim */
        add_dev(&inv, "0000:18:00.0", GPU, 0, 10, "nvidia");
        add_dev(&inv, "0000:18:00.1", GPU_AUDIO, 0, 10, "snd_hda_intel");
        add_dev(&inv, "0000:2a:00.0", GPU, 0, 11, "nvidia");
        add_dev(&inv, "0000:2a:00.1", GPU_AUDIO, 0, 11, "snd_hda_intel");
        inv_sort(&inv);

        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=10de:2330\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        static const char *const a[] = { "0000:18:00.0" };
        expect_devices(&p, "a", a, 1);

        const Claim *gpu = claim_of(&p, "0000:18:00.0"), *audio = claim_of(&p, "0000:18:00.1");
        assert_non_null(gpu);
        assert_non_null(audio);
        assert_int_equal(gpu->reason, CLAIM_VM);
        assert_int_equal(audio->reason, CLAIM_SIBLING);
        assert_int_equal(audio->vm, gpu->vm);
        assert_int_equal(audio->sibling_of, dev(&inv, "0000:18:00.0"));
        assert_null(claim_of(&p, "0000:17:00.0"));
        assert_null(claim_of(&p, "0000:2a:00.0"));
        assert_null(claim_of(&p, "0000:2a:00.1"));
        assert_int_equal(p.n_claims, 2);

        /* The sibling is bound to vfio-pci but not handed to the VM. */
        _cleanup_(strv_freep) char **argv = NULL;
        assert_int_equal(vm_command_build(&p, 0, "/nonexistent", &argv), 0);
        size_t n_device = 0;
        for (size_t i = 0; argv[i]; i++) {
                n_device += streq(argv[i], "--device");
                assert_null(strstr(argv[i], "0000:18:00.1"));
        }
        assert_int_equal(n_device, 1);
        assert_true(strv_contains(argv, "path=/sys/bus/pci/devices/0000:18:00.0,id=gpu0"));
        plan_done(&p);
        config_done(&c);

        /* Naming the audio function explicitly as well is fine: it is the same VM's group. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=18:00.0\nDevice=18:00.1\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(claim_of(&p, "0000:18:00.1")->reason, CLAIM_VM);
        assert_int_equal(vm(&p, "a")->n_devices, 2);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* Under virtio-iommu an unbound function has no group yet: the other functions of a claimed
 * device's slot go with it, those of other slots do not. */
static void test_slot_functions_without_group(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        two_nodes(&inv);
        add_dev(&inv, "0000:18:00.0", GPU, 0, 10, "nvidia");
        add_dev(&inv, "0000:18:00.1", GPU_AUDIO, 0, -1, NULL);
        add_dev(&inv, "0000:19:00.1", GPU_AUDIO, 0, -1, NULL);
        add_dev(&inv, "0000:2a:00.0", GPU, 0, -1, NULL);
        add_dev(&inv, "0000:2a:00.1", GPU_AUDIO, 0, -1, NULL);
        inv_sort(&inv);

        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=18:00.0\n[VM b]\nMemory=1G\nKernel=/k\nDevice=2a:00.0\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        const Claim *audio = claim_of(&p, "0000:18:00.1");
        assert_non_null(audio);
        assert_int_equal(audio->reason, CLAIM_SIBLING);
        assert_int_equal(audio->vm, vm_index(&p, "a"));
        assert_null(claim_of(&p, "0000:19:00.1"));
        assert_int_equal(claim_of(&p, "0000:2a:00.1")->vm, vm_index(&p, "b"));
        assert_int_equal(claim_of(&p, "0000:2a:00.1")->reason, CLAIM_SIBLING);
        assert_int_equal(p.n_claims, 4);
        plan_done(&p);
        config_done(&c);

        /* Two functions of one device in two VMs cannot work. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=2a:00.0\n[VM b]\nMemory=1G\nKernel=/k\nDevice=2a:00.1\n");
        plan(&c, &inv, &p);
        assert_non_null(find(&p, DIAG_ERROR, "are functions of one device"));
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_group_shared_by_two_vms(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        two_nodes(&inv);
        /* Two GPUs behind a switch without ACS: one group. */
        add_dev(&inv, "0000:18:00.0", GPU, 0, 10, NULL);
        add_dev(&inv, "0000:19:00.0", GPU, 0, 10, NULL);
        add_dev(&inv, "0000:9a:00.0", GPU, 1, 11, NULL);
        inv_sort(&inv);

        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=18:00.0\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nDevice=19:00.0\n"
                   "[VM c]\nMemory=1G\nKernel=/k\nDevice=9a:00.0\n");
        plan(&c, &inv, &p);
        const Diagnostic *d = find(&p, DIAG_ERROR, "IOMMU group 10");
        assert_non_null(strstr(d->message, "a group goes to one VM"));
        assert_true(streq_ptr(d->vm, "a") || streq_ptr(d->vm, "b"));
        /* The group is not split between two VMs. */
        const Claim *c18 = claim_of(&p, "0000:18:00.0"), *c19 = claim_of(&p, "0000:19:00.0");
        assert_false(c18 && c19 && c18->vm != c19->vm);
        assert_false(vm(&p, "a")->valid && vm(&p, "b")->valid);
        /* The third VM is not affected. */
        assert_true(vm(&p, "c")->valid);
        assert_int_equal(diag_count_vm(&p.diagnostics, DIAG_ERROR, "c"), 0);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_devices_on_two_nodes(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        eight_gpus(&inv);

        config(&c, "[VM x]\nMemory=1G\nKernel=/k\n"
                   "[VM a]\nMemory=1G\nKernel=/k\nDevice=18:00.0\nDevice=9a:00.0\n");
        plan(&c, &inv, &p);
        /* Devices on two nodes span them (DESIGN.md "VMs on several nodes"): 1G and one vCPU
         * cannot be split over two nodes; each error names its line, or the VM's header. */
        const Diagnostic *d = find(&p, DIAG_ERROR, "Memory=1G cannot give each of the VM's 2 NUMA nodes (0, 1)");
        assert_string_equal(d->vm, "a");
        assert_int_equal(d->where.line, 5);
        d = find(&p, DIAG_ERROR, "CPUs=1 cannot give each of the VM's 2 NUMA nodes");
        assert_int_equal(d->where.line, 4);   /* no CPUs= line: the VM's header */
        assert_false(vm(&p, "a")->valid);
        assert_true(vm(&p, "x")->valid);
        assert_int_equal(p.n_claims, 0);
        plan_done(&p);
        config_done(&c);

        config(&c, "[VM a]\nMemory=2G\nCPUs=2\nKernel=/k\nDevice=18:00.0\nDevice=9a:00.0\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(vm(&p, "a")->n_nodes, 2);
        assert_int_equal(pages_on(&p, 0), 1);
        assert_int_equal(pages_on(&p, 1), 1);
        plan_done(&p);
        config_done(&c);

        /* With NUMANode= the admin has chosen; the remote device is worth a warning. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=18:00.0\nDevice=9a:00.0\nNUMANode=1\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        d = find(&p, DIAG_WARNING, "0000:18:00.0 is on NUMA node 0");
        assert_string_equal(d->device, "0000:18:00.0");
        assert_int_equal(d->where.line, 6);
        assert_true(vm(&p, "a")->valid);
        assert_int_equal(vm(&p, "a")->numa_node, 1);
        assert_int_equal(pages_on(&p, 1), 1);
        plan_done(&p);
        config_done(&c);

        /* An address sets the node; id matches that do not fit there take the rest from the
         * next node, and the VM spans both. */
        static const char *const spill[] = { "0000:3a:00.0", "0000:18:00.0", "0000:2a:00.0", "0000:5d:00.0",
                                             "0000:9a:00.0" };
        config(&c, "[VM a]\nMemory=2G\nCPUs=2\nKernel=/k\nDevice=3a:00.0\nDevice=10de:2330*4\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_true(vm(&p, "a")->valid);
        assert_int_equal(vm(&p, "a")->numa_node, 0);
        assert_int_equal(vm(&p, "a")->n_nodes, 2);
        expect_devices(&p, "a", spill, 5);
        plan_done(&p);
        config_done(&c);

        /* With NUMANode=0 it stays on node 0, with a warning naming the remote device. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=3a:00.0\nDevice=10de:2330*4\nNUMANode=0\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        d = find(&p, DIAG_WARNING, "DMA crosses nodes");
        assert_string_equal(d->device, "0000:9a:00.0");
        assert_int_equal(d->where.line, 5);
        assert_int_equal(vm(&p, "a")->n_nodes, 0);
        expect_devices(&p, "a", spill, 5);
        plan_done(&p);
        config_done(&c);

        /* Id matches that no single node can serve span nodes too (test-plan-devices.c has more). */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=10de:2330*6\n");
        plan(&c, &inv, &p);
        find(&p, DIAG_ERROR, "Memory=1G cannot give each");
        assert_false(vm(&p, "a")->valid);
        assert_int_equal(p.n_claims, 0);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* A cloud VM without NUMA information for its devices (numa_node -1) still plans, on node 0. */
static void test_devices_without_numa_node(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        inv_init(&inv);
        add_node(&inv, 0, "0-7", 64);
        add_iommu(&inv, "0000:00:02.0", "virtio_iommu");
        add_dev(&inv, "0000:00:05.0", GPU, -1, 3, NULL);
        add_dev(&inv, "0000:00:06.0", GPU, -1, 4, NULL);
        inv_sort(&inv);
        config(&c, "[VM a]\nMemory=8G\nKernel=/k\nDevice=10de:2330*2\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(vm(&p, "a")->n_devices, 2);
        assert_int_equal(vm(&p, "a")->numa_node, 0);
        expect_cpus(vm(&p, "a"), "0-7");
        assert_int_equal(pages_on(&p, 0), 8);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* ---- [Host] Passthrough= ---- */

static void test_passthrough(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        eight_gpus(&inv);

        /* Absent: a warning, nothing else. */
        config(&c, "[Host]\nPassthrough=dead:beef\n");
        plan(&c, &inv, &p);
        const Diagnostic *d = find(&p, DIAG_WARNING, "matches no device");
        assert_int_equal(d->where.line, 2);
        assert_int_equal(diag_count(&p.diagnostics, DIAG_ERROR), 0);
        assert_int_equal(p.n_claims, 0);
        plan_done(&p);
        config_done(&c);

        /* The design's example: every GPU bound, the VM's for the VM, the rest for the host. */
        config(&c, "[Host]\nPassthrough=10de:2330\n[VM train0]\nMemory=1G\nKernel=/k\nDevice=10de:2330*4\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(p.n_claims, 8);
        for (size_t i = 0; i < p.n_claims; i++) {
                assert_int_equal(p.claims[i].reason, i < 4 ? CLAIM_VM : CLAIM_PASSTHROUGH);
                assert_int_equal(p.claims[i].vm, i < 4 ? 0 : -1);
        }
        assert_true(p.unsafe_interrupts);
        plan_done(&p);
        config_done(&c);

        /* By address, without any VM. */
        config(&c, "[Host]\nPassthrough=0000:db:00.0\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(p.n_claims, 1);
        assert_int_equal(claim_of(&p, "0000:db:00.0")->reason, CLAIM_PASSTHROUGH);
        assert_int_equal(claim_of(&p, "0000:db:00.0")->vm, -1);
        assert_true(p.unsafe_interrupts);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* ---- other per-VM checks ---- */

static void test_vm_checks(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        eight_gpus(&inv);
        add_dev(&inv, "0000:e0:00.0", 0x8086, 0x10d3, 0x020000, 1, -1, "e1000e");   /* no IOMMU group */
        inv_sort(&inv);

        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nNUMANode=5\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nCPUAffinity=0-3,200\n"
                   "[VM c]\nMemory=1G\nKernel=/k\nNUMANode=0\nCPUAffinity=16\n"
                   "[VM d]\nMemory=1G\nKernel=/k\nDevice=8086:10d3\n"
                   "[VM e]\nMemory=1G\nKernel=/k\nCPUAffinity=none\nDevice=10de:2330\n");
        plan(&c, &inv, &p);

        const Diagnostic *d = find(&p, DIAG_ERROR, "NUMANode=5");
        assert_string_equal(d->vm, "a");
        assert_int_equal(d->where.line, 4);
        assert_non_null(strstr(d->message, "0, 1"));
        assert_false(vm(&p, "a")->valid);

        d = find(&p, DIAG_ERROR, "CPU 200");
        assert_string_equal(d->vm, "b");
        assert_int_equal(d->where.line, 8);
        assert_false(vm(&p, "b")->valid);

        d = find(&p, DIAG_WARNING, "CPU 16, which is not on node 0");
        assert_string_equal(d->vm, "c");
        assert_true(vm(&p, "c")->valid);
        expect_cpus(vm(&p, "c"), "16");

        /* No IOMMU group (yet): not an error at planning time, bind-vfio verifies groups. */
        assert_true(vm(&p, "d")->valid);
        assert_int_equal(diag_count_vm(&p.diagnostics, DIAG_ERROR, "d"), 0);
        assert_int_equal(claim_of(&p, "0000:e0:00.0")->reason, CLAIM_VM);
        assert_int_equal(claim_of(&p, "0000:e0:00.0")->vm, vm_index(&p, "d"));

        assert_true(vm(&p, "e")->valid);
        assert_int_equal(cpu_set_count(&vm(&p, "e")->cpus), 0);   /* CPUAffinity=none: not pinned */
        assert_int_equal(vm(&p, "e")->n_devices, 1);
        assert_int_equal(diag_count_vm(&p.diagnostics, DIAG_ERROR, "e"), 0);

        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* A VM that was invalid already in the config takes nothing. */
static void test_invalid_config_vm_takes_nothing(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        eight_gpus(&inv);
        config_init(&c);
        assert_int_equal(config_parse_buffer(&c, CONF,
                                             "[VM a]\nMemory=64GB\nKernel=/k\nDevice=10de:2330*4\n"
                                             "[VM b]\nMemory=1G\nKernel=/k\nDevice=10de:2330*4\n", true), 0);
        config_finish(&c);
        assert_true(c.vms[0].invalid);
        plan(&c, &inv, &p);
        assert_false(vm(&p, "a")->valid);
        assert_int_equal(vm(&p, "a")->n_devices, 0);
        static const char *const b[] = { "0000:18:00.0", "0000:2a:00.0", "0000:3a:00.0", "0000:5d:00.0" };
        expect_devices(&p, "b", b, 4);
        assert_int_equal(p.n_claims, 4);
        assert_int_equal(plan_pages_total(&p), 1);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* An image root without /sys (image CI), and one with empty sysfs directories: what the plan
 * makes of them (test-inventory.c checks what is read). */
static void test_plan_without_sysfs(void **state) {
        char root[] = "/tmp/nestvirt-test-plan-XXXXXX";
        assert_non_null(mkdtemp(root));
        Inventory inv;
        Config c;
        Plan p;
        assert_int_equal(inventory_load(root, INVENTORY_DETAILS, &inv), 0);

        /* Without /sys the device assignment is not checked, and says so; pages are planned. */
        config(&c, "[VM a]\nMemory=2G\nKernel=/k\nDevice=10de:2330\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        find(&p, DIAG_NOTE, "device assignment not checked");
        assert_true(vm(&p, "a")->valid);
        assert_int_equal(p.n_claims, 0);
        assert_int_equal(plan_pages_total(&p), 2);
        plan_done(&p);
        inventory_done(&inv);

        /* Empty directories: PCI is readable but has nothing, so the device is missing. */
        static const char *const dirs[] = { "/sys", "/sys/bus", "/sys/bus/pci", "/sys/bus/pci/devices", "/sys/devices",
                                            "/sys/devices/system", "/sys/devices/system/node" };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_(freep) char *d = strjoin(root, dirs[i]);
                assert_int_equal(mkdir(d, 0755), 0);
        }
        assert_int_equal(inventory_load(root, INVENTORY_DETAILS, &inv), 0);
        plan(&c, &inv, &p);
        find(&p, DIAG_ERROR, "nothing on this machine matches 10de:2330 (1 wanted)");
        assert_false(vm(&p, "a")->valid);
        plan_done(&p);
        inventory_done(&inv);
        config_done(&c);

        for (size_t i = ELEMENTSOF(dirs); i > 0; i--) {
                _cleanup_(freep) char *d = strjoin(root, dirs[i - 1]);
                assert_int_equal(rmdir(d), 0);
        }
        assert_int_equal(rmdir(root), 0);
}

/* ---- captured sysfs fixtures: they plan as the lab machines did ---- */

static void test_plan_fixture_virtio_2node_4dev(void **state) {
        _cleanup_(freep) char *root = fixture("virtio-2node-4dev");
        Inventory inv;
        assert_int_equal(inventory_load(root, INVENTORY_DETAILS, &inv), 0);

        /* It plans: two VMs with two devices each, one per node. */
        Config c;
        Plan p;
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=8086:10d3*2\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nDevice=8086:10d3*2\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        static const char *const a[] = { "0000:21:00.0", "0000:22:00.0" };
        static const char *const b[] = { "0000:41:00.0", "0000:42:00.0" };
        expect_devices(&p, "a", a, 2);
        expect_devices(&p, "b", b, 2);
        expect_cpus(vm(&p, "a"), "0-1");
        expect_cpus(vm(&p, "b"), "2-3");
        assert_true(p.unsafe_interrupts);
        assert_int_equal(p.n_claims, 4);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_plan_fixture_intel_8gpu_2node(void **state) {
        _cleanup_(freep) char *root = fixture("intel-8gpu-2node");
        Inventory inv;
        assert_int_equal(inventory_load(root, INVENTORY_DETAILS, &inv), 0);
        static const char *const slots[] = { "21", "22", "23", "24", "41", "42", "43", "44" };

        /* Two VMs of four: a 4+4 split by node, each VM's audio functions claimed as its siblings. */
        Config c;
        Plan p;
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=8086:10d3*4\n"
                   "[VM b]\nMemory=1G\nKernel=/k\nDevice=8086:10d3*4\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        static const char *const a[] = { "0000:21:00.0", "0000:22:00.0", "0000:23:00.0", "0000:24:00.0" };
        static const char *const b[] = { "0000:41:00.0", "0000:42:00.0", "0000:43:00.0", "0000:44:00.0" };
        expect_devices(&p, "a", a, 4);
        expect_devices(&p, "b", b, 4);
        assert_int_equal(vm(&p, "a")->numa_node, 0);
        assert_int_equal(vm(&p, "b")->numa_node, 1);
        expect_cpus(vm(&p, "a"), "0-1");
        expect_cpus(vm(&p, "b"), "2-3");
        assert_int_equal(p.n_claims, 16);
        for (size_t i = 0; i < ELEMENTSOF(slots); i++) {
                char a0[32], a1[32];
                snprintf(a0, sizeof a0, "0000:%s:00.0", slots[i]);
                snprintf(a1, sizeof a1, "0000:%s:00.1", slots[i]);
                const Claim *nic = claim_of(&p, a0), *audio = claim_of(&p, a1);
                assert_non_null(nic);
                assert_non_null(audio);
                assert_int_equal(nic->reason, CLAIM_VM);
                assert_int_equal(nic->vm, i < 4 ? 0 : 1);
                assert_int_equal(audio->reason, CLAIM_SIBLING);
                assert_int_equal(audio->vm, nic->vm);
                assert_int_equal(audio->sibling_of, dev(&inv, a0));
        }
        assert_false(p.unsafe_interrupts);
        assert_int_equal(pages_on(&p, 0), 1);
        assert_int_equal(pages_on(&p, 1), 1);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_eight_gpus_two_vms),
                cmocka_unit_test(test_numa_local_before_lower_address),
                cmocka_unit_test(test_interleaved_addresses),
                cmocka_unit_test(test_address_before_id),
                cmocka_unit_test(test_address_conflict),
                cmocka_unit_test(test_shortage),
                cmocka_unit_test(test_group_siblings),
                cmocka_unit_test(test_slot_functions_without_group),
                cmocka_unit_test(test_group_shared_by_two_vms),
                cmocka_unit_test(test_devices_on_two_nodes),
                cmocka_unit_test(test_devices_without_numa_node),
                cmocka_unit_test(test_passthrough),
                cmocka_unit_test(test_vm_checks),
                cmocka_unit_test(test_invalid_config_vm_takes_nothing),
                cmocka_unit_test(test_plan_without_sysfs),
                cmocka_unit_test(test_plan_fixture_virtio_2node_4dev),
                cmocka_unit_test(test_plan_fixture_intel_8gpu_2node),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
