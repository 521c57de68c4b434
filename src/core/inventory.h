/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "cpu-set.h"
#include "pci-match.h"

/* What the host has, read from sysfs under a root. Read once; the planner only looks. */

/* A NUMA node id that names no node: the kernel does not know a device's node, or the host
 * has no NUMA information. Every real node id is >= 0. */
#define NODE_NONE (-1)

/* BARs 0 to 5 (include/uapi/linux/pci_regs.h PCI_STD_NUM_BARS). */
#define PCI_STD_NUM_BARS 6
/* include/linux/ioport.h: a memory resource, and one a 64-bit BAR decodes. */
#define IORESOURCE_MEM 0x00000200UL
#define IORESOURCE_MEM_64 0x00100000UL

/* What sysfs reset_method says the kernel can do to reset a device between two uses. */
typedef enum PciReset {
        PCI_RESET_UNKNOWN,            /* no reset_method file (kernels before 5.15) */
        PCI_RESET_NONE,               /* the file is empty: the kernel knows no way */
        PCI_RESET_AVAILABLE,          /* "flr bus" and the like */
} PciReset;

typedef struct PciDevice {
        PciAddress address;
        char name[PCI_ADDRESS_MAX];   /* "0000:41:00.0" */
        uint16_t vendor, device;
        uint32_t class;               /* 0x030200 */
        int numa_node;                /* NODE_NONE: the kernel does not know */
        bool stray_numa_node;         /* sysfs named a node that has no node directory: numa_node
                                       * is NODE_NONE, and kernel_numa_node what sysfs said */
        int kernel_numa_node;
        int iommu_group;              /* -1: no IOMMU group (no IOMMU, or not translated) */
        char *driver;                 /* bound driver, or NULL */
        char *driver_override;        /* or NULL */
        bool bridge;                  /* bridges never join a claim */
        PciReset reset;
        bool bars_known;              /* the sysfs resource file was read */
        uint64_t bar64[PCI_STD_NUM_BARS]; /* size of each 64-bit memory BAR, by BAR number; 0: none */
} PciDevice;

/* virtio-iommu (virtio 1.x device 23, PCI 1af4:1057): the IOMMU of cloud VMs that have one. */
#define PCI_VENDOR_ID_REDHAT_QUMRANET 0x1af4
#define PCI_VENDOR_ID_NVIDIA 0x10de
#define PCI_DEVICE_ID_VIRTIO_IOMMU 0x1057

static inline bool pci_device_is_virtio_iommu(const PciDevice *d) {
        return d->vendor == PCI_VENDOR_ID_REDHAT_QUMRANET && d->device == PCI_DEVICE_ID_VIRTIO_IOMMU;
}

typedef struct NumaNode {
        unsigned id;
        CpuSet cpus;
        uint64_t memory_kib;          /* MemTotal of the node */
        uint64_t pages_nr, pages_free; /* 1 GiB pool */
        unsigned *distances;          /* nodeN/distance: to each node of the inventory, in its
                                       * order; NULL when unknown or not one per node */
        size_t n_distances;
} NumaNode;

typedef struct Iommu {
        char *name;                   /* /sys/class/iommu entry: dmar0, virtio0 ... */
        char *driver;                 /* driver of the device behind it, when known */
} Iommu;

typedef struct Inventory {
        bool has_pci;                 /* /sys/bus/pci/devices was readable */
        bool has_nodes;
        PciDevice *devices;           /* sorted by address */
        size_t n_devices;
        NumaNode *nodes;              /* sorted by id */
        size_t n_nodes;
        Iommu *iommus;
        size_t n_iommus;
        bool gigantic_pages;          /* the kernel offers 1 GiB pages */
        bool irq_info;                /* /sys/kernel/irq was readable */
        bool interrupt_remapping;     /* some interrupt goes through a remapping chip ("IR-...") */
        unsigned phys_bits;           /* /proc/cpuinfo "address sizes: N bits physical"; 0: unknown */
} Inventory;

typedef enum InventoryFlags {
        /* Also the bound driver, driver_override, the bridges' nodes and groups, and the
         * interrupt chips even when virtio-iommu already decides. The generator, which runs
         * on every boot, does without. */
        INVENTORY_DETAILS = 1 << 0,
} InventoryFlags;

int inventory_load(const char *root, InventoryFlags flags, Inventory *ret);
/* The lines of a sysfs resource file ("start end flags" in hex, drivers/pci/pci-sysfs.c
 * resource_show()) into d's 64-bit memory BAR sizes. */
int pci_parse_resources(const char *text, PciDevice *d);
void inventory_done(Inventory *inv);

const PciDevice *inventory_find_device(const Inventory *inv, PciAddress a);
const NumaNode *inventory_find_node(const Inventory *inv, unsigned id);
/* The kernel's distance from node FROM to node TO (10 for itself), -1 when unknown. */
int inventory_node_distance(const Inventory *inv, unsigned from, unsigned to);
/* An IOMMU that cannot remap interrupts is present (virtio-iommu never can). */
bool inventory_needs_unsafe_interrupts(const Inventory *inv);
bool inventory_has_virtio_iommu(const Inventory *inv);
const char *pci_class_to_string(uint32_t class);
