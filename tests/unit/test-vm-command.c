/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Cloud Hypervisor command line of a planned VM (vm_command_build), its tap name and MAC
 * address, and what systemd reads back from it in ExecStart=. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "config.h"
#include "decode-exec-line.h"
#include "disk-image.h"
#include "inventory.h"
#include "parse-values.h"
#include "plan.h"
#include "unit-escape.h"
#include "util.h"
#include "vm-command.h"

/* ---- vm_command_build: the whole Cloud Hypervisor command line of a planned VM ---- */

static void make_file(const char *root, const char *path, const void *data, size_t size) {
        _cleanup_(freep) char *full = strjoin(root, path);
        assert_non_null(full);
        /* mkdir -p */
        for (char *s = full + strlen(root) + 1; (s = strchr(s, '/')); s++) {
                *s = 0;
                if (mkdir(full, 0755) < 0)
                        assert_int_equal(errno, EEXIST);
                *s = '/';
        }
        int fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, size), (ssize_t) size);
        close(fd);
}

static void test_vm_command_build(void **state) {
        static const char conf[] =
                "[VM train0]\n"
                "CPUs=2\n"
                "Memory=4G\n"
                "Kernel=/var/lib/ch/vmlinux\n"
                "Cmdline=console=ttyS0 root=/dev/vda1 rw\n"
                "Disk=/var/lib/nestvirt/a,b c%d/root.raw\n"
                "Disk=/var/lib/nestvirt/seed.img,readonly\n"
                "Disk=/var/lib/nestvirt/jammy-server-cloudimg-amd64.img\n"
                "Device=10de:2330\n"
                "ExtraArguments=--rng \"src=/dev/urandom\"\n";
        Config c;
        config_init(&c);
        assert_int_equal(config_parse_buffer(&c, "/etc/nestvirt.conf", conf, true), 0);
        config_finish(&c);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);
        assert_int_equal(c.n_vms, 1);
        assert_int_equal(c.vms[0].n_disks, 3);
        assert_string_equal(c.vms[0].disks[0].path, "/var/lib/nestvirt/a,b c%d/root.raw");
        assert_false(c.vms[0].disks[0].readonly);
        assert_true(c.vms[0].disks[1].readonly);

        /* One node with CPUs 0-3, one GPU behind virtio-iommu. */
        Inventory inv = { .has_pci = true, .has_nodes = true, .gigantic_pages = true };
        inv.nodes = calloc(1, sizeof(NumaNode));
        assert_non_null(inv.nodes);
        inv.n_nodes = 1;
        inv.nodes[0] = (NumaNode) { .id = 0, .memory_kib = UINT64_C(64) << 20 };
        assert_int_equal(cpu_set_parse("0-3", &inv.nodes[0].cpus), 0);
        inv.devices = calloc(1, sizeof(PciDevice));
        assert_non_null(inv.devices);
        inv.n_devices = 1;
        inv.devices[0] = (PciDevice) { .vendor = 0x10de, .device = 0x2330, .class = 0x030200, .numa_node = 0,
                                       .iommu_group = 5 };
        assert_int_equal(pci_address_parse("0000:41:00.0", &inv.devices[0].address), 0);
        pci_address_format(inv.devices[0].address, inv.devices[0].name);
        inv.iommus = calloc(1, sizeof(Iommu));
        assert_non_null(inv.iommus);
        inv.n_iommus = 1;
        inv.iommus[0] = (Iommu) { .name = strdup("0000:00:02.0"), .driver = strdup("virtio_iommu") };

        Plan plan;
        assert_int_equal(plan_build(&c, &inv, &plan), 0);
        assert_int_equal(diag_count(&plan.diagnostics, DIAG_ERROR), 0);
        assert_true(plan.vms[0].valid);

        /* A root where Ubuntu's cloud image is a qcow2 image (its magic says so, not its name). */
        char root[] = "/tmp/nestvirt-test-escape-XXXXXX";
        assert_non_null(mkdtemp(root));
        make_file(root, "/var/lib/nestvirt/jammy-server-cloudimg-amd64.img", "QFI\xfb\0\0\0\3", 8);

        _cleanup_(strv_freep) char **argv = NULL;
        _cleanup_(freep) size_t *literal = NULL;
        assert_int_equal(vm_command_build_for_unit(&plan, 0, root, &argv, &literal), 0);

        static const char *const expected[] = {
                "/usr/local/bin/cloud-hypervisor",
                "--api-socket", "path=/run/nestvirt/vm/train0/api.sock",
                "--cpus", "boot=2,affinity=[0@[0-3],1@[0-3]]",
                "--memory", "size=0",
                "--memory-zone", "id=mem0,size=4G,hugepages=on,hugepage_size=1G,host_numa_node=0",
                "--kernel", "/var/lib/ch/vmlinux",
                "--cmdline", "console=ttyS0 root=/dev/vda1 rw",
                /* The type is the start's to read: the generator may not see the image yet. */
                "--disk", "path=\"/var/lib/nestvirt/a,b c%d/root.raw\",image_type=${NESTVIRT_DISK0_TYPE}",
                "--disk", "path=/var/lib/nestvirt/seed.img,readonly=on,image_type=${NESTVIRT_DISK1_TYPE}",
                "--disk", "path=/var/lib/nestvirt/jammy-server-cloudimg-amd64.img,image_type=${NESTVIRT_DISK2_TYPE}",
                "--device", "path=/sys/bus/pci/devices/0000:41:00.0,id=gpu0",
                "--serial", "tty",
                "--console", "off",
                "--rng", "src=/dev/urandom",
        };
        if (strv_length(argv) != ELEMENTSOF(expected))
                for (size_t i = 0; argv[i]; i++)
                        print_message("argv[%zu] = [%s]\n", i, argv[i]);
        assert_int_equal(strv_length(argv), ELEMENTSOF(expected));
        for (size_t i = 0; i < ELEMENTSOF(expected); i++)
                assert_string_equal(argv[i], expected[i]);

        /* Only the references are for systemd to expand: every other byte is taken as it is. */
        for (size_t i = 0; argv[i]; i++) {
                const char *reference = strstr(argv[i], "${NESTVIRT_DISK");
                assert_int_equal(literal[i], reference ? (size_t) (reference - argv[i]) : strlen(argv[i]));
        }

        /* Through the unit file: the disk word is quoted for systemd, its '%' doubled, the
         * reference left for systemd to expand, and systemd's reading of the line gives back the argv. */
        StringBuffer b = {};
        unit_append_exec_argv_expanding(&b, argv, literal);
        _cleanup_(freep) char *line = sb_steal(&b);
        assert_non_null(line);
        assert_non_null(strstr(line, " --disk \"path=\\\"/var/lib/nestvirt/a,b c%%d/root.raw\\\",image_type=${NESTVIRT_DISK0_TYPE}\" "));
        _cleanup_(strv_freep) char **back = decode_exec_line(line);
        assert_int_equal(strv_length(back), strv_length(argv));
        for (size_t i = 0; argv[i]; i++)
                assert_string_equal(back[i], argv[i]);

        /* What 'vm prepare' reads at the start, and 'vm argv' shows: qcow2 from the magic of a
         * ".img"; an image that cannot be read is not guessed and keeps its reference. */
        const char *types[3] = {};
        for (size_t i = 0; i < 3; i++) {
                _cleanup_(freep) char *real = strjoin(root, c.vms[0].disks[i].path);
                DiskImageType t;
                if (disk_image_type_read(real, &t, NULL) >= 0)
                        types[i] = disk_image_type_to_string(t);
        }
        assert_null(types[0]);
        assert_string_equal(types[2], "qcow2");
        assert_int_equal(vm_command_resolve_disk_types(argv, literal, types, 3), 0);
        assert_string_equal(argv[14], "path=\"/var/lib/nestvirt/a,b c%d/root.raw\",image_type=${NESTVIRT_DISK0_TYPE}");
        assert_string_equal(argv[18], "path=/var/lib/nestvirt/jammy-server-cloudimg-amd64.img,image_type=qcow2");

        _cleanup_(freep) char *img = strjoin(root, "/var/lib/nestvirt/jammy-server-cloudimg-amd64.img");
        _cleanup_(freep) char *d1 = strjoin(root, "/var/lib/nestvirt");
        _cleanup_(freep) char *d2 = strjoin(root, "/var/lib");
        _cleanup_(freep) char *d3 = strjoin(root, "/var");
        assert_int_equal(unlink(img), 0);
        assert_int_equal(rmdir(d1), 0);
        assert_int_equal(rmdir(d2), 0);
        assert_int_equal(rmdir(d3), 0);
        assert_int_equal(rmdir(root), 0);

        plan_done(&plan);
        inventory_done(&inv);
        config_done(&c);
}

