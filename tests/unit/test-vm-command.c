/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Cloud Hypervisor command line, option by option: which options appear, in which order, and
 * what each one's value is made of. The whole line of a typical VM, and the escaping of its
 * values, are tested in test-escape.c; whole units in the golden suite. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "inventory.h"
#include "plan.h"
#include "util.h"
#include "vm-command.h"

#define GPU 0x10de, 0x2330, 0x030200
#define NIC 0x15b3, 0x101b, 0x020000

typedef struct Fixture {
        Config config;
        Inventory inv;
        Plan plan;
        char **argv;
} Fixture;

static void add_dev(Inventory *inv, const char *address, uint16_t vendor, uint16_t device, uint32_t class) {
        PciDevice *d = ARRAY_APPEND(inv->devices, inv->n_devices);
        assert_non_null(d);
        *d = (PciDevice) { .vendor = vendor, .device = device, .class = class, .numa_node = 0, .iommu_group = -1 };
        assert_int_equal(pci_address_parse(address, &d->address), 0);
        pci_address_format(d->address, d->name);
}

/* One node with CPUs 0-3 and, by address, GPU NIC GPU; the config's one VM, planned and built. */
static void build(Fixture *f, const char *conf) {
        *f = (Fixture) {};
        config_init(&f->config);
        assert_int_equal(config_parse_buffer(&f->config, "/etc/nestvirt.conf", conf, true), 0);
        config_finish(&f->config);
        assert_int_equal(diag_count(&f->config.diagnostics, DIAG_ERROR), 0);
        assert_int_equal(f->config.n_vms, 1);

        f->inv = (Inventory) { .has_pci = true, .has_nodes = true, .gigantic_pages = true };
        NumaNode *n = ARRAY_APPEND(f->inv.nodes, f->inv.n_nodes);
        assert_non_null(n);
        *n = (NumaNode) { .id = 0, .memory_kib = UINT64_C(64) << 20 };
        assert_int_equal(cpu_set_parse("0-3", &n->cpus), 0);
        add_dev(&f->inv, "0000:41:00.0", GPU);
        add_dev(&f->inv, "0000:42:00.0", NIC);
        add_dev(&f->inv, "0000:43:00.0", GPU);

        assert_int_equal(plan_build(&f->config, &f->inv, &f->plan), 0);
        assert_int_equal(diag_count(&f->plan.diagnostics, DIAG_ERROR), 0);
        assert_int_equal(vm_command_build(&f->plan, 0, "/nonexistent", &f->argv), 0);
}

static void done(Fixture *f) {
        strv_free(f->argv);
        plan_done(&f->plan);
        inventory_done(&f->inv);
        config_done(&f->config);
}

/* The value that follows OPTION; fails when OPTION is not there exactly once. */
static const char *value_of(const Fixture *f, const char *option) {
        const char *found = NULL;
        for (size_t i = 0; f->argv[i]; i++)
                if (streq(f->argv[i], option)) {
                        assert_null(found);
                        assert_non_null(f->argv[i + 1]);
                        found = f->argv[i + 1];
                }
        if (!found)
                fail_msg("%s is missing", option);
        return found;
}

/* argv is [Host] Hypervisor=, then EXPECTED. */
static void expect_argv(const Fixture *f, const char *const *expected, size_t n) {
        if (strv_length(f->argv) != n + 1)
                for (size_t i = 0; f->argv[i]; i++)
                        print_message("argv[%zu] = [%s]\n", i, f->argv[i]);
        assert_int_equal(strv_length(f->argv), n + 1);
        assert_string_equal(f->argv[0], f->config.host.hypervisor.value);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(f->argv[i + 1], expected[i]);
}

static bool endswith(const char *s, const char *suffix) {
        size_t l = strlen(s), k = strlen(suffix);
        return l >= k && streq(s + l - k, suffix);
}

/* Every optional option set: each appears once, in a fixed order, ExtraArguments= last so it
 * can add what nestvirt does not. Devices named by address are taken (and listed) before those
 * matched by id. */
static void test_every_option_in_order(void **state) {
        Fixture f;
        build(&f, "[VM all]\nCPUs=2\nMemory=3G\nDevice=10de:2330*2\nDevice=0000:42:00.0\n"
                  "Kernel=/boot/vmlinux\nInitramfs=/boot/initrd\nCmdline=console=ttyS0\n"
                  "Disk=/images/root.raw\nCloudInit=/etc/nestvirt/all/\nNetwork=tap\nTapName=tap-all\n"
                  "MAC=52:54:00:00:00:01\nSerial=off\nExtraArguments=--rng src=/dev/urandom\n");
        static const char *const expected[] = {
                "--api-socket", "path=/run/nestvirt/all/api.sock",
                "--cpus", "boot=2,affinity=[0@[0-3],1@[0-3]]",
                "--memory", "size=0",
                "--memory-zone", "id=mem0,size=3G,hugepages=on,hugepage_size=1G,host_numa_node=0",
                "--kernel", "/boot/vmlinux",
                "--initramfs", "/boot/initrd",
                "--cmdline", "console=ttyS0",
                "--disk", "path=/images/root.raw,image_type=raw",
                "--disk", "path=/run/nestvirt/all/cidata.iso,readonly=on,image_type=raw",
                "--device", "path=/sys/bus/pci/devices/0000:42:00.0,id=dev0",
                "--device", "path=/sys/bus/pci/devices/0000:41:00.0,id=gpu0",
                "--device", "path=/sys/bus/pci/devices/0000:43:00.0,id=gpu1",
                "--net", "tap=tap-all,mac=52:54:00:00:00:01",
                "--serial", "off",
                "--console", "off",
                "--rng", "src=/dev/urandom",
        };
        expect_argv(&f, expected, ELEMENTSOF(expected));
        done(&f);
}

