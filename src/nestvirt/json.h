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

/* A key and its value in one call: objects read as the list of their fields. */
void json_field_string(JsonWriter *w, const char *key, const char *s);
void json_field_uint(JsonWriter *w, const char *key, uint64_t v);
void json_field_int(JsonWriter *w, const char *key, int64_t v);
void json_field_bool(JsonWriter *w, const char *key, bool b);
