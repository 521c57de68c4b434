/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The input as a C string (up to its first NUL). Not strndup(): with ASan's
 * strict_string_checks that reads the unterminated input as a string and reports it. */
static inline char *fuzz_string(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        if (!s)
                return NULL;
        memcpy(s, data, size);
        s[size] = 0;
        return s;
}
