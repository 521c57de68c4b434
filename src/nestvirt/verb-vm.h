/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* 'nestvirt vm SUBCOMMAND NAME': what nestvirt-vm@NAME.service runs around Cloud Hypervisor. */
int verb_vm(const Options *o, int argc, char *argv[]);
