/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "inventory.h"
#include "json.h"
#include "pci-names.h"
#include "verb-devices.h"

static void json_device(JsonWriter *w, const PciDevice *d, const char *name) {
        char id[10], class[8];
        snprintf(id, sizeof id, "%04x:%04x", d->vendor, d->device);
        snprintf(class, sizeof class, "%06x", d->class);
        json_begin_object(w);
        json_field_string(w, "address", d->name);
        json_field_string(w, "id", id);
        json_field_string(w, "class", class);
        json_field_string(w, "class_name", pci_class_to_string(d->class));
        json_field_string(w, "name", name);
        json_field_int(w, "numa_node", d->numa_node);
        json_field_int(w, "iommu_group", d->iommu_group);
        json_field_string(w, "driver", d->driver);
        json_field_string(w, "driver_override", d->driver_override);
        json_field_bool(w, "bridge", d->bridge);
        json_end_object(w);
}

static void print_device(const PciDevice *d, const char *name) {
        char group[16] = "-";
        if (d->iommu_group >= 0)
                snprintf(group, sizeof group, "%d", d->iommu_group);
        printf("%-12s  %04x:%04x  %06x  %4d  %5s  %-12s  %s\n", d->name, d->vendor, d->device, d->class,
               d->numa_node, group, d->driver ?: "-", name ?: pci_class_to_string(d->class));
}

int verb_devices(const Options *o, int argc, char *argv[]) {
        (void) argc;
        (void) argv;
        _cleanup_(inventory_done) Inventory inv = {};
        int r = inventory_load(o->root, INVENTORY_DETAILS, &inv);
        if (r < 0) {
                fprintf(stderr, "Failed to read PCI devices: %s\n", strerror(-r));
                return EXIT_PROBLEMS;
        }
        if (!inv.has_pci) {
                fprintf(stderr, "No PCI devices: %s/sys/bus/pci/devices is not readable.\n", strempty(o->root));
                return EXIT_PROBLEMS;
        }

        JsonWriter w = { .f = stdout };
        if (o->json)
                json_begin_array(&w);
        else
                printf("%-12s  %-9s  %-6s  %4s  %5s  %-12s  %s\n", "ADDRESS", "ID", "CLASS", "NODE", "GROUP",
                       "DRIVER", "NAME");
        for (size_t i = 0; i < inv.n_devices; i++) {
                _cleanup_(freep) char *name = pci_device_name(&inv.devices[i]);
                if (o->json)
                        json_device(&w, &inv.devices[i], name);
                else
                        print_device(&inv.devices[i], name);
        }
        if (o->json) {
                json_end_array(&w);
                json_finish(&w);
        }
        return 0;
}
