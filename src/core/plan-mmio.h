/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan-internal.h"

/* Whether a VM's large BARs fit the 64-bit MMIO windows Cloud Hypervisor gives its PCI segments,
 * modelled as tests/grammar/README-mmio.md describes it (x86_64; tests/grammar/ch_mmio.py is the
 * same model in Python, and the grammar tests compare the two). */

#define MMIO_DEFAULT_MAX_PHYS_BITS 46   /* vmm/src/vm_config.rs DEFAULT_MAX_PHYS_BITS */

/* One BAR in the 64-bit window of its segment, in Cloud Hypervisor's allocation order. */
typedef struct MmioBar {
        unsigned segment;
        uint64_t size, align;
} MmioBar;

typedef struct MmioLayout {
        unsigned phys_bits;       /* the guest's: min(host, max_phys_bits) */
        uint64_t memory_gib;      /* guest RAM, all of it in 1 GiB pages */
        size_t n_segments;
        const uint64_t *weights;  /* mmio64_aperture_weight per segment; NULL: all 1 */
} MmioLayout;

/* 1: every BAR fits, 0: one does not (or a window is empty), -ENOMEM. */
int mmio64_fits(const MmioLayout *l, const MmioBar *bars, size_t n_bars);

/* For a valid VM whose devices' BAR sizes are known: keep Cloud Hypervisor's even split when
 * it fits, else weight the segments by their BARs (VmNode.mmio64_weight), else an error that
 * says which max_phys_bits= would do. */
void plan_mmio(Planner *p, size_t vm);
