/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Writing into a generator output directory: whole files or nothing, and .wants links. */

/* Writes DIR/NAME through a temporary file and rename(), so a failure leaves nothing behind. */
int generator_write_file(const char *dir, const char *name, const char *content);
/* DIR/UNIT.wants/NAME -> TARGET (creating the .wants directory). */
int generator_add_wants(const char *dir, const char *unit, const char *name, const char *target);
