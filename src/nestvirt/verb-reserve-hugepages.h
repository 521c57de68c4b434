/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "options.h"

/* Reserves the planned 1 GiB pages (nestvirt-hugepages.service). */
int verb_reserve_hugepages(const Options *o, int argc, char *argv[]);
