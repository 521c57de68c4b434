/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 'nestvirt vm info NAME': what Cloud Hypervisor itself says of the VM (GET /api/v1/vm.info),
 * not what the configuration asks for: the two differ until a restart applies an edit. */

#include <inttypes.h>

#include "json.h"
#include "util.h"
#include "verb-vm-info.h"
#include "vm-control.h"

#define GIB (UINT64_C(1) << 30)

/* Whole GiB as "4 GiB", anything else in MiB: guest memory comes in 1 GiB pages here. */
static void format_size(uint64_t bytes, char buf[static 32]) {
        if (bytes % GIB == 0)
                snprintf(buf, 32, "%" PRIu64 " GiB", bytes / GIB);
        else
                snprintf(buf, 32, "%" PRIu64 " MiB", bytes >> 20);
}

static void print_text(const char *name, const VmInfo *i) {
        char size[32];

        printf("VM:       %s\nState:    %s\n", name, i->state);
        printf("vCPUs:    %" PRIu64 " (max %" PRIu64 ")\n", i->boot_vcpus, i->max_vcpus);
        format_size(vm_info_memory_total(i), size);
        printf("Memory:   %s", size);
        if (i->memory_actual_size) {
                format_size(i->memory_actual_size, size);
                printf(" (the guest has %s now)", size);
        }
        printf("\n");
        for (size_t z = 0; z < i->n_zones; z++) {
                format_size(i->zones[z].size, size);
                printf("  zone %s: %s", i->zones[z].id ?: "?", size);
                if (i->zones[z].host_numa_node >= 0)
                        printf(" on node %" PRIi64, i->zones[z].host_numa_node);
                printf("%s\n", i->zones[z].hugepages ? ", hugepages" : "");
        }
        printf("Devices:  %s\n", i->n_devices ? "" : "none");
        for (size_t d = 0; d < i->n_devices; d++)
                printf("  %-6s %-8s %s%s\n", i->devices[d].kind, i->devices[d].id ?: "-", i->devices[d].what ?: "-",
                       i->devices[d].readonly ? " (read-only)" : "");
        printf("Serial:   %s\nConsole:  %s\n", i->serial ?: "?", i->console ?: "?");
}

static void print_json(const char *name, const VmInfo *i) {
        JsonWriter w = { .f = stdout };
        json_begin_object(&w);
        json_field_string(&w, "name", name);
        json_field_string(&w, "state", i->state);
        json_field_uint(&w, "boot_vcpus", i->boot_vcpus);
        json_field_uint(&w, "max_vcpus", i->max_vcpus);
        json_field_uint(&w, "memory_bytes", vm_info_memory_total(i));
        json_field_uint(&w, "memory_actual_bytes", i->memory_actual_size);
        json_key(&w, "memory_zones");
        json_begin_array(&w);
        for (size_t z = 0; z < i->n_zones; z++) {
                json_begin_object(&w);
                json_field_string(&w, "id", i->zones[z].id);
                json_field_uint(&w, "bytes", i->zones[z].size);
                json_key(&w, "host_numa_node");
                if (i->zones[z].host_numa_node >= 0)
                        json_int(&w, i->zones[z].host_numa_node);
                else
                        json_null(&w);
                json_field_bool(&w, "hugepages", i->zones[z].hugepages);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_key(&w, "devices");
        json_begin_array(&w);
        for (size_t d = 0; d < i->n_devices; d++) {
                json_begin_object(&w);
                json_field_string(&w, "kind", i->devices[d].kind);
                json_field_string(&w, "id", i->devices[d].id);
                json_field_string(&w, "what", i->devices[d].what);
                json_field_bool(&w, "readonly", i->devices[d].readonly);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_field_string(&w, "serial", i->serial);
        json_field_string(&w, "console", i->console);
        json_end_object(&w);
        json_finish(&w);
}

int vm_info(const Options *o, const char *name) {
        _cleanup_(vm_info_done) VmInfo info = {};

        if (vm_fetch_info(o->root, name, o->timeout, &info) < 0)
                return EXIT_PROBLEMS;
        if (o->json)
                print_json(name, &info);
        else
                print_text(name, &info);
        return 0;
}
