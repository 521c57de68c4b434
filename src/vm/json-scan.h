/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reads one string member of a JSON object without building a tree: enough for the "state"
 * of Cloud Hypervisor's VmInfo, which comes after "config", an object that can hold keys and
 * strings of any name (paths, the kernel command line). Pure, no allocation. */

#include <stddef.h>

/* Finds KEY among the members of the top-level object in JSON (members of nested objects and
 * arrays are skipped whole) and copies its string value, unescaped, to BUF. Returns 0, -ENOENT
 * when the object has no such member, -EMEDIUMTYPE when its value is not a string, -ENOBUFS
 * when the value does not fit SIZE, -EBADMSG when JSON is not an object or is malformed up to
 * the member. */
int json_top_level_string(const char *json, const char *key, char *buf, size_t size);
