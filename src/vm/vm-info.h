/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What 'nestvirt vm info' shows of Cloud Hypervisor's answer to GET /api/v1/vm.info (VmInfo in
 * its openapi): the state, the vCPUs, the memory and its zones, the devices. Pure: parses the
 * body, no I/O. Members CH leaves out (older versions, other payloads) stay unset. */

#include <stdbool.h>
#include <stdint.h>

typedef struct VmInfoZone {
        char *id;
        uint64_t size;             /* bytes */
        int64_t host_numa_node;    /* -1: not pinned to a node */
        bool hugepages;
} VmInfoZone;

typedef struct VmInfoDevice {
        const char *kind;          /* "disk", "net", "device" (VFIO), static */
        char *id;                  /* NULL when CH named none */
        char *what;                /* the path, or for a net the tap and MAC */
        bool readonly;
} VmInfoDevice;

typedef struct VmInfo {
        char state[32];
        uint64_t boot_vcpus, max_vcpus;
        uint64_t memory_size;          /* config.memory.size, bytes: 0 when all is in zones */
        uint64_t memory_actual_size;   /* what the guest has now; 0: not reported */
        VmInfoZone *zones;
        size_t n_zones;
        VmInfoDevice *devices;
        size_t n_devices;
        char *serial, *console;        /* "Socket /run/...", "Tty", "Off" ...; NULL: not reported */
} VmInfo;

/* Returns 0, -EBADMSG when BODY is not a VmInfo (no "state" string), -ENOMEM. */
int vm_info_parse(const char *body, VmInfo *ret);
void vm_info_done(VmInfo *info);
/* The memory the VM was given: config.memory.size plus its zones, in bytes. */
uint64_t vm_info_memory_total(const VmInfo *info);
