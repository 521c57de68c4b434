/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The machine a sysfs fixture was captured from: CAPTURE-INFO keeps the QEMU arguments that built
 * it (tests/lab/capture.sh, topology.sh), a description of the host that owes nothing to sysfs. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MACHINE_PARTS_MAX 8
#define QEMU_OPTION_MAX 64

/* What QEMU was told to build, from CAPTURE-INFO's "qemu-machine-args:" line. */
typedef struct Machine {
        unsigned n_e1000e, n_hda;                 /* -device e1000e, -device ich9-intel-hda */
        size_t n_nodes;
        struct {
                unsigned id;
                char cpus[QEMU_OPTION_MAX], memdev[QEMU_OPTION_MAX];   /* -numa node,nodeid=,cpus=,memdev= */
        } nodes[MACHINE_PARTS_MAX];
        size_t n_memories;
        struct {
                char id[QEMU_OPTION_MAX];
                uint64_t gib;                     /* -object memory-backend-ram,id=,size=NG */
        } memories[MACHINE_PARTS_MAX];
        size_t n_expanders;
        struct {
                unsigned bus;
                int node;                         /* -device pxb-pcie,bus_nr=,numa_node= */
        } expanders[MACHINE_PARTS_MAX];
        bool intel_iommu, intremap, virtio_iommu; /* -device intel-iommu[,intremap=on], virtio-iommu-pci */
        unsigned virtio_iommu_slot;               /* its addr= on the root bus */
        bool no_gigantic_pages;                   /* -cpu ...,pdpe1gb=off */
} Machine;

/* Reads ROOT/CAPTURE-INFO's "qemu-machine-args:" line; fails the test when there is none. */
void parse_machine(const char *root, Machine *m);
