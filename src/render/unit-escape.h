/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "util.h"

/* Escaping for values written into unit files. */

/* A value of a plain setting (Description=, SourcePath=): only specifiers are special. */
void unit_append_specifier_escaped(StringBuffer *b, const char *s);
/* "KEY=VALUE\n" with VALUE's specifiers escaped, or nothing, returning false, when VALUE cannot
 * be carried on a unit file line at all (control characters, not UTF-8, ...). */
bool unit_append_setting(StringBuffer *b, const char *key, const char *value);
/* One word of ExecStart=: specifiers (%), environment variables ($), and systemd's word splitting
 * (whitespace, quotes, backslashes, control characters) are neutralized. */
void unit_append_exec_word(StringBuffer *b, const char *s);
/* One path of a space-separated path list (ReadWritePaths=, ReadOnlyPaths=): quoted and
 * C-escaped like an exec word, specifiers escaped, but $ is not special there. */
void unit_append_path_word(StringBuffer *b, const char *s);
/* A whole command line from argv, words separated by single spaces. */
void unit_append_exec_argv(StringBuffer *b, char * const *argv);
/* The same, but word i's bytes from LITERAL[i] on are a ${VAR} reference systemd is to expand. */
void unit_append_exec_argv_expanding(StringBuffer *b, char * const *argv, const size_t *literal);

/* A value inside a Cloud Hypervisor option list ("path=...,id=..."): its parser splits on commas
 * outside quotes and brackets and strips double quotes, doubling "" for a literal one. */
char *ch_quote_value(const char *s);
