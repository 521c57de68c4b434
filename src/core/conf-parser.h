/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "diag.h"

/* systemd's syntax: [Section], Key=Value, '#' or ';' comments on their own line, a trailing
 * backslash continues a line. Callbacks get the first line of a (continued) assignment.
 * They return < 0 only to abort parsing (out of memory). A line inside a section that is not an
 * assignment ("Key Value", "=Value") is passed to on_item with key NULL and value the whole line:
 * the callback reports it (and can mark what the section describes as broken). */
typedef int (*ConfSectionCallback)(void *userdata, Location where, const char *section);
typedef int (*ConfItemCallback)(void *userdata, Location where, const char *key, const char *value);

int conf_parse_buffer(const char *file, const char *data, size_t size, ConfSectionCallback on_section,
                      ConfItemCallback on_item, void *userdata, Diagnostics *diagnostics);
