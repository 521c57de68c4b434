/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "log-journal.h"

/* Structured entries: MESSAGE_ID lets admins find a kind of event with journalctl. */
int log_journal_write(int level, int error, const char *message_id, const char *ident, const char *message) {
        char priority[32], errno_field[32], id_field[64], ident_field[128];
        struct iovec iov[5];
        size_t n = 0;
        char *msg = NULL;

        if (asprintf(&msg, "MESSAGE=%s", message) < 0)
                return -1;
        iov[n++] = (struct iovec) { msg, strlen(msg) };
        snprintf(priority, sizeof priority, "PRIORITY=%d", level);
        iov[n++] = (struct iovec) { priority, strlen(priority) };
        snprintf(ident_field, sizeof ident_field, "SYSLOG_IDENTIFIER=%s", ident);
        iov[n++] = (struct iovec) { ident_field, strlen(ident_field) };
        if (error) {
                snprintf(errno_field, sizeof errno_field, "ERRNO=%d", error);
                iov[n++] = (struct iovec) { errno_field, strlen(errno_field) };
        }
        if (message_id) {
                snprintf(id_field, sizeof id_field, "MESSAGE_ID=%s", message_id);
                iov[n++] = (struct iovec) { id_field, strlen(id_field) };
        }
        int r = sd_journal_sendv(iov, (int) n);
        free(msg);
        return r;
}
