/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "macro.h"

/* A small streaming JSON writer: enough for --json output, with correct string escaping. */
typedef struct JsonWriter {
        FILE *f;
        unsigned depth;
        bool need_comma[32];
        bool after_key;
} JsonWriter;

void json_begin_object(JsonWriter *w);
void json_end_object(JsonWriter *w);
void json_begin_array(JsonWriter *w);
void json_end_array(JsonWriter *w);
void json_key(JsonWriter *w, const char *key);
void json_string(JsonWriter *w, const char *s);   /* NULL writes null */
void json_uint(JsonWriter *w, uint64_t v);
void json_int(JsonWriter *w, int64_t v);
void json_bool(JsonWriter *w, bool b);
void json_null(JsonWriter *w);
void json_finish(JsonWriter *w);
