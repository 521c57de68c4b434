/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The length of the well-formed UTF-8 sequence at S (of at most N bytes): 1-4, or 0 when it is
 * not one (overlong forms, surrogates and code points above U+10FFFF are not). */
size_t utf8_sequence_length(const char *s, size_t n);
/* S is well-formed UTF-8 throughout. */
bool utf8_is_valid(const char *s);
/* Well-formed UTF-8 without control characters (C0, DEL): text a unit file line, a log line
 * and a JSON string can all carry. */
bool string_is_safe_text(const char *s);
