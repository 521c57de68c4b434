#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A stand-in for Cloud Hypervisor's API socket, for testing 'nestvirt vm wait-running/stop/info/reboot'
and, with --serial, its serial socket (Serial=socket) for 'nestvirt vm console'.

Speaks HTTP/1.1 on a Unix socket the way CH's server (micro_http) does: an empty reason phrase,
"Connection: keep-alive" and the connection left open after each answer, whatever the client
asked. Logs every request to --log:

    REQUEST <request line>
    HEADER <field line, as received>
    BODY <bytes>                  (only with a body)
    END
    CLOSED <seconds>              (the client closed a connection we kept open, that long
                                   after our answer)
    EXIT                          (before exiting after the power button, or "poweroff" on the
                                   serial socket)
    SERIAL <bytes, Python repr>   (what came in on the serial socket)
    SERIAL-CLOSED                 (the serial client went away)

The serial socket takes one client at a time, as CH's does. It greets with "fake-vm login: ",
answers each chunk received with "<chunk>", and on "poweroff" says "reboot: Power down",
closes the connection and exits: the guest shut down and cloud-hypervisor with it.

python3 standard library only.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time

log_lock = threading.Lock()
state_lock = threading.Lock()
info_polls = 0


def log(args, line):
    with log_lock, open(args.log, "a") as f:
        f.write(line + "\n")


def vm_info(state):
    # As CH orders VmInfo: config first. Its nested "state" keys and the quoted one in the
    # command line are decoys: the client must read the top-level member only.
    return {
        "config": {
            "cpus": {"boot_vcpus": 2, "max_vcpus": 4},
            "memory": {"size": 0, "hugepages": False, "zones": [
                {"id": "mem0", "size": 4 << 30, "hugepages": True, "hugepage_size": 1 << 30,
                 "host_numa_node": 1}]},
            "payload": {"kernel": "/var/lib/vmlinux", "cmdline": 'console=ttyS0 "state":"Running"'},
            "disks": [{"path": "/var/lib/state.raw", "id": "state", "tags": {"state": "Running"}},
                      {"path": "/run/nestvirt/vm/vm1/cidata.iso", "readonly": True, "id": "_disk1"}],
            "net": [{"tap": "nv-vm1", "mac": "12:34:56:78:9a:bc", "id": "_net2"}],
            "devices": [{"path": "/sys/bus/pci/devices/0000:41:00.0", "id": "gpu0", "iommu": False}],
            "serial": {"mode": "Socket", "file": None, "socket": "/run/nestvirt/vm/vm1/serial.sock"},
            "console": {"mode": "Tty", "file": None, "socket": None},
        },
        "state": state,
        "memory_actual_size": 1073741824,
        "device_tree": {"_disk0": {"id": "_disk0", "state": "Running"}},
    }


def response(status, body=None):
    head = "HTTP/1.1 %d \r\nServer: Cloud Hypervisor API\r\n" % status
    if args.close:
        # Framed by the end of the connection: no Content-Length at all.
        head += "Connection: close\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
    else:
        head += "Connection: keep-alive\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    return head.encode() + b"\r\n" + (body or b"")


def answer(method, path):
    global info_polls
    if args.respond == "malformed":
        return b"HTTP/1.1 2x0 Garbage\r\nContent-Length: 0\r\n\r\n"
    if args.respond == "error":
        return response(args.error_status, args.error_body.encode())
    if method == "GET" and path == "/api/v1/vm.info":
        with state_lock:
            info_polls += 1
            state = "Created" if info_polls <= args.created_polls else args.state
        return response(200, json.dumps(vm_info(state)).encode())
    if method == "PUT" and path == "/api/v1/vm.reboot":
        return response(204)
    if method == "PUT" and path == "/api/v1/vm.power-button":
        if args.power_button == "exit":
            threading.Thread(target=exit_later, daemon=True).start()
        return response(204)
    return response(404, b'["Not Found"]')


def exit_later():
    time.sleep(args.exit_after)
    log(args, "EXIT")
    os._exit(0)


def read_request(conn, buf):
    """Returns (head lines, body, rest of buf), or None at EOF."""
    while b"\r\n\r\n" not in buf:
        data = conn.recv(65536)
        if not data:
            return None
        buf += data
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(buf) < length:
        data = conn.recv(65536)
        if not data:
            return None
        buf += data
    return lines, buf[:length], buf[length:]


def serve(conn):
    buf = b""
    answered = None
    with conn:
        while True:
            req = read_request(conn, buf)
            if req is None:
                if answered is not None:
                    log(args, "CLOSED %.3f" % (time.monotonic() - answered))
                return
            lines, body, buf = req
            out = ["REQUEST " + lines[0]] + ["HEADER " + l for l in lines[1:]]
            if body:
                out.append("BODY %d" % len(body))
            log(args, "\n".join(out + ["END"]))
            if args.respond == "silent":
                continue  # read on: the client gives up and closes
            method, path = lines[0].split(" ")[:2]
            conn.sendall(answer(method, path))
            answered = time.monotonic()
            if args.close:
                return


def serve_serial(conn):
    with conn:
        try:
            conn.sendall(b"fake-vm login: ")
            while True:
                data = conn.recv(4096)
                if not data:
                    break
                # Logged once answered: a test that sees the line knows the answer is on its way.
                conn.sendall(b"<" + data + b">")
                log(args, "SERIAL " + repr(data))
                if b"poweroff" in data:
                    poweroff(conn)
        except OSError:
            pass   # the client went away first
        log(args, "SERIAL-CLOSED")


def poweroff(conn):
    conn.sendall(b"\r\nreboot: Power down\r\n")
    conn.shutdown(socket.SHUT_RDWR)
    log(args, "EXIT")
    os._exit(0)


def listen_serial(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    return s


def accept_serial(s):
    while True:
        conn, _ = s.accept()
        serve_serial(conn)   # one client at a time


def main():
    global args
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--socket", required=True, help="Unix socket path to listen on")
    p.add_argument("--log", required=True, help="file to append the requests to")
    p.add_argument("--start-delay", type=float, default=0, help="seconds to wait before listening")
    p.add_argument("--stale", action="store_true",
                   help="bind the socket and exit without listening: a stale socket file")
    p.add_argument("--created-polls", type=int, default=0,
                   help="vm.info says Created for this many polls, then --state")
    p.add_argument("--state", default="Running", help="vm.info's state after --created-polls")
    p.add_argument("--power-button", choices=["exit", "ignore"], default="exit",
                   help="exit: answer 204, exit --exit-after seconds later (the guest shut down); "
                        "ignore: answer 204 and keep running (a guest without ACPI)")
    p.add_argument("--exit-after", type=float, default=0.5)
    p.add_argument("--respond", choices=["normal", "error", "malformed", "silent"], default="normal",
                   help="error: --error-status with --error-body to everything; malformed: a broken "
                        "status line; silent: read requests, never answer")
    p.add_argument("--error-status", type=int, default=500)
    p.add_argument("--error-body", default='["Error from API","The VM could not be triggered: fake failure"]')
    p.add_argument("--close", action="store_true",
                   help="close the connection after each answer and frame bodies by that, without "
                        "Content-Length (CH keeps connections open and sends a length)")
    p.add_argument("--serial", help="also listen on this Unix socket as the VM's serial port")
    args = p.parse_args()

    time.sleep(args.start_delay)
    if args.serial:
        # Before the API socket: once that exists, the serial socket does too.
        threading.Thread(target=accept_serial, args=(listen_serial(args.serial),), daemon=True).start()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(args.socket)
    if args.stale:
        return
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
