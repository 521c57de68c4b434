/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The planner (config + inventory -> plan): which VM gets which device, NUMA node, CPUs and pages,
 * and whether unsafe interrupts are needed. Most cases use inventories built here in C; the last
 * ones load sysfs fixtures captured from lab machines (tests/fixtures/). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "config.h"
#include "inventory.h"
#include "plan.h"
#include "util.h"
#include "vm-command.h"

#define GPU 0x10de, 0x2330, 0x030200
#define GPU_AUDIO 0x10de, 0x22bc, 0x040300
#define BRIDGE 0x10b5, 0xc010, 0x060400
#define GIB_KIB (UINT64_C(1) << 20)

/* ---- a fake inventory ---- */

static void inv_init(Inventory *inv) {
        *inv = (Inventory) { .has_pci = true, .has_nodes = true, .gigantic_pages = true, .irq_info = true };
}

static void add_node(Inventory *inv, unsigned id, const char *cpus, uint64_t memory_gib) {
        NumaNode *x = realloc(inv->nodes, sizeof(NumaNode) * (inv->n_nodes + 1));
        assert_non_null(x);
        inv->nodes = x;
        x[inv->n_nodes] = (NumaNode) { .id = id, .memory_kib = memory_gib * GIB_KIB };
        assert_int_equal(cpu_set_parse(cpus, &x[inv->n_nodes].cpus), 0);
        inv->n_nodes++;
}

