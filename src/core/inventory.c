/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>

#include "inventory.h"
#include "util.h"

#define GIGANTIC_DIR "hugepages/hugepages-1048576kB"

static int read_u64_file(const char *path, uint64_t *ret) {
        _cleanup_(freep) char *s = NULL;
        int r = read_one_line_file(path, &s);
        if (r < 0)
                return r;
        return safe_atou64(strstrip(s), ret);
}

static int read_link_name(int dfd, const char *name, char *buf, size_t size, const char **ret) {
        ssize_t n = readlinkat(dfd, name, buf, size);
        if (n < 0)
                return -errno;
        if ((size_t) n >= size)
                return -ENAMETOOLONG;   /* readlinkat() truncates silently */
        buf[n] = 0;
        const char *b = strrchr(buf, '/');
        *ret = b ? b + 1 : buf;
        return 0;
}

static bool parse_hex_n(const char *s, size_t n, unsigned *ret) {
        unsigned v = 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                unsigned x = c >= '0' && c <= '9' ? (unsigned) (c - '0')
                           : c >= 'A' && c <= 'F' ? (unsigned) (c - 'A' + 10)
                           : c >= 'a' && c <= 'f' ? (unsigned) (c - 'a' + 10) : 16;
                if (x == 16)
                        return false;
                v = v << 4 | x;
        }
        *ret = v;
        return true;
}

/* modalias "pci:v00008086d000010D3sv...sd...bc02sc00i00" carries ids and class in one read. */
static int parse_modalias(const char *m, PciDevice *d) {
        unsigned v, dev, bc, sc, pi;
        const char *p = startswith(m, "pci:");
        if (!p || strlen(p) < 18 || p[0] != 'v' || p[9] != 'd' || !parse_hex_n(p + 1, 8, &v) ||
            !parse_hex_n(p + 10, 8, &dev))
                return -EINVAL;
        const char *b = strstr(p, "bc");
        if (!b || strlen(b) < 10 || b[4] != 's' || b[5] != 'c' || b[8] != 'i' || !parse_hex_n(b + 2, 2, &bc) ||
            !parse_hex_n(b + 6, 2, &sc) || !parse_hex_n(b + 9, 2, &pi))
                return -EINVAL;
        d->vendor = v;
        d->device = dev;
        d->class = bc << 16 | sc << 8 | pi;
        return 0;
}

int pci_parse_resources(const char *text, PciDevice *d) {
        const char *p = text;
        for (unsigned bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
                unsigned long long start, end, flags;
                int n = 0;
                if (sscanf(p, "%llx %llx %llx%n", &start, &end, &flags, &n) != 3)
                        return -EINVAL;
                p += n;
                /* Unused BARs read 0 0 0; the upper half of a 64-bit BAR reads 0 too. */
                if (end > start && (flags & IORESOURCE_MEM) && (flags & IORESOURCE_MEM_64))
                        d->bar64[bar] = end - start + 1;
        }
        d->bars_known = true;
        return 0;
}

