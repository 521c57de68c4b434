/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config.h"

/* The tool that writes the seed, run from PATH, and the package that ships it. */
#define SEED_TOOL "genisoimage"
#define SEED_TOOL_PACKAGE "genisoimage"

/* Builds the cloud-init NoCloud seed of VM from its CloudInit= directory (under root): an
 * ISO9660 image labelled "cidata" with Joliet and Rock Ridge names user-data, meta-data and,
 * when present, network-config. Written to a temporary file in RUNTIME_DIR and renamed to
 * SEED_PATH only when complete, mode 0600. Logs every failure; returns negative errno. */
/* NETWORK_CONFIG, when not NULL, is written into the seed unless the directory has its own
 * network-config (Network=nat; the admin's file wins, with a notice). */
int cloud_init_seed_build(const VmConfig *vm, const char *root, const char *runtime_dir, const char *seed_path,
                          const char *network_config);
