/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Config in, plan out, and checks on the plan, for the tests of the planner. Failures fail the
 * running test, after printing the diagnostics. */

#include "config.h"
#include "plan.h"

/* The file name the test configs are parsed as. */
#define CONF "/etc/nestvirt.conf"

void dump(const Diagnostics *d);
/* Parses TEXT as CONF; it must have no errors. */
void config(Config *c, const char *text);
/* Builds the plan; it must not run out of memory. */
void plan(const Config *c, const Inventory *inv, Plan *p);
void expect_no_errors(const Plan *p);
const VmPlan *vm(const Plan *p, const char *name);
int vm_index(const Plan *p, const char *name);
/* The first diagnostic of LEVEL that contains NEEDLE. */
const Diagnostic *find(const Plan *p, DiagLevel level, const char *needle);
/* The VM got exactly these devices, in this order. */
void expect_devices(const Plan *p, const char *name, const char *const *addresses, size_t n);
void expect_cpus(const VmPlan *v, const char *cpus);
const Claim *claim_of(const Plan *p, const char *address);
uint64_t pages_on(const Plan *p, unsigned node);
