/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"

static const char *log_ident = "nestvirt";
static LogTarget log_target = LOG_TARGET_CONSOLE;
static int log_max_level = LOG_INFO;
static int kmsg_fd = -1;
static LogJournalWriter journal_writer = NULL;

void log_set_journal_writer(LogJournalWriter w) {
        journal_writer = w;
}

void log_set_identifier(const char *ident) {
        log_ident = ident;
}

void log_set_target(LogTarget t) {
        log_target = t;
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

/* $JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected stdout/stderr to. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        struct stat st;
        unsigned long long dev, ino;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(bool prefer_kmsg) {
        const char *e = getenv("SYSTEMD_LOG_LEVEL");
        if (e) {
                static const char *const names[] = { "emerg", "alert", "crit", "err",
                                                     "warning", "notice", "info", "debug" };
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (streq(e, names[i]))
                                log_max_level = (int) i;
        }

        e = getenv("SYSTEMD_LOG_TARGET");
        if (e) {
                if (streq(e, "kmsg"))
                        log_target = LOG_TARGET_KMSG;
                else if (streq(e, "journal"))
                        log_target = LOG_TARGET_JOURNAL;
                else
                        log_target = LOG_TARGET_CONSOLE;
        } else if (prefer_kmsg)
                log_target = LOG_TARGET_KMSG;
        else if (journal_writer && stderr_is_journal())
                log_target = LOG_TARGET_JOURNAL;
        if (log_target == LOG_TARGET_JOURNAL && !journal_writer)
                log_target = LOG_TARGET_CONSOLE;

        if (log_target == LOG_TARGET_KMSG) {
                kmsg_fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
                if (kmsg_fd < 0)
                        log_target = LOG_TARGET_CONSOLE;
        }
}

int log_internal(int level, int error, const char *message_id, const char *fmt, ...) {
        int saved = errno;
        error = error < 0 ? -error : error;

        if (level > log_max_level)
                goto out;

        char buf[2048];
        va_list ap;
        errno = error;  /* so %m works */
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);

        switch (log_target) {
        case LOG_TARGET_KMSG: {
                char line[2200];
                int n = snprintf(line, sizeof line, "<%d>%s[%d]: %s\n", LOG_DAEMON | level,
                                 log_ident, (int) getpid(), buf);
                if (n > 0 && write(kmsg_fd, line, MIN((size_t) n, sizeof line - 1)) >= 0)
                        break;
                _fallthrough_;
        }
        case LOG_TARGET_CONSOLE:
                fprintf(stderr, "%s\n", buf);
                break;
        case LOG_TARGET_JOURNAL:
                if (journal_writer(level, error, message_id, log_ident, buf) < 0)
                        fprintf(stderr, "%s\n", buf);
                break;
        }
out:
        errno = saved;
        return -error;
}
