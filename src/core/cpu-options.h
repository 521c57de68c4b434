/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* CPUOptions=: more --cpus sub-options for Cloud Hypervisor (config.rs CpusConfig::parse), checked
 * here so that a typo fails in 'nestvirt check', not when the VM starts. boot= and affinity=
 * are nestvirt's (CPUs=, CPUAffinity=). */

/* The guest's physical address width range nestvirt accepts: below 36 bits Cloud Hypervisor's
 * device area ends under 4 GiB (tests/grammar/README-mmio.md); 52 is x86's limit. */
#define MAX_PHYS_BITS_MIN 36
#define MAX_PHYS_BITS_MAX 52

/* Returns 0 and the max_phys_bits= it gives (0: none), or -EINVAL with the reason in why. */
int cpu_options_check(const char *value, unsigned *ret_max_phys_bits, char *why, size_t size);
