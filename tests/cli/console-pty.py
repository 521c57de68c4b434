#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs 'nestvirt vm console' on a pseudo-terminal, as a user at a terminal would, against
tests/fakes/ch-api-server.py --serial, and reports what happened, one "KEY VALUE" line each:

    attached yes|no        the banner came
    raw yes|no             while attached, the terminal was in raw mode (no ICANON, ECHO, ISIG)
    roundtrip yes|no       typed bytes reached the VM and its answer reached the terminal
    ctrl-c yes|no          Ctrl-C went to the VM as a byte and did not end the console
    exit N                 the exit status (-N: killed by signal N)
    restored yes|no        `stty -g` on the terminal is the same after as before
    output <repr>          everything the terminal showed

The END of the attachment is chosen by --end: detach (Ctrl-]), poweroff (the VM exits and
closes the socket), or a signal name (SIGTERM, SIGHUP, SIGINT) sent to nestvirt.
python3 standard library only.
"""

import argparse
import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import time

TIMEOUT = 30   # seconds; generous, for a loaded machine


def stty(fd):
    return subprocess.run(["stty", "-g"], stdin=fd, capture_output=True, text=True).stdout.strip()


def controlling_terminal():
    # In the child: its own session, the pty as its controlling terminal, like a login shell's.
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    def __init__(self, master):
        self.master = master
        self.output = b""

    def read_until(self, wanted, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while wanted not in self.output:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    return wanted in self.output
                if not data:
                    return wanted in self.output
                self.output += data
        return True

    def drain(self):
        while select.select([self.master], [], [], 0.2)[0]:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.output += data


def wait_exit(proc, term):
    deadline = time.monotonic() + TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        term.drain()
    if proc.poll() is None:
        proc.kill()
    return proc.wait()


def is_raw(fd):
    lflag = termios.tcgetattr(fd)[3]
    return not lflag & (termios.ICANON | termios.ECHO | termios.ISIG)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--end", default="detach")
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args()
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]

    master, slave = os.openpty()
    before = stty(slave)
    proc = subprocess.Popen(args.command, stdin=slave, stdout=slave, stderr=slave,
                            preexec_fn=controlling_terminal, close_fds=True)
    term = Terminal(master)
    facts = {}
    facts["attached"] = term.read_until(b"fake-vm login: ")
    facts["raw"] = is_raw(slave)
    os.write(master, b"hello\r")
    facts["roundtrip"] = term.read_until(b"<hello\r>")
    os.write(master, b"\x03")
    facts["ctrl-c"] = term.read_until(b"<\x03>") and proc.poll() is None

    if args.end == "detach":
        os.write(master, b"\x1d")
    elif args.end == "poweroff":
        os.write(master, b"poweroff\r")
    else:
        os.kill(proc.pid, getattr(signal, args.end))
    rc = wait_exit(proc, term)
    term.drain()
    after = stty(slave)

    for k, v in facts.items():
        print(k, "yes" if v else "no")
    print("exit", rc)
    print("restored", "yes" if before and before == after else "no")
    print("output", repr(term.output))
    if before != after:
        print("# before:", before, file=sys.stderr)
        print("# after: ", after, file=sys.stderr)


if __name__ == "__main__":
    main()
