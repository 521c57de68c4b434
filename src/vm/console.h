/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* 'nestvirt vm console': the terminal on a VM's serial socket (Serial=socket). Raw mode while
 * attached, so every key (Ctrl-C too) reaches the guest; Ctrl-] detaches. The terminal's modes
 * are restored however the attachment ends: the detach key, the end of input, the VM closing
 * the socket, SIGINT/SIGTERM/SIGHUP/SIGQUIT, or an error. */

/* Ctrl-], as in telnet and virsh console. */
#define CONSOLE_DETACH_KEY 0x1d

typedef enum ConsoleEnd {
        CONSOLE_DETACHED,      /* the detach key, or the end of input */
        CONSOLE_CLOSED,        /* the VM's side closed the socket: it shut down, or CH exited */
        CONSOLE_SIGNALLED,     /* a terminating signal; the terminal is restored all the same */
} ConsoleEnd;

typedef struct ConsoleResult {
        ConsoleEnd end;
        int signal;            /* with CONSOLE_SIGNALLED */
} ConsoleResult;

/* Connects to the Unix socket at SOCKET_PATH. Returns the socket, or -ENOENT / -ECONNREFUSED
 * when nobody listens there, -EACCES, another negative errno; logs nothing. */
int console_connect(const char *socket_path);

/* Relays between standard input/output and SOCK until the attachment ends, then closes SOCK.
 * Raw mode only when standard input is a terminal. Returns 0 and what ended it in RET, or a
 * negative errno (logged) when the relay itself failed. */
int console_attach(int sock, ConsoleResult *ret);