static int load_device(int dir_fd, const char *name, InventoryFlags flags, PciDevice *d) {
        char buf[256];
        const char *link;
        int r;

        *d = (PciDevice) { .numa_node = NODE_NONE, .iommu_group = -1 };
        if (pci_address_parse(name, &d->address) < 0)
                return -EINVAL;
        pci_address_format(d->address, d->name);
        /* Only the kernel's spelling: attributes are read under d->name, so a "41:00.0" would
         * read 0000:41:00.0's files and list that device twice. */
        if (!streq(name, d->name))
                return -EINVAL;

        /* "NAME/attribute" relative to /sys/bus/pci/devices: one lookup per attribute, no
         * per-device handle to open and close (the generator runs on every boot). */
        char attr[PCI_ADDRESS_MAX + 32];
#define ATTR(a) (snprintf(attr, sizeof attr, "%s/" a, d->name), attr)
        int dfd = dir_fd;

        if (read_attr_at(dfd, ATTR("modalias"), buf, sizeof buf) < 0)
                return -EINVAL;
        r = parse_modalias(buf, d);
        if (r < 0)
                return r;
        d->bridge = (d->class >> 8) == 0x0604 || (d->class >> 8) == 0x0609 || (d->class >> 8) == 0x0600;
        /* Bridges never join a claim; only the full inventory (devices, plan) shows their details. */
        if (d->bridge && !(flags & INVENTORY_DETAILS))
                return 0;

        if (read_attr_at(dfd, ATTR("numa_node"), buf, sizeof buf) >= 0)
                (void) safe_atoi(buf, &d->numa_node);
        if (d->numa_node < NODE_NONE)
                d->numa_node = NODE_NONE;

        if (read_link_name(dfd, ATTR("iommu_group"), buf, sizeof buf, &link) >= 0)
                (void) safe_atoi(link, &d->iommu_group);

        /* Absent on older kernels: unknown, not "none". Read for every device the planner may
         * claim, so the generator's boot log warns as well. */
        r = read_attr_at(dfd, ATTR("reset_method"), buf, sizeof buf);
        if (r >= 0)
                d->reset = r == 0 ? PCI_RESET_NONE : PCI_RESET_AVAILABLE;

        /* 7 to 17 lines of 57 bytes (BARs, ROM, SR-IOV BARs, bridge windows): the BARs come first. */
        char resources[PCI_STD_NUM_BARS * 64];
        if (read_attr_at(dfd, ATTR("resource"), resources, sizeof resources) >= 0 &&
            pci_parse_resources(resources, d) < 0)
                memset(d->bar64, 0, sizeof d->bar64);

        if (!(flags & INVENTORY_DETAILS))
                return 0;

        r = read_link_name(dfd, ATTR("driver"), buf, sizeof buf, &link);
        if (r >= 0 && !(d->driver = strdup(link)))
                return -ENOMEM;
        if (read_attr_at(dfd, ATTR("driver_override"), buf, sizeof buf) >= 0 && *buf && !streq(buf, "(null)") &&
            !(d->driver_override = strdup(buf)))
                return -ENOMEM;
        return 0;
}

static int cmp_device(const void *a, const void *b) {
        return pci_address_compare(((const PciDevice *) a)->address, ((const PciDevice *) b)->address);
}

static int load_devices(const char *root, InventoryFlags flags, Inventory *inv) {
        _cleanup_(freep) char *dir = path_under_root(root, "/sys/bus/pci/devices");
        if (!dir)
                return -ENOMEM;
        DIR *d = opendir(dir);
        if (!d)
                return 0;   /* no PCI, or an image root without /sys */
        inv->has_pci = true;

        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                PciDevice *dev = ARRAY_APPEND(inv->devices, inv->n_devices);
                if (!dev) {
                        r = -ENOMEM;
                        break;
                }
                r = load_device(dirfd(d), de->d_name, flags, dev);
                if (r == -ENOMEM)
                        break;
                if (r < 0) {
                        /* A device that vanished or reads oddly is left out, not fatal. */
                        free(dev->driver);
                        free(dev->driver_override);
                        inv->n_devices--;
                        r = 0;
                }
        }
        closedir(d);
        if (r >= 0 && inv->n_devices > 0)   /* qsort()/bsearch() with a NULL array are undefined */
                qsort(inv->devices, inv->n_devices, sizeof(PciDevice), cmp_device);
        return r;
}

static int cmp_node(const void *a, const void *b) {
        unsigned x = ((const NumaNode *) a)->id, y = ((const NumaNode *) b)->id;
        return x < y ? -1 : x > y;
}

/* "10 20 20": one distance per online node, in node order (drivers/base/node.c node_read_distance). */
static int parse_distances(const char *s, NumaNode *n) {
        for (const char *p = s;;) {
                p += strspn(p, " \t\n");
                if (!*p)
                        return 0;
                char *end;
                errno = 0;
                unsigned long v = strtoul(p, &end, 10);
                if (end == p || errno != 0 || v > 255 || (*end && !strchr(" \t\n", *end))) {
                        free(n->distances);   /* not the kernel's format: unknown */
                        n->distances = NULL;
                        n->n_distances = 0;
                        return 0;
                }
                unsigned *x = ARRAY_APPEND(n->distances, n->n_distances);
                if (!x)
                        return -ENOMEM;
                *x = (unsigned) v;
                p = end;
        }
}

