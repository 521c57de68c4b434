/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "plan.h"

/* What `nestvirt apply` would change: the plan against what the running system has. Pure: the
 * caller observes (pool sizes, the unit files systemd loaded, the units' states) and renders
 * the units the generator would write now; this file only compares. */

/* A VM unit as the generator would write it now (DESIRED) or as systemd loaded it (LOADED). */
typedef struct UnitText {
        const char *vm;        /* the VM's name */
        const char *text;      /* the whole unit file */
        bool autostart;        /* DESIRED: Autostart=yes */
        bool running;          /* LOADED: active, activating or reloading */
} UnitText;

typedef struct PageChange {
        unsigned node;
        uint64_t reserved, planned;   /* planned > reserved */
} PageChange;

typedef enum DeviceChangeKind {
        DEVICE_CLAIM,          /* planned, not on vfio-pci yet */
        DEVICE_RELEASED,       /* on vfio-pci, no longer planned: stays there until reboot */
} DeviceChangeKind;

typedef struct DeviceChange {
        DeviceChangeKind kind;
        size_t device;         /* index into the inventory */
        const Claim *claim;    /* DEVICE_CLAIM: the plan's claim */
} DeviceChange;

typedef enum UnitChangeKind {
        UNIT_NEW,
        UNIT_CHANGED,
        UNIT_REMOVED,
} UnitChangeKind;

typedef struct UnitChange {
        UnitChangeKind kind;
        const char *vm;        /* points into the UnitText it came from */
        bool autostart;        /* NEW, CHANGED: Autostart=yes */
        bool running;          /* CHANGED, REMOVED: the loaded unit runs */
} UnitChange;

typedef struct PlanDiff {
        PageChange *pages;
        size_t n_pages;
        DeviceChange *devices;   /* claims first, by address, then releases, by address */
        size_t n_devices;
        UnitChange *units;       /* new and changed in DESIRED's order, then removed in LOADED's */
        size_t n_units;
} PlanDiff;

/* Compares PLAN with the pools' current sizes (RESERVED, one per node; a node missing there
 * has none), the drivers in the plan's inventory, and the VM units. Returns -ENOMEM only. */
int plan_diff(const Plan *plan, const NodeCount *reserved, size_t n_reserved, const UnitText *desired,
              size_t n_desired, const UnitText *loaded, size_t n_loaded, PlanDiff *ret);
void plan_diff_done(PlanDiff *d);
bool plan_diff_is_empty(const PlanDiff *d);
const char *unit_change_kind_to_string(UnitChangeKind k);