/* Serial and network options, and a VM without affinity or devices. */
static void test_vm_command_options(void **state) {
        static const char conf[] =
                "[VM web-1]\n"
                "Memory=2G\n"
                "Firmware=/usr/share/cloud-hypervisor/hypervisor-fw\n"
                "CPUAffinity=none\n"
                "Serial=file\n"
                "Network=tap\n"
                "MAC=52:54:00:aa:bb:cc\n"
                "HostAddress=192.168.249.1/24\n";
        Config c;
        config_init(&c);
        assert_int_equal(config_parse_buffer(&c, "/etc/nestvirt.conf", conf, true), 0);
        config_finish(&c);
        assert_int_equal(diag_count(&c.diagnostics, DIAG_ERROR), 0);

        Inventory inv = {};
        Plan plan;
        assert_int_equal(plan_build(&c, &inv, &plan), 0);
        assert_true(plan.vms[0].valid);

        _cleanup_(strv_freep) char **argv = NULL;
        assert_int_equal(vm_command_build(&plan, 0, "/nonexistent", &argv), 0);
        assert_true(strv_contains(argv, "boot=1"));   /* CPUs= defaults to 1, no affinity */
        assert_true(strv_contains(argv, "id=mem0,size=2G,hugepages=on,hugepage_size=1G"));
        assert_true(strv_contains(argv, "--firmware"));
        assert_true(strv_contains(argv, "/usr/share/cloud-hypervisor/hypervisor-fw"));
        assert_false(strv_contains(argv, "--kernel"));
        assert_false(strv_contains(argv, "--device"));
        assert_true(strv_contains(argv, "file=/var/log/nestvirt/web-1.serial.log"));
        assert_true(strv_contains(argv, "tap=nv-web-1,mac=52:54:00:aa:bb:cc,ip=192.168.249.1,mask=255.255.255.0"));

        plan_done(&plan);
        config_done(&c);
}