static int load_node(const char *dir, unsigned id, NumaNode *n) {
        char path[PATH_MAX];
        _cleanup_(freep) char *s = NULL;

        *n = (NumaNode) { .id = id };
        if (snprintf_path(path, "%s/node%u/" GIGANTIC_DIR "/free_hugepages", dir, id) < 0)   /* the longest */
                return -ENAMETOOLONG;
        snprintf(path, sizeof path, "%s/node%u/cpulist", dir, id);
        if (read_one_line_file(path, &s) >= 0) {
                int r = cpu_set_parse(s, &n->cpus);
                if (r == -ENOMEM)
                        return r;
        }

        snprintf(path, sizeof path, "%s/node%u/meminfo", dir, id);
        free(s);
        s = NULL;
        if (read_full_file(path, &s, NULL) >= 0) {
                const char *m = strstr(s, "MemTotal:");
                if (m)
                        (void) sscanf(m, "MemTotal: %" SCNu64, &n->memory_kib);
        }

        snprintf(path, sizeof path, "%s/node%u/distance", dir, id);
        free(s);
        s = NULL;
        if (read_one_line_file(path, &s) >= 0) {
                int r = parse_distances(s, n);
                if (r < 0)
                        return r;
        }

        snprintf(path, sizeof path, "%s/node%u/" GIGANTIC_DIR "/nr_hugepages", dir, id);
        (void) read_u64_file(path, &n->pages_nr);
        snprintf(path, sizeof path, "%s/node%u/" GIGANTIC_DIR "/free_hugepages", dir, id);
        (void) read_u64_file(path, &n->pages_free);
        return 0;
}

static int load_nodes(const char *root, Inventory *inv) {
        _cleanup_(freep) char *dir = path_under_root(root, "/sys/devices/system/node");
        if (!dir)
                return -ENOMEM;
        DIR *d = opendir(dir);
        if (!d)
                return 0;

        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *num = startswith(de->d_name, "node");
                unsigned id;
                /* Only the kernel's spelling: load_node() reads "node%u", so a "node01" would
                 * become a second node 1 with node1's CPUs, memory and pages. */
                if (!num || safe_atou(num, &id) < 0 || (num[0] == '0' && num[1]))
                        continue;
                NumaNode *n = ARRAY_APPEND(inv->nodes, inv->n_nodes);
                if (!n) {
                        r = -ENOMEM;
                        break;
                }
                r = load_node(dir, id, n);
                if (r < 0)
                        break;
        }
        closedir(d);
        if (r >= 0) {
                if (inv->n_nodes > 0)
                        qsort(inv->nodes, inv->n_nodes, sizeof(NumaNode), cmp_node);
                inv->has_nodes = inv->n_nodes > 0;
                /* Distances are to the online nodes; with offline ones their order is unknown. */
                for (size_t i = 0; i < inv->n_nodes; i++)
                        if (inv->nodes[i].n_distances != inv->n_nodes) {
                                free(inv->nodes[i].distances);
                                inv->nodes[i].distances = NULL;
                                inv->nodes[i].n_distances = 0;
                        }
        }
        return r;
}

