/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config.h"
#include "inventory.h"
#include "json.h"
#include "plan.h"

/* Parsed options, shared by the commands. */
extern const char *arg_root;
extern const char *arg_config;
extern bool arg_json;
extern bool arg_force;
extern unsigned arg_allow_owner;   /* --allow-owner UID: trusted like root (image CI) */

#define EXIT_PROBLEMS 1
#define EXIT_USAGE 2

/* Config, inventory and plan, loaded the way the generator loads them. */
typedef struct Context {
        Config config;
        Inventory inventory;
        Plan plan;
        Diagnostics extra;   /* findings of the command itself (check's file checks ...) */
} Context;

int context_load(Context *ctx, bool strict);
void context_done(Context *ctx);
size_t context_count(const Context *ctx, DiagLevel level);
void context_print_diagnostics(const Context *ctx, FILE *f);
void context_json_diagnostics(const Context *ctx, JsonWriter *w);

/* check's checks of an image root: files, kernel modules, installation. */
void check_vm_files(Context *ctx);
void check_kernel_modules(Context *ctx);
void check_installation(Context *ctx);
void check_initramfs(Context *ctx);

int verb_check(int argc, char *argv[]);
int verb_plan(int argc, char *argv[]);
int verb_devices(int argc, char *argv[]);
int verb_cmdline(int argc, char *argv[]);
int verb_reserve_hugepages(int argc, char *argv[]);
int verb_bind_vfio(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_config_digest(int argc, char *argv[]);
int verb_config_files(int argc, char *argv[]);
int verb_vm(int argc, char *argv[]);
