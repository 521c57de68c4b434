/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What systemd makes of one ExecStart= line, for the tests of what nestvirt writes there
 * (test-unit-escape, test-vm-command). Fails the running test on anything systemd would
 * misread. */

/* The line's words, unquoted, unescaped, specifiers and $$ resolved (a strv). */
char **decode_exec_line(const char *line);
/* The value of one hex digit. */
int unhex(char c);