static int load_iommus(const char *root, Inventory *inv) {
        _cleanup_(freep) char *dir = path_under_root(root, "/sys/class/iommu");
        if (!dir)
                return -ENOMEM;
        DIR *d = opendir(dir);
        if (!d)
                return 0;
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                Iommu *i = ARRAY_APPEND(inv->iommus, inv->n_iommus);
                if (!i) {
                        r = -ENOMEM;
                        break;
                }
                i->name = strdup(de->d_name);
                if (!i->name) {
                        r = -ENOMEM;
                        break;
                }
                /* The class device's parent is the IOMMU's own device; its driver names the kind. */
                char path[PATH_MAX];
                if (snprintf_path(path, "%s/%s/device/driver", dir, de->d_name) < 0) {   /* the longest */
                        free(i->name);
                        r = -ENAMETOOLONG;
                        break;
                }
                (void) read_link_basename(path, &i->driver);
                if (!i->driver) {
                        snprintf(path, sizeof path, "%s/%s/intel-iommu", dir, de->d_name);
                        if (access(path, F_OK) >= 0)
                                i->driver = strdup("intel-iommu");
                        snprintf(path, sizeof path, "%s/%s/amd-iommu", dir, de->d_name);
                        if (!i->driver && access(path, F_OK) >= 0)
                                i->driver = strdup("amd-iommu");
                }
        }
        closedir(d);
        return r;
}

/* Remapped interrupts are delivered by "IR-IO-APIC", "IR-PCI-MSI..." chips. */
static int load_interrupt_remapping(const char *root, Inventory *inv) {
        _cleanup_(freep) char *dir = path_under_root(root, "/sys/kernel/irq");
        if (!dir)
                return -ENOMEM;
        DIR *d = opendir(dir);
        if (!d)
                return 0;
        inv->irq_info = true;
        struct dirent *de;
        while ((de = readdir(d)) && !inv->interrupt_remapping) {
                if (de->d_name[0] == '.')
                        continue;
                char path[PATH_MAX];
                _cleanup_(freep) char *chip = NULL;
                if (snprintf_path(path, "%s/%s/chip_name", dir, de->d_name) < 0) {
                        closedir(d);
                        return -ENAMETOOLONG;
                }
                if (read_one_line_file(path, &chip) >= 0 && startswith(chip, "IR-"))
                        inv->interrupt_remapping = true;
        }
        closedir(d);
        return 0;
}

/* A device's numa_node that names no node directory (firmware tables that disagree, an image's
 * /sys) is no NUMA information: planning memory on a node that does not exist reserves nothing. */
static void forget_stray_nodes(Inventory *inv) {
        for (size_t i = 0; i < inv->n_devices; i++) {
                PciDevice *d = &inv->devices[i];
                if (d->numa_node >= 0 && !inventory_find_node(inv, (unsigned) d->numa_node)) {
                        d->stray_numa_node = true;
                        d->kernel_numa_node = d->numa_node;
                        d->numa_node = NODE_NONE;
                }
        }
}

/* The host CPU's physical address width: the cap on the guest's (tests/grammar/README-mmio.md). */
static int load_phys_bits(const char *root, Inventory *inv) {
        _cleanup_(freep) char *path = path_under_root(root, "/proc/cpuinfo");
        if (!path)
                return -ENOMEM;
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        /* The first CPU's block says it; a large host's whole file is hundreds of KiB. */
        char line[256];
        unsigned bits;
        while (fgets(line, sizeof line, f)) {
                const char *a = startswith(line, "address sizes");
                if (a && (a = strchr(a, ':')) && sscanf(a + 1, " %u bits physical", &bits) == 1) {
                        if (bits >= 32 && bits <= 64)
                                inv->phys_bits = bits;
                        break;
                }
        }
        fclose(f);
        return 0;
}

int inventory_load(const char *root, InventoryFlags flags, Inventory *ret) {
        Inventory inv = {};
        int r;

        r = load_devices(root, flags, &inv);
        if (r >= 0)
                r = load_nodes(root, &inv);
        if (r >= 0)
                forget_stray_nodes(&inv);
        if (r >= 0)
                r = load_phys_bits(root, &inv);
        if (r >= 0)
                r = load_iommus(root, &inv);
        /* virtio-iommu settles the question, and a host can have thousands of interrupts. */
        if (r >= 0 && inv.n_iommus > 0 && ((flags & INVENTORY_DETAILS) || !inventory_has_virtio_iommu(&inv)))
                r = load_interrupt_remapping(root, &inv);
        if (r >= 0) {
                _cleanup_(freep) char *p = path_under_root(root, "/sys/kernel/mm/" GIGANTIC_DIR);
                if (!p)
                        r = -ENOMEM;
                else
                        inv.gigantic_pages = access(p, F_OK) >= 0;
        }
        if (r < 0) {
                inventory_done(&inv);
                return r;
        }
        *ret = inv;
        return 0;
}

