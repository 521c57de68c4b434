/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* PCI addresses ("0000:00:1f.2") of every device the running system under ROOT depends on:
 * the controllers (and bridges) behind mounted file systems and active swap, and the device
 * of the active console. RET_REASONS says why, one string per address. */
int boot_devices_find(const char *root, char ***ret, char ***ret_reasons);
