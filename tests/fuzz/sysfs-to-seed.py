#!/usr/bin/env python3
# Turns a captured sysfs fixture (tests/fixtures/NAME) into seeds for fuzz-inventory, in the
# line format fuzz/fuzz-inventory.c reads: "PLACE NAME PATH [VALUE]". Each seed stays under the
# target's 64 lines, so a fixture becomes several: devices in chunks, nodes, IOMMUs with
# interrupts.
#
# usage: sysfs-to-seed.py FIXTURE_DIR OUT_DIR
import os
import sys

fixture, out = sys.argv[1], sys.argv[2]
name = os.path.basename(os.path.normpath(fixture))
CHUNK = 60


def escape(data):
    s = []
    for b in data:
        c = chr(b)
        if c == "\\":
            s.append("\\\\")
        elif c == "\n":
            s.append("\\n")
        elif b < 0x20 or b >= 0x7F:
            s.append("\\x%02x" % b)
        else:
            s.append(c)
    return "".join(s)


def entries(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def file_line(place, entry, base, rel, max_lines=None):
    p = os.path.join(base, rel)
    if not os.path.isfile(p):
        return []
    data = open(p, "rb").read()
    if max_lines:
        data = b"".join(data.splitlines(keepends=True)[:max_lines])
    return ["%s %s %s %s" % (place, entry, rel, escape(data))]


def link_line(place, entry, base, rel):
    p = os.path.join(base, rel)
    if not os.path.islink(p):
        return []
    return ["%s %s %s %s" % (place, entry, rel, escape(os.readlink(p).encode()))]


def devices():
    d = os.path.join(fixture, "sys/bus/pci/devices")
    lines = []
    for e in entries(d):
        base = os.path.join(d, e)
        for f in ("modalias", "numa_node", "driver_override", "class", "vendor", "device"):
            lines += file_line("dev", e, base, f)
        for f in ("iommu_group", "driver"):
            lines += link_line("dev", e, base, f)
    return lines


def nodes():
    d = os.path.join(fixture, "sys/devices/system/node")
    lines = []
    for e in entries(d):
        if not e.startswith("node"):
            continue
        base = os.path.join(d, e)
        lines += file_line("node", e, base, "cpulist")
        lines += file_line("node", e, base, "meminfo", max_lines=4)
        for f in ("nr_hugepages", "free_hugepages"):
            lines += file_line("node", e, base, "hugepages/hugepages-1048576kB/" + f)
    return lines


def iommus_and_irqs():
    lines = []
    d = os.path.join(fixture, "sys/class/iommu")
    for e in entries(d):
        base = os.path.join(d, e)
        lines += link_line("iommu", e, base, "device/driver") or ["iommu %s device" % e]
        for kind in ("intel-iommu", "amd-iommu"):
            if os.path.exists(os.path.join(base, kind)):
                lines.append("iommu %s %s" % (e, kind))
    d = os.path.join(fixture, "sys/kernel/irq")
    for e in entries(d)[:40]:
        lines += file_line("irq", e, os.path.join(d, e), "chip_name")
    if os.path.isdir(os.path.join(fixture, "sys/kernel/mm/hugepages/hugepages-1048576kB")):
        lines.append("mm hugepages hugepages-1048576kB")
    return lines


os.makedirs(out, exist_ok=True)
dev = devices()
seeds = {"%s-devices-%d" % (name, i // CHUNK): dev[i:i + CHUNK] for i in range(0, len(dev), CHUNK)}
seeds[name + "-nodes"] = nodes()
seeds[name + "-iommu-irq"] = iommus_and_irqs()
for seed, lines in seeds.items():
    if lines:
        with open(os.path.join(out, seed), "w") as f:
            f.write("\n".join(lines[:CHUNK]) + "\n")