void inventory_done(Inventory *inv) {
        for (size_t i = 0; i < inv->n_devices; i++) {
                free(inv->devices[i].driver);
                free(inv->devices[i].driver_override);
        }
        free(inv->devices);
        for (size_t i = 0; i < inv->n_nodes; i++) {
                cpu_set_done(&inv->nodes[i].cpus);
                free(inv->nodes[i].distances);
        }
        free(inv->nodes);
        for (size_t i = 0; i < inv->n_iommus; i++) {
                free(inv->iommus[i].name);
                free(inv->iommus[i].driver);
        }
        free(inv->iommus);
        *inv = (Inventory) {};
}

const PciDevice *inventory_find_device(const Inventory *inv, PciAddress a) {
        PciDevice key = { .address = a };
        if (inv->n_devices == 0)
                return NULL;
        return bsearch(&key, inv->devices, inv->n_devices, sizeof(PciDevice), cmp_device);
}

const NumaNode *inventory_find_node(const Inventory *inv, unsigned id) {
        NumaNode key = { .id = id };
        if (inv->n_nodes == 0)
                return NULL;
        return bsearch(&key, inv->nodes, inv->n_nodes, sizeof(NumaNode), cmp_node);
}

int inventory_node_distance(const Inventory *inv, unsigned from, unsigned to) {
        const NumaNode *f = inventory_find_node(inv, from), *t = inventory_find_node(inv, to);
        if (!f || !t || !f->distances)
                return -1;
        return (int) f->distances[t - inv->nodes];
}

bool inventory_has_virtio_iommu(const Inventory *inv) {
        for (size_t i = 0; i < inv->n_iommus; i++)
                if (streq_ptr(inv->iommus[i].driver, "virtio_iommu"))
                        return true;
        /* Early in the initrd its driver (a module) is not loaded yet, but the device is there. */
        for (size_t i = 0; i < inv->n_devices; i++)
                if (pci_device_is_virtio_iommu(&inv->devices[i]))
                        return true;
        return false;
}

bool inventory_needs_unsafe_interrupts(const Inventory *inv) {
        if (inventory_has_virtio_iommu(inv))
                return true;
        /* Other IOMMUs remap when the kernel enabled it; the interrupt chips tell. */
        return inv->n_iommus > 0 && inv->irq_info && !inv->interrupt_remapping;
}

const char *pci_class_to_string(uint32_t class) {
        switch (class >> 8) {
        case 0x0100: return "SCSI storage controller";
        case 0x0101: return "IDE interface";
        case 0x0106: return "SATA controller";
        case 0x0108: return "Non-Volatile memory controller";
        case 0x0200: return "Ethernet controller";
        case 0x0207: return "Infiniband controller";
        case 0x0300: return "VGA compatible controller";
        case 0x0302: return "3D controller";
        case 0x0380: return "Display controller";
        case 0x0403: return "Audio device";
        case 0x0600: return "Host bridge";
        case 0x0601: return "ISA bridge";
        case 0x0604: return "PCI bridge";
        case 0x0700: return "Serial controller";
        case 0x0c03: return "USB controller";
        case 0x0c05: return "SMBus";
        case 0x1200: return "Processing accelerators";
        default: break;
        }
        switch (class >> 16) {
        case 0x01: return "Mass storage controller";
        case 0x02: return "Network controller";
        case 0x03: return "Display controller";
        case 0x04: return "Multimedia controller";
        case 0x06: return "Bridge";
        case 0x08: return "System peripheral";
        case 0x0c: return "Serial bus controller";
        case 0xff: return "Unassigned class";
        default: return "Other";
        }
}