/* A kernel command line starting with '-' must not look like the next option to Cloud Hypervisor. */
static void test_vm_command_dash_cmdline(void **state) {
        static const char conf[] =
                "[VM dash]\n"
                "Memory=1G\n"
                "Kernel=/vmlinux\n"
                "Cmdline=-v console=ttyS0\n";
        Config c;
        config_init(&c);
        assert_int_equal(config_parse_buffer(&c, "/etc/nestvirt.conf", conf, true), 0);
        config_finish(&c);
        Inventory inv = {};
        Plan plan;
        assert_int_equal(plan_build(&c, &inv, &plan), 0);
        _cleanup_(strv_freep) char **argv = NULL;
        assert_int_equal(vm_command_build(&plan, 0, "/nonexistent", &argv), 0);
        assert_true(strv_contains(argv, "--cmdline=-v console=ttyS0"));
        assert_false(strv_contains(argv, "--cmdline"));
        plan_done(&plan);
        config_done(&c);
}

static void test_tap_and_mac(void **state) {
        VmConfig vm = { .name = (char *) "train0" };
        _cleanup_(freep) char *t1 = vm_tap_name(&vm);
        assert_string_equal(t1, "nv-train0");

        VmConfig longer = { .name = (char *) "a-very-long-vm-name-0123456789" };
        _cleanup_(freep) char *t2 = vm_tap_name(&longer);
        assert_non_null(t2);
        assert_true(strlen(t2) <= TAP_NAME_MAX);
        assert_true(tap_name_is_valid(t2));
        VmConfig longer2 = { .name = (char *) "a-very-long-vm-name-0123456788" };
        _cleanup_(freep) char *t3 = vm_tap_name(&longer2);
        assert_string_not_equal(t2, t3);   /* same 7-character prefix, different names */

        char m1[18], m2[18], m3[18];
        vm_mac_address(&vm, "/nonexistent", m1);
        vm_mac_address(&vm, "/nonexistent", m2);
        vm_mac_address(&longer, "/nonexistent", m3);
        assert_string_equal(m1, m2);      /* stable */
        assert_string_not_equal(m1, m3);
        const char *reason;
        assert_int_equal(parse_mac(m1, &reason), 0);   /* unicast, not all-zero */
        assert_int_equal(unhex(m1[1]) & 0x3, 0x2);      /* locally administered unicast */
}

/* ---- option by option: which options appear, in which order, and what each value is made of ---- */
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
                "--api-socket", "path=/run/nestvirt/vm/all/api.sock",
                "--cpus", "boot=2,affinity=[0@[0-3],1@[0-3]]",
                "--memory", "size=0",
                "--memory-zone", "id=mem0,size=3G,hugepages=on,hugepage_size=1G,host_numa_node=0",
                "--kernel", "/boot/vmlinux",
                "--initramfs", "/boot/initrd",
                "--cmdline", "console=ttyS0",
                "--disk", "path=/images/root.raw,image_type=${NESTVIRT_DISK0_TYPE}",
                "--disk", "path=/run/nestvirt/vm/all/cidata.iso,readonly=on,image_type=raw",
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
                "--api-socket", "path=/run/nestvirt/vm/bare/api.sock",
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
                const char *setting, *value, *console;
        } cases[] = {
                { "journal", "tty", "off" },
                { "file", "file=/var/log/nestvirt/s.serial.log", "off" },
                { "off", "off", "off" },
                /* The socket for 'vm console'; the virtio console keeps boot output in the journal. */
                { "socket", "socket=/run/nestvirt/vm/s/serial.sock", "tty" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Fixture f;
                _cleanup_(freep) char *conf = strjoin("[VM s]\nMemory=1G\nKernel=/k\nSerial=", cases[i].setting, "\n");
                assert_non_null(conf);
                build(&f, conf);
                assert_string_equal(value_of(&f, "--serial"), cases[i].value);
                assert_string_equal(value_of(&f, "--console"), cases[i].console);
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
                cmocka_unit_test(test_vm_command_build),
                cmocka_unit_test(test_vm_command_options),
                cmocka_unit_test(test_vm_command_dash_cmdline),
                cmocka_unit_test(test_tap_and_mac),
                cmocka_unit_test(test_every_option_in_order),
                cmocka_unit_test(test_only_what_is_needed),
                cmocka_unit_test(test_serial),
                cmocka_unit_test(test_device_ids),
                cmocka_unit_test(test_net),
                cmocka_unit_test(test_dash_value_joined),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
