/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "nestvirt.h"
#include "pci-names.h"

int verb_devices(int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        _cleanup_(inventory_done) Inventory inv = {};
        int r = inventory_load(arg_root, INVENTORY_DETAILS, &inv);
        if (r < 0) {
                fprintf(stderr, "Failed to read PCI devices: %s\n", strerror(-r));
                return EXIT_PROBLEMS;
        }
        if (!inv.has_pci) {
                fprintf(stderr, "No PCI devices: %s/sys/bus/pci/devices is not readable.\n", strempty(arg_root));
                return EXIT_PROBLEMS;
        }

        JsonWriter w = { .f = stdout };
        if (arg_json)
                json_begin_array(&w);
        else
                printf("%-12s  %-9s  %-6s  %4s  %5s  %-12s  %s\n", "ADDRESS", "ID", "CLASS", "NODE", "GROUP",
                       "DRIVER", "NAME");

        for (size_t i = 0; i < inv.n_devices; i++) {
                const PciDevice *d = &inv.devices[i];
                _cleanup_(freep) char *name = pci_device_name(d);
                if (arg_json) {
                        char id[10], class[8];
                        snprintf(id, sizeof id, "%04x:%04x", d->vendor, d->device);
                        snprintf(class, sizeof class, "%06x", d->class);
                        json_begin_object(&w);
                        json_key(&w, "address");
                        json_string(&w, d->name);
                        json_key(&w, "id");
                        json_string(&w, id);
                        json_key(&w, "class");
                        json_string(&w, class);
                        json_key(&w, "class_name");
                        json_string(&w, pci_class_to_string(d->class));
                        json_key(&w, "name");
                        json_string(&w, name);
                        json_key(&w, "numa_node");
                        json_int(&w, d->numa_node);
                        json_key(&w, "iommu_group");
                        json_int(&w, d->iommu_group);
                        json_key(&w, "driver");
                        json_string(&w, d->driver);
                        json_key(&w, "driver_override");
                        json_string(&w, d->driver_override);
                        json_key(&w, "bridge");
                        json_bool(&w, d->bridge);
                        json_end_object(&w);
                } else {
                        char group[16] = "-";
                        if (d->iommu_group >= 0)
                                snprintf(group, sizeof group, "%d", d->iommu_group);
                        printf("%-12s  %04x:%04x  %06x  %4d  %5s  %-12s  %s\n", d->name, d->vendor, d->device,
                               d->class, d->numa_node, group, d->driver ?: "-", name ?: pci_class_to_string(d->class));
                }
        }
        if (arg_json) {
                json_end_array(&w);
                json_finish(&w);
        }
        return 0;
}
