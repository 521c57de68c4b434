/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Inventories for the tests of the inventory and the planner: built here in C, or loaded from
 * sysfs fixtures captured from lab machines (tests/fixtures/). Failures fail the running test. */

#include "inventory.h"

/* vendor, device, class of the devices the fakes use */
#define GPU 0x10de, 0x2330, 0x030200
#define GPU_AUDIO 0x10de, 0x22bc, 0x040300
#define BRIDGE 0x10b5, 0xc010, 0x060400
#define GIB_KIB (UINT64_C(1) << 20)

/* An empty inventory of a host with PCI, NUMA nodes, 1 GiB pages and readable interrupt chips. */
void inv_init(Inventory *inv);
void add_node(Inventory *inv, unsigned id, const char *cpus, uint64_t memory_gib);
/* NODE -1: the kernel does not know; GROUP -1: no IOMMU group; DRIVER NULL: unbound. */
void add_dev(Inventory *inv, const char *address, uint16_t vendor, uint16_t device, uint32_t class, int node,
             int group, const char *driver);
void add_iommu(Inventory *inv, const char *name, const char *driver);
/* Sorts devices by address and nodes by id, as inventory_load() does. */
void inv_sort(Inventory *inv);
/* The index of the device at ADDRESS; fails the test when there is none. */
size_t dev(const Inventory *inv, const char *address);

/* Two nodes: CPUs 0-15,32-47 and 16-31,48-63, 512 GiB each, virtio-iommu. */
void two_nodes(Inventory *inv);
/* two_nodes() with 8 GPUs (10de:2330), 4 per node, each in its own IOMMU group; node 0 has the
 * lower addresses. */
void eight_gpus(Inventory *inv);

/* The path of the captured fixture NAME under $SRCDIR/tests/fixtures (meson sets SRCDIR). */
char *fixture(const char *name);
const PciDevice *fixture_dev(const Inventory *inv, const char *address);
