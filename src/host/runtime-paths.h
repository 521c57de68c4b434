/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Files the runtime actions leave for later ones (listed in nestvirt(8), FILES). */

/* What nestvirt did in the initramfs and which configuration it read (initrd-record.h). */
#define INITRD_RECORD "/run/nestvirt/initrd-record"
