/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "config.h"

/* Value parsers for config keys. Each returns 0 or -EINVAL/-ERANGE and, on failure, sets
 * *reason to text that says what to write instead (may point into a static buffer). */

/* "64G", "65536M": whole GiB only, since VMs are backed by 1 GiB pages. */
int parse_memory_gib(const char *s, uint64_t *ret, const char **reason);
/* "auto", "12", "0:4,1:4" */
int parse_hugepages(const char *s, HostConfig *h, const char **reason);
int parse_mac(const char *s, const char **reason);
int parse_cidr(const char *s, const char **reason);
bool tap_name_is_valid(const char *s);
int parse_tristate(const char *s, Tristate *ret);
/* Split like a shell (and like systemd's ExecStart=): whitespace, "double" and 'single' quotes,
 * backslash escapes. For ExtraArguments=. */
int split_arguments(const char *s, char ***ret, const char **reason);
int cidr_to_ip_mask(const char *cidr, char ip[static 64], char mask[static 64]);
