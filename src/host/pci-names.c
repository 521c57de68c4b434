/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <systemd/sd-hwdb.h>

#include "pci-names.h"
#include "util.h"

/* systemd's hwdb carries the PCI ID database; udev uses it for ID_MODEL_FROM_DATABASE. */
char *pci_device_name(const PciDevice *d) {
        static sd_hwdb *hwdb = NULL;
        static bool tried = false;
        const char *vendor = NULL, *model = NULL;
        char modalias[64];

        if (!tried) {
                tried = true;
                if (sd_hwdb_new(&hwdb) < 0)
                        hwdb = NULL;
        }
        if (!hwdb)
                return NULL;

        snprintf(modalias, sizeof modalias, "pci:v%08Xd%08X", d->vendor, d->device);
        (void) sd_hwdb_get(hwdb, modalias, "ID_VENDOR_FROM_DATABASE", &vendor);
        (void) sd_hwdb_get(hwdb, modalias, "ID_MODEL_FROM_DATABASE", &model);
        if (!vendor && !model)
                return NULL;
        return strjoin(strempty(vendor), vendor && model ? " " : "", strempty(model));
}
