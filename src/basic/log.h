/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <syslog.h>

#include "macro.h"

typedef enum LogTarget {
        LOG_TARGET_CONSOLE,   /* stderr, plain */
        LOG_TARGET_KMSG,      /* /dev/kmsg, for generators: journald is not up yet */
        LOG_TARGET_JOURNAL,   /* structured, when stderr is connected to the journal */
} LogTarget;

/* Structured journal logging lives outside the shared core, so the generator (which runs
 * before journald and must start fast) does not load libsystemd. */
typedef int (*LogJournalWriter)(int level, int error, const char *message_id, const char *ident, const char *message);
void log_set_journal_writer(LogJournalWriter w);

void log_set_identifier(const char *ident);
void log_set_target(LogTarget t);
void log_set_max_level(int level);
/* Pick the target the way systemd's tools do: $SYSTEMD_LOG_TARGET, else the journal when
 * stderr is a journal stream, else the console. Generators pass prefer_kmsg. */
void log_setup(bool prefer_kmsg);
int log_get_max_level(void);

/* Returns -abs(error), so call sites can "return log_error_errno(r, ...)". */
int log_internal(int level, int error, const char *message_id, const char *fmt, ...) _printf_(4, 5);

#define log_full_errno(level, error, ...) log_internal(level, error, NULL, __VA_ARGS__)
#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)
#define log_oom() log_full_errno(LOG_ERR, ENOMEM, "Out of memory.")
