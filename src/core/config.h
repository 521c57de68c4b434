/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "cpu-set.h"
#include "diag.h"
#include "pci-match.h"

#define VM_NAME_MAX 32
#define TAP_NAME_MAX 15
#define DEFAULT_HYPERVISOR "/usr/local/bin/cloud-hypervisor"

/* Bounds on every count and size, so that no sum or product of them the planner forms can
 * overflow: NUMA node numbers below NODE_MAX (the kernel's MAX_NUMNODES is at most 1024), at
 * most PAGES_MAX 1 GiB pages in any one count (1 PiB) and Memory= at most MEMORY_GIB_MAX. A sum
 * over N VMs or nodes stays below N * 2^20, far below 2^64 for any config that fits in memory;
 * a page count times 1024 (MiB per page) stays below 2^30 * N. */
#define NODE_MAX 1024u
#define PAGES_MAX (UINT64_C(1) << 20)
#define MEMORY_GIB_MAX PAGES_MAX

typedef enum HugepagesMode {
        HUGEPAGES_AUTO,
        HUGEPAGES_TOTAL,      /* Hugepages=COUNT */
        HUGEPAGES_PER_NODE,   /* Hugepages=0:4,1:4 */
} HugepagesMode;

typedef struct NodeCount {
        unsigned node;
        uint64_t count;
} NodeCount;

typedef enum Tristate {
        TRISTATE_AUTO = -1,
        TRISTATE_NO = 0,
        TRISTATE_YES = 1,
} Tristate;

typedef enum AffinityMode {
        AFFINITY_AUTO,
        AFFINITY_NONE,
        AFFINITY_LIST,
} AffinityMode;

typedef enum NetworkMode {
        NETWORK_NONE,
        NETWORK_TAP,
        NETWORK_NAT,          /* a tap, masqueraded, with the guest's address in its cloud-init seed */
} NetworkMode;

typedef enum SerialMode {
        SERIAL_JOURNAL,
        SERIAL_FILE,
        SERIAL_OFF,
        SERIAL_SOCKET,     /* a Unix socket in the runtime directory: 'nestvirt vm console' */
} SerialMode;

typedef enum RestartMode {
        RESTART_NO,
        RESTART_ON_FAILURE,
        RESTART_ALWAYS,
} RestartMode;

/* A string setting and the line that set it, so later checks can point at it. */
typedef struct Setting {
        char *value;
        Location where;
} Setting;

typedef struct DiskConfig {
        char *path;
        bool readonly;
        Location where;
} DiskConfig;

typedef struct HostConfig {
        HugepagesMode hugepages_mode;
        uint64_t hugepages_total;
        NodeCount *hugepages_nodes;
        size_t n_hugepages_nodes;
        Location hugepages_where;
        uint64_t hugepages_extra;
        Tristate unsafe_interrupts;
        DeviceMatch *passthrough;
        size_t n_passthrough;
        Setting hypervisor;
} HostConfig;

typedef struct VmConfig {
        char *name;
        Location where;            /* first [VM NAME] header */
        unsigned cpus;
        Location cpus_where;
        uint64_t memory_gib;
        Location memory_where;
        DeviceMatch *devices;
        size_t n_devices;
        int numa_node;             /* -1: auto, or NUMANode= lists several (numa_nodes) */
        unsigned *numa_nodes;      /* NUMANode=N,M,...: two or more nodes, ascending */
        size_t n_numa_nodes;
        Location numa_where;
        AffinityMode affinity_mode;
        CpuSet affinity;
        Location affinity_where;
        Setting cpu_options;       /* CPUOptions=: more --cpus sub-options, checked */
        unsigned max_phys_bits;    /* its max_phys_bits=, 0 when not given */
        bool shared_memory;        /* SharedMemory=: memory zones shared=on */
        bool peer_to_peer;         /* PeerToPeer=: NVIDIA GPUDirect clique for its NVIDIA devices */
        Setting kernel, firmware, initramfs, cmdline, cloud_init;
        DiskConfig *disks;
        size_t n_disks;
        NetworkMode network;
        Setting tap_name, mac, host_address;
        SerialMode serial;
        bool autostart;
        RestartMode restart;
        Setting extra_arguments;
        bool invalid;              /* an error was found in this VM: it gets no unit */
} VmConfig;

typedef struct ConfigFile {
        char *path;                /* logical path, as an admin would name it */
        bool refused;              /* unsafe ownership or mode: not read */
} ConfigFile;

typedef struct Config {
        HostConfig host;
        VmConfig *vms;
        size_t n_vms;
        ConfigFile *files;
        size_t n_files;
        uint64_t digest;           /* of the files' names and contents, in reading order */
        Diagnostics diagnostics;
} Config;

typedef struct ConfigLoadOptions {
        const char *root;          /* NULL or "/" for the running system */
        const char *single_file;   /* --config FILE: read only this (a real path, not under root) */
        bool strict;               /* unknown sections/keys are errors (check), not warnings */
        bool check_ownership;      /* refuse files writable by non-root */
        uid_t allow_owner;         /* with check_ownership: trust this owner like root (image CI); 0: none */
} ConfigLoadOptions;

int config_load(const ConfigLoadOptions *o, Config *ret);
void config_done(Config *c);

/* Parse a buffer as if it were FILE (tests and fuzzing). Appends to c. */
int config_parse_buffer(Config *c, const char *file, const char *data, bool strict);
/* Checks that need the whole config (after all files): per-VM requirements. */
void config_finish(Config *c);
void config_init(Config *c);

const VmConfig *config_find_vm(const Config *c, const char *name);
bool vm_name_is_valid(const char *name);

const char *serial_mode_to_string(SerialMode m);
const char *restart_mode_to_string(RestartMode m);
const char *tristate_to_string(Tristate t);
