/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The summary of Cloud Hypervisor's VmInfo that 'nestvirt vm info' prints. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "macro.h"
#include "vm-info.h"

/* As CH v53 writes it (abridged): config first, with decoys named like what is read. */
static const char vm_info_body[] =
        "{\"config\":{\"cpus\":{\"boot_vcpus\":2,\"max_vcpus\":4,\"topology\":null},"
        "\"memory\":{\"size\":0,\"zones\":[{\"id\":\"mem0\",\"size\":4294967296,\"hugepages\":true,"
        "\"host_numa_node\":1},{\"id\":\"mem1\",\"size\":1073741824,\"hugepages\":false,\"host_numa_node\":null}]},"
        "\"payload\":{\"cmdline\":\"state=Shutdown \\\"boot_vcpus\\\":9\"},"
        "\"disks\":[{\"path\":\"/var/lib/root.raw\",\"readonly\":false,\"id\":\"_disk0\"},"
        "{\"path\":\"/run/nestvirt/a/cidata.iso\",\"readonly\":true,\"id\":\"_disk1\"}],"
        "\"net\":[{\"tap\":\"nv-a\",\"mac\":\"02:00:00:00:00:01\",\"id\":\"_net2\"}],"
        "\"devices\":[{\"path\":\"/sys/bus/pci/devices/0000:41:00.0\",\"id\":\"gpu0\"}],"
        "\"serial\":{\"mode\":\"Socket\",\"file\":null,\"socket\":\"/run/nestvirt/a/serial.sock\"},"
        "\"console\":{\"mode\":\"Tty\",\"file\":null}},"
        "\"state\":\"Running\",\"memory_actual_size\":5368709120,"
        "\"device_tree\":{\"_disk0\":{\"id\":\"_disk0\",\"state\":\"Shutdown\"}}}";

static void test_vm_info_parse(void **state) {
        VmInfo i;

        assert_int_equal(vm_info_parse(vm_info_body, &i), 0);
        assert_string_equal(i.state, "Running");
        assert_int_equal(i.boot_vcpus, 2);
        assert_int_equal(i.max_vcpus, 4);
        assert_int_equal(i.n_zones, 2);
        assert_string_equal(i.zones[0].id, "mem0");
        assert_int_equal(i.zones[0].host_numa_node, 1);
        assert_true(i.zones[0].hugepages);
        assert_int_equal(i.zones[1].host_numa_node, -1);   /* null: not pinned */
        assert_false(i.zones[1].hugepages);
        assert_true(vm_info_memory_total(&i) == UINT64_C(5) << 30);
        assert_true(i.memory_actual_size == UINT64_C(5) << 30);
        assert_int_equal(i.n_devices, 4);
        assert_string_equal(i.devices[0].kind, "disk");
        assert_false(i.devices[0].readonly);
        assert_true(i.devices[1].readonly);
        assert_string_equal(i.devices[2].kind, "net");
        assert_string_equal(i.devices[2].what, "tap=nv-a mac=02:00:00:00:00:01");
        assert_string_equal(i.devices[3].id, "gpu0");
        assert_string_equal(i.devices[3].what, "/sys/bus/pci/devices/0000:41:00.0");
        assert_string_equal(i.serial, "Socket /run/nestvirt/a/serial.sock");
        assert_string_equal(i.console, "Tty");
        vm_info_done(&i);
}

/* An older or leaner answer: only the state. Everything else stays unset, nothing fails. */
static void test_vm_info_minimal(void **state) {
        VmInfo i;

        assert_int_equal(vm_info_parse("{\"state\":\"Created\"}", &i), 0);
        assert_string_equal(i.state, "Created");
        assert_int_equal(i.boot_vcpus, 0);
        assert_int_equal(i.n_devices, 0);
        assert_null(i.serial);
        vm_info_done(&i);
        assert_int_equal(vm_info_parse("{\"config\":{}}", &i), -EBADMSG);
        assert_int_equal(vm_info_parse("[\"Not Found\"]", &i), -EBADMSG);
        assert_int_equal(vm_info_parse("", &i), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vm_info_parse),
                cmocka_unit_test(test_vm_info_minimal),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
