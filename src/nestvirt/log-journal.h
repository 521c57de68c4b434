/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

int log_journal_write(int level, int error, const char *message_id, const char *ident, const char *message);