/* Nothing optional: no kernel files, disks, devices, network or extra arguments. */
static void test_only_what_is_needed(void **state) {
        Fixture f;
        build(&f, "[VM bare]\nMemory=1G\nFirmware=/fw\nCPUAffinity=none\n");
        static const char *const expected[] = {
                "--api-socket", "path=/run/nestvirt/bare/api.sock",
                "--cpus", "boot=1",
                "--memory", "size=0",
                "--memory-zone", "id=mem0,size=1G,hugepages=on,hugepage_size=1G,host_numa_node=0",
                "--firmware", "/fw",
                "--serial", "tty",
                "--console", "off",
        };
        expect_argv(&f, expected, ELEMENTSOF(expected));
        done(&f);
}

static void test_serial(void **state) {
        static const struct {
                const char *setting, *value;
        } cases[] = {
                { "journal", "tty" },
                { "file", "file=/var/log/nestvirt/s.serial.log" },
                { "off", "off" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Fixture f;
                _cleanup_(freep) char *conf = strjoin("[VM s]\nMemory=1G\nKernel=/k\nSerial=", cases[i].setting, "\n");
                assert_non_null(conf);
                build(&f, conf);
                assert_string_equal(value_of(&f, "--serial"), cases[i].value);
                assert_string_equal(value_of(&f, "--console"), "off");
                done(&f);
        }
}

/* Devices are numbered per kind in --device order: GPUs gpuN, everything else devN. */
static void test_device_ids(void **state) {
        Fixture f;
        build(&f, "[VM d]\nMemory=1G\nKernel=/k\nDevice=0000:42:00.0\nDevice=0000:43:00.0\n");
        static const char *const expected[] = {
                "path=/sys/bus/pci/devices/0000:42:00.0,id=dev0",
                "path=/sys/bus/pci/devices/0000:43:00.0,id=gpu0",
        };
        size_t n = 0;
        for (size_t i = 0; f.argv[i]; i++)
                if (streq(f.argv[i], "--device")) {
                        assert_true(n < ELEMENTSOF(expected));
                        assert_string_equal(f.argv[i + 1], expected[n++]);
                }
        assert_int_equal(n, ELEMENTSOF(expected));
        done(&f);
}

/* The tap's name and MAC are derived when not given; the host side's address only with HostAddress=. */
static void test_net(void **state) {
        Fixture f;
        build(&f, "[VM n]\nMemory=1G\nKernel=/k\nNetwork=tap\n");
        const char *v = value_of(&f, "--net");
        assert_true(startswith(v, "tap=nv-n,mac="));
        assert_null(strstr(v, ",ip="));
        char mac[MAC_ADDRESS_STRING_MAX];
        vm_mac_address(f.plan.vms[0].config, "/nonexistent", mac);
        assert_string_equal(v + strlen("tap=nv-n,mac="), mac);
        done(&f);

        build(&f, "[VM n]\nMemory=1G\nKernel=/k\nNetwork=tap\nHostAddress=172.16.0.1/16\n");
        assert_true(endswith(value_of(&f, "--net"), ",ip=172.16.0.1,mask=255.255.0.0"));
        done(&f);

        build(&f, "[VM n]\nMemory=1G\nKernel=/k\nNetwork=none\nHostAddress=172.16.0.1/16\n");
        assert_false(strv_contains(f.argv, "--net"));
        done(&f);
}

/* A value starting with '-' is joined to its option, so it cannot read as the next option. */
static void test_dash_value_joined(void **state) {
        Fixture f;
        build(&f, "[VM j]\nMemory=1G\nKernel=/k\nCmdline=--help\n");
        assert_true(strv_contains(f.argv, "--cmdline=--help"));
        assert_false(strv_contains(f.argv, "--cmdline"));
        assert_string_equal(value_of(&f, "--kernel"), "/k");
        done(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_option_in_order),
                cmocka_unit_test(test_only_what_is_needed),
                cmocka_unit_test(test_serial),
                cmocka_unit_test(test_device_ids),
                cmocka_unit_test(test_net),
                cmocka_unit_test(test_dash_value_joined),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
