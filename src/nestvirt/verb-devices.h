/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* Every PCI device with ids, NUMA node, IOMMU group and driver. */
int verb_devices(const Options *o, int argc, char *argv[]);