static void add_dev(Inventory *inv, const char *address, uint16_t vendor, uint16_t device, uint32_t class, int node,
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

static void add_iommu(Inventory *inv, const char *name, const char *driver) {
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
static void inv_sort(Inventory *inv) {
        if (inv->n_devices > 0)
                qsort(inv->devices, inv->n_devices, sizeof(PciDevice), cmp_dev);
        if (inv->n_nodes > 0)
                qsort(inv->nodes, inv->n_nodes, sizeof(NumaNode), cmp_node);
}

static size_t dev(const Inventory *inv, const char *address) {
        PciAddress a;
        assert_int_equal(pci_address_parse(address, &a), 0);
        const PciDevice *d = inventory_find_device(inv, a);
        if (!d)
                fail_msg("no device %s in the inventory", address);
        return (size_t) (d - inv->devices);
}

/* Two nodes: CPUs 0-15,32-47 and 16-31,48-63, 512 GiB each, virtio-iommu. */
static void two_nodes(Inventory *inv) {
        inv_init(inv);
        add_node(inv, 1, "16-31,48-63", 512);
        add_node(inv, 0, "0-15,32-47", 512);
        add_iommu(inv, "0000:00:02.0", "virtio_iommu");
}

/* 8 GPUs (10de:2330), 4 per node, each in its own IOMMU group; node 0 has the lower addresses. */
static void eight_gpus(Inventory *inv) {
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

/* ---- config, plan and checks ---- */

static void dump(const Diagnostics *d) {
        for (size_t i = 0; i < d->n; i++)
                print_message("  %s %s:%u [vm %s] [dev %s] %s\n", diag_level_to_string(d->items[i].level),
                              strempty(d->items[i].where.file), d->items[i].where.line, strempty(d->items[i].vm),
                              strempty(d->items[i].device), d->items[i].message);
}

#define CONF "/etc/nestvirt.conf"

static void config(Config *c, const char *text) {
        config_init(c);
        assert_int_equal(config_parse_buffer(c, CONF, text, true), 0);
        config_finish(c);
        if (diag_count(&c->diagnostics, DIAG_ERROR) > 0) {
                dump(&c->diagnostics);
                fail_msg("the test config has errors");
        }
}

static void plan(const Config *c, const Inventory *inv, Plan *p) {
        assert_int_equal(plan_build(c, inv, p), 0);
        assert_int_equal(p->n_vms, c->n_vms);
        assert_false(p->diagnostics.oom);
}

static void expect_no_errors(const Plan *p) {
        if (diag_count(&p->diagnostics, DIAG_ERROR) > 0) {
                dump(&p->diagnostics);
                fail_msg("the plan has errors");
        }
}

static const VmPlan *vm(const Plan *p, const char *name) {
        for (size_t i = 0; i < p->n_vms; i++)
                if (streq(p->vms[i].config->name, name))
                        return &p->vms[i];
        fail_msg("no VM %s in the plan", name);
        return NULL;
}

static int vm_index(const Plan *p, const char *name) {
        return (int) (vm(p, name) - p->vms);
}

static const Diagnostic *find(const Plan *p, DiagLevel level, const char *needle) {
        for (size_t i = 0; i < p->diagnostics.n; i++)
                if (p->diagnostics.items[i].level == level && strstr(p->diagnostics.items[i].message, needle))
                        return &p->diagnostics.items[i];
        dump(&p->diagnostics);
        fail_msg("no %s contains \"%s\"", diag_level_to_string(level), needle);
        return NULL;
}

/* The VM got exactly these devices, in this order. */
static void expect_devices(const Plan *p, const char *name, const char *const *addresses, size_t n) {
        const VmPlan *v = vm(p, name);
        bool ok = v->n_devices == n;
        for (size_t i = 0; ok && i < n; i++)
                ok = v->devices[i] == dev(p->inventory, addresses[i]);
        if (!ok) {
                for (size_t i = 0; i < v->n_devices; i++)
                        print_message("  %s got %s\n", name, p->inventory->devices[v->devices[i]].name);
                fail_msg("VM %s got the wrong devices", name);
        }
}

static void expect_cpus(const VmPlan *v, const char *cpus) {
        _cleanup_(freep) char *s = cpu_set_format(&v->cpus);
        assert_non_null(s);
        assert_string_equal(s, cpus);
}

static const Claim *claim_of(const Plan *p, const char *address) {
        return plan_find_claim(p, dev(p->inventory, address));
}

static uint64_t pages_on(const Plan *p, unsigned node) {
        for (size_t i = 0; i < p->n_pages; i++)
                if (p->pages[i].node == node)
                        return p->pages[i].count;
        fail_msg("no page count for node %u", node);
        return 0;
}

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
        const Diagnostic *d = find(&p, DIAG_ERROR, "NUMA nodes 0 and 1");
        assert_string_equal(d->vm, "a");
        assert_int_equal(d->where.line, 4);   /* the VM's header */
        assert_non_null(strstr(d->message, "NUMANode="));
        assert_false(vm(&p, "a")->valid);
        assert_true(vm(&p, "x")->valid);
        assert_int_equal(p.n_claims, 0);
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

        /* An address sets the node; id matches that do not fit there spill to the other node,
         * with a warning naming the remote device. */
        static const char *const spill[] = { "0000:3a:00.0", "0000:18:00.0", "0000:2a:00.0", "0000:5d:00.0",
                                             "0000:9a:00.0" };
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=3a:00.0\nDevice=10de:2330*4\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        d = find(&p, DIAG_WARNING, "DMA crosses nodes");
        assert_string_equal(d->device, "0000:9a:00.0");
        assert_int_equal(d->where.line, 5);
        assert_true(vm(&p, "a")->valid);
        assert_int_equal(vm(&p, "a")->numa_node, 0);
        expect_devices(&p, "a", spill, 5);
        plan_done(&p);
        config_done(&c);

        /* The same with NUMANode=0. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=3a:00.0\nDevice=10de:2330*4\nNUMANode=0\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        expect_devices(&p, "a", spill, 5);
        plan_done(&p);
        config_done(&c);

        /* Id matches that no single node can serve span nodes too. */
        config(&c, "[VM a]\nMemory=1G\nKernel=/k\nDevice=10de:2330*6\n");
        plan(&c, &inv, &p);
        find(&p, DIAG_ERROR, "no single NUMA node");
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

/* ---- hugepages ---- */

static const char PAGES_VMS[] =
        "[VM a]\nMemory=8G\nKernel=/k\nNUMANode=0\n"
        "[VM b]\nMemory=16G\nKernel=/k\nNUMANode=1\n"
        "[VM c]\nMemory=4G\nKernel=/k\nNUMANode=1\n"
        "[VM broken]\nMemory=32G\nKernel=/k\nNUMANode=0\nDevice=10de:9999\n";   /* fails in the plan */

static void test_hugepages_auto(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        two_nodes(&inv);
        inv_sort(&inv);

        _cleanup_(freep) char *text = strjoin("[Host]\nHugepages=auto\nHugepagesExtra=4\n", PAGES_VMS);
        config(&c, text);
        plan(&c, &inv, &p);
        find(&p, DIAG_ERROR, "10de:9999");
        assert_false(vm(&p, "broken")->valid);
        assert_int_equal(p.n_pages, 2);
        assert_int_equal(p.pages[0].node, 0);
        assert_int_equal(p.pages[1].node, 1);
        assert_int_equal(pages_on(&p, 0), 8 + 2);           /* a, plus half the extra; not broken's 32 */
        assert_int_equal(pages_on(&p, 1), 16 + 4 + 2);      /* b and c, plus half the extra */
        assert_int_equal(p.pages_needed_total, 28);
        assert_int_equal(plan_pages_total(&p), 32);
        plan_done(&p);
        config_done(&c);

        /* An odd extra: spread as evenly as possible. */
        config(&c, "[Host]\nHugepagesExtra=3\n[VM a]\nMemory=8G\nKernel=/k\nNUMANode=0\n"
                   "[VM b]\nMemory=16G\nKernel=/k\nNUMANode=1\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        uint64_t e0 = pages_on(&p, 0) - 8, e1 = pages_on(&p, 1) - 16;
        assert_int_equal(e0 + e1, 3);
        assert_true(e0 == 2 || e1 == 2);
        plan_done(&p);
        config_done(&c);

        /* No VMs, no extra: no pages. */
        config(&c, "[Host]\nHugepages=auto\n");
        plan(&c, &inv, &p);
        assert_int_equal(plan_pages_total(&p), 0);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_hugepages_total(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        two_nodes(&inv);
        inv_sort(&inv);

        config(&c, "[Host]\nHugepages=10\n[VM a]\nMemory=8G\nKernel=/k\nNUMANode=0\n"
                   "[VM b]\nMemory=16G\nKernel=/k\nNUMANode=1\n");
        plan(&c, &inv, &p);
        const Diagnostic *d = find(&p, DIAG_ERROR, "Hugepages=10 is less than the 24 pages");
        assert_int_equal(d->where.line, 2);
        assert_string_equal(d->where.file, CONF);
        plan_done(&p);
        config_done(&c);

        /* Enough: each node gets its VMs' pages and the rest is spread. */
        config(&c, "[Host]\nHugepages=30\n[VM a]\nMemory=8G\nKernel=/k\nNUMANode=0\n"
                   "[VM b]\nMemory=16G\nKernel=/k\nNUMANode=1\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(pages_on(&p, 0), 8 + 3);
        assert_int_equal(pages_on(&p, 1), 16 + 3);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_hugepages_per_node(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        two_nodes(&inv);
        inv_sort(&inv);

        config(&c, "[Host]\nHugepages=0:4,1:4\n[VM a]\nMemory=2G\nKernel=/k\nNUMANode=0\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        assert_int_equal(diag_count(&p.diagnostics, DIAG_WARNING), 0);
        assert_int_equal(p.n_pages, 2);
        assert_int_equal(pages_on(&p, 0), 4);
        assert_int_equal(pages_on(&p, 1), 4);
        plan_done(&p);
        config_done(&c);

        /* Fewer than the VMs on a node need: a warning naming the node. */
        config(&c, "[Host]\nHugepages=0:4,1:4\n[VM a]\nMemory=8G\nKernel=/k\nNUMANode=1\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        const Diagnostic *d = find(&p, DIAG_WARNING, "node 1 4 pages, but its VMs need 8");
        assert_int_equal(d->where.line, 2);
        plan_done(&p);
        config_done(&c);

        /* A node the machine does not have. */
        config(&c, "[Host]\nHugepages=0:4,7:4\n");
        plan(&c, &inv, &p);
        d = find(&p, DIAG_ERROR, "node 7");
        assert_int_equal(d->where.line, 2);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_hugepages_do_not_fit(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        inv_init(&inv);
        add_node(&inv, 0, "0-3", 64);
        add_node(&inv, 1, "4-7", 16);
        inv_sort(&inv);

        config(&c, "[VM big]\nMemory=20G\nKernel=/k\nNUMANode=1\n");
        plan(&c, &inv, &p);
        const Diagnostic *d = find(&p, DIAG_ERROR, "cannot fit");
        assert_non_null(strstr(d->message, "node 1"));
        assert_null(strstr(d->message, "node 0"));
        assert_non_null(strstr(d->message, "16384 MiB"));
        plan_done(&p);
        config_done(&c);

        /* Exactly the node's memory fits, but leaves nothing for the host: a warning. */
        config(&c, "[VM big]\nMemory=16G\nKernel=/k\nNUMANode=1\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        d = find(&p, DIAG_WARNING, "node 1 keeps only 0 MiB");
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

static void test_no_gigantic_pages(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        inv_init(&inv);
        inv.gigantic_pages = false;
        add_node(&inv, 0, "0-3", 64);
        inv_sort(&inv);

        config(&c, "[VM a]\nMemory=4G\nKernel=/k\n");
        plan(&c, &inv, &p);
        const Diagnostic *d = find(&p, DIAG_ERROR, "4 pages of 1 GiB are wanted, but this kernel offers no 1 GiB pages");
        assert_non_null(strstr(d->message, "pdpe1gb"));
        plan_done(&p);
        config_done(&c);

        config(&c, "[VM a]\nMemory=1G\nKernel=/k\n");
        plan(&c, &inv, &p);
        find(&p, DIAG_ERROR, "1 page of 1 GiB is wanted, but");
        plan_done(&p);
        config_done(&c);

        /* Without VMs nothing is wanted, so nothing is wrong. */
        config(&c, "[Host]\nHugepages=auto\n");
        plan(&c, &inv, &p);
        expect_no_errors(&p);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

/* ---- unsafe interrupts ---- */

typedef struct IrqCase {
        const char *iommu_driver;   /* NULL: no IOMMU */
        bool irq_info, remapping;
        const char *host;           /* [Host] lines */
        bool with_device;
        bool expect;
        const char *reason;
} IrqCase;

static void check_irq(const IrqCase *k, Plan *p, Config *c, Inventory *inv) {
        inv_init(inv);
        inv->irq_info = k->irq_info;
        inv->interrupt_remapping = k->remapping;
        add_node(inv, 0, "0-3", 64);
        if (k->iommu_driver)
                add_iommu(inv, streq(k->iommu_driver, "virtio_iommu") ? "0000:00:02.0" : "dmar0", k->iommu_driver);
        add_dev(inv, "0000:18:00.0", GPU, 0, 1, NULL);
        inv_sort(inv);
        _cleanup_(freep) char *text = strjoin("[Host]\n", k->host, "\n[VM a]\nMemory=1G\nKernel=/k\n",
                                              k->with_device ? "Device=10de:2330\n" : "");
        config(c, text);
        plan(c, inv, p);
        if (p->unsafe_interrupts != k->expect) {
                dump(&p->diagnostics);
                fail_msg("iommu=%s irq_info=%d remapping=%d host=[%s] device=%d: unsafe_interrupts=%d (%s), expected %d",
                         strempty(k->iommu_driver), k->irq_info, k->remapping, k->host, k->with_device,
                         p->unsafe_interrupts, strempty(p->unsafe_interrupts_reason), k->expect);
        }
        assert_non_null(p->unsafe_interrupts_reason);
        if (!strstr(p->unsafe_interrupts_reason, k->reason))
                fail_msg("reason \"%s\" lacks \"%s\"", p->unsafe_interrupts_reason, k->reason);
}

static void test_unsafe_interrupts(void **state) {
        static const IrqCase cases[] = {
                /* virtio-iommu never remaps: needed as soon as a device is claimed */
                { "virtio_iommu", true, false, "UnsafeInterrupts=auto", true, true, "does not remap" },
                { "virtio_iommu", false, false, "", true, true, "does not remap" },
                /* ... and not without claims */
                { "virtio_iommu", true, false, "UnsafeInterrupts=auto", false, false, "no devices" },
                /* intel-iommu with remapping on (IR- interrupt chips): not needed */
                { "intel-iommu", true, true, "", true, false, "remapped" },
                /* intel-iommu with remapping off: needed */
                { "intel-iommu", true, false, "", true, true, "does not remap" },
                /* the interrupt chips cannot be read: do not guess */
                { "intel-iommu", false, false, "", true, false, "remapped" },
                /* asked for */
                { "intel-iommu", true, true, "UnsafeInterrupts=yes", true, true, "UnsafeInterrupts=yes" },
                { "virtio_iommu", true, false, "UnsafeInterrupts=yes", false, true, "UnsafeInterrupts=yes" },
                { "virtio_iommu", true, false, "UnsafeInterrupts=no", true, false, "UnsafeInterrupts=no" },
                /* no IOMMU at all */
                { NULL, true, false, "", true, false, "no IOMMU" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Inventory inv;
                Config c;
                Plan p;
                check_irq(&cases[i], &p, &c, &inv);
                plan_done(&p);
                config_done(&c);
                inventory_done(&inv);
        }
}

static void test_unsafe_interrupts_refused(void **state) {
        Inventory inv;
        Config c;
        Plan p;
        static const IrqCase no = { "virtio_iommu", true, false, "UnsafeInterrupts=no", true, false, "UnsafeInterrupts=no" };
        check_irq(&no, &p, &c, &inv);
        const Diagnostic *d = find(&p, DIAG_WARNING, "UnsafeInterrupts=no");
        assert_non_null(strstr(d->message, "cannot remap"));
        expect_no_errors(&p);
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);

        /* No IOMMU but devices to claim: vfio will not work, say so. */
        static const IrqCase none = { NULL, true, false, "", true, false, "no IOMMU" };
        check_irq(&none, &p, &c, &inv);
        find(&p, DIAG_WARNING, "no IOMMU is registered");
        plan_done(&p);
        config_done(&c);
        inventory_done(&inv);
}

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

/* An image root without /sys (image CI), and one with empty sysfs directories. */
static void test_empty_inventory(void **state) {
        char root[] = "/tmp/nestvirt-test-plan-XXXXXX";
        assert_non_null(mkdtemp(root));
        Inventory inv;
        Config c;
        Plan p;
        PciAddress a;
        assert_int_equal(pci_address_parse("0000:18:00.0", &a), 0);

        assert_int_equal(inventory_load(root, INVENTORY_DETAILS, &inv), 0);
        assert_false(inv.has_pci);
        assert_false(inv.has_nodes);
        assert_int_equal(inv.n_devices, 0);
        assert_null(inventory_find_device(&inv, a));
        assert_null(inventory_find_node(&inv, 0));
        assert_false(inventory_needs_unsafe_interrupts(&inv));

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
        assert_true(inv.has_pci);
        assert_false(inv.has_nodes);
        assert_null(inventory_find_device(&inv, a));
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
        char root[] = "/tmp/nestvirt-test-plan-XXXXXX";
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
        char root[] = "/tmp/nestvirt-test-plan-XXXXXX";
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

/* ---- captured sysfs fixtures ---- */

static char *fixture(const char *name) {
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

static const PciDevice *fixture_dev(const Inventory *inv, const char *address) {
        return &inv->devices[dev(inv, address)];
}

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

        /* And it plans: two VMs with two devices each, one per node. */
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
                cmocka_unit_test(test_hugepages_auto),
                cmocka_unit_test(test_hugepages_total),
                cmocka_unit_test(test_hugepages_per_node),
                cmocka_unit_test(test_hugepages_do_not_fit),
                cmocka_unit_test(test_no_gigantic_pages),
                cmocka_unit_test(test_unsafe_interrupts),
                cmocka_unit_test(test_unsafe_interrupts_refused),
                cmocka_unit_test(test_inventory_needs_unsafe_interrupts),
                cmocka_unit_test(test_passthrough),
                cmocka_unit_test(test_vm_checks),
                cmocka_unit_test(test_invalid_config_vm_takes_nothing),
                cmocka_unit_test(test_empty_inventory),
                cmocka_unit_test(test_node_names),
                cmocka_unit_test(test_device_names),
                cmocka_unit_test(test_fixture_virtio_2node_4dev),
                cmocka_unit_test(test_fixture_intel_8gpu_2node),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
