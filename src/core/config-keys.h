/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The keys of nestvirt.conf as one table, in the manner of systemd's ConfigTableItem: per key its
 * section, name, parser and where the value goes. Parsing, the "did you mean" suggestion for an
 * unknown key and the check of nestvirt.conf(5) (tests/unit/test-config-keys.c) all read it. */

#include "config.h"

typedef enum ConfigSection {
        CONFIG_SECTION_HOST,
        CONFIG_SECTION_VM,
} ConfigSection;

/* One Key=Value line being applied; vm is NULL in [Host]. */
typedef struct Assignment {
        Config *config;
        VmConfig *vm;
        Location where;
        const char *key, *value;
} Assignment;

/* Parses a->value into data: the key's field, or its section (HostConfig or VmConfig) for a key
 * that sets several fields. For a list, n is its count. Returns 0, -EINVAL after reporting the
 * value, or -ENOMEM. */
typedef int (*ConfigKeyParser)(const Assignment *a, void *data, size_t *n);

typedef struct ConfigKey {
        ConfigSection section;
        const char *name;
        ConfigKeyParser parse;
        size_t offset;             /* of the field in HostConfig or VmConfig; 0 for the whole section */
        bool list;                 /* each assignment appends, an empty one resets */
        size_t n_offset;           /* a list's count */
        bool file;                 /* names a file the VM's start loads */
} ConfigKey;

/* In the order of nestvirt.conf(5), which is also the order suggestions prefer. */
extern const ConfigKey config_keys[];
extern const size_t n_config_keys;
#define FOREACH_CONFIG_KEY(k) for (const ConfigKey *k = config_keys; k < config_keys + n_config_keys; k++)

const ConfigKey *config_key_find(ConfigSection section, const char *name);
/* The nearest key of the section within a small edit distance, or NULL. */
const char *config_key_suggest(ConfigSection section, const char *name);

/* Applies KEY=VALUE in [Host] (vm NULL) or in vm's section. A bad value is reported and marks the
 * VM invalid; an unknown key is reported with a suggestion, as an error if strict, otherwise as a
 * warning. Returns 0 or -ENOMEM. */
int config_key_apply(Config *c, VmConfig *vm, Location where, const char *key, const char *value, bool strict);

/* A VM's keys that name a file its start loads (Kernel=, Firmware=, Initramfs=), set or not. */
typedef struct VmFile {
        const char *key;
        const Setting *setting;
        size_t next;               /* where in the table to look on */
} VmFile;
bool vm_file_next(const VmConfig *vm, VmFile *f);
#define FOREACH_VM_FILE(f, vm) for (VmFile f = {}; vm_file_next((vm), &f);)
