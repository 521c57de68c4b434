/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* Binds the planned devices to vfio-pci (nestvirt-vfio.service). */
int verb_bind_vfio(const Options *o, int argc, char *argv[]);
