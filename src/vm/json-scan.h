/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reads members of JSON objects without building a tree: enough for the "state" of Cloud
 * Hypervisor's VmInfo, which comes after "config", an object that can hold keys and strings of
 * any name (paths, the kernel command line), and for the few members of "config" that
 * 'nestvirt vm info' summarises. Pure, no allocation. A value is a pointer into the text: the
 * functions that read one take it as it comes and check its type themselves. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of member KEY of the object at JSON (leading white space allowed): *RET points at
 * its first character. Returns 0, -ENOENT when the object has no such member, -EMEDIUMTYPE
 * when JSON is not an object, -EBADMSG when it is malformed up to the member. */
int json_object_member(const char *json, const char *key, const char **ret);
/* The same along a NULL-terminated PATH of member names, each in the value of the one before. */
int json_member_path(const char *json, const char *const *path, const char **ret);
/* Element INDEX (from 0) of the array at JSON. Returns 0, -ENOENT past the end, -EMEDIUMTYPE
 * when JSON is not an array, -EBADMSG when it is malformed up to the element. */
int json_array_element(const char *json, size_t index, const char **ret);

/* Read the value at VALUE. All return -EMEDIUMTYPE when it is of another type. */
/* Unescaped into BUF; -ENOBUFS when it does not fit SIZE, -EBADMSG when malformed or when it
 * holds a \u0000, which a C string would silently end at. */
int json_value_string(const char *value, char *buf, size_t size);
/* A non-negative integer; -ERANGE for a negative one, a fraction, an exponent, or > UINT64_MAX. */
int json_value_uint(const char *value, uint64_t *ret);
int json_value_bool(const char *value, bool *ret);

/* Finds KEY among the members of the top-level object in JSON (members of nested objects and
 * arrays are skipped whole) and copies its string value, unescaped, to BUF. Returns 0, -ENOENT
 * when the object has no such member, -EMEDIUMTYPE when its value is not a string, -ENOBUFS
 * when the value does not fit SIZE, -EBADMSG when JSON is not an object or is malformed up to
 * the member. */
int json_top_level_string(const char *json, const char *key, char *buf, size_t size);
