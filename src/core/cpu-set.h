/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "macro.h"

#define CPU_SET_MAX 8192

typedef struct CpuSet {
        uint64_t *bits;
        unsigned n_words;
} CpuSet;

void cpu_set_done(CpuSet *s);
int cpu_set_add(CpuSet *s, unsigned cpu);
bool cpu_set_has(const CpuSet *s, unsigned cpu);
unsigned cpu_set_count(const CpuSet *s);
int cpu_set_copy(CpuSet *dst, const CpuSet *src);
/* "0-7,16"; also accepts the kernel's cpulist with a trailing newline. */
int cpu_set_parse(const char *s, CpuSet *ret);
/* "0-7,16", "" for empty; NULL on OOM */
char *cpu_set_format(const CpuSet *s);
