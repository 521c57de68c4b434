/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define VFIO_DRIVER "vfio-pci"
