#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Derive a large sysfs fixture (many NUMA-local GPUs) from a captured one.

usage: make-large-fixture.py [options] OUTDIR

The source is a fixture captured by tests/lab/capture-sysfs.sh (default
tests/fixtures/intel-8gpu-2node). Nothing is typed in by hand: every directory,
file and link of the new devices is a copy of a captured one, renamed.

  * The root complex (pci0000:00), /sys/class/iommu, /sys/kernel/irq, /proc, ...
    are copied as captured.
  * The captured expander buses (pxb-pcie: pci0000:20, pci0000:40) are removed,
    with every link that points into them (bus/pci/devices, bus/pci/drivers/*,
    kernel/iommu_groups/*/devices, the IOMMU's devices/ directory).
  * In their place come NODES x ROOTS_PER_NODE root buses, each with
    PORTS_PER_ROOT root ports, copies of the first captured root port. Behind
    each port: function 0, a copy of the captured endpoint re-identified as an
    NVIDIA H100 (10de:2330, class 030200, driver nvidia), and function 1, a copy
    of the captured companion function (ich9-intel-hda), with the groups the
    captured functions had (one group for both in intel-8gpu-2node).
    256 buses do not fit one PCI domain, so every 256/stride root buses start a
    new domain (0001, 0002, ...), as on hosts with several PCI segments.
  * Every link the captured devices had elsewhere (bus/pci/devices/X,
    bus/pci/drivers/D/X, kernel/iommu_groups/N/devices/X, the IOMMU's
    devices/X) is made for each copy with the same relative depth.
  * NUMA nodes 0..NODES-1 are copies of the captured node0 with CPUS_PER_NODE
    CPUs each and MEM_KIB of memory.

Defaults: 2 nodes x 8 root buses x 16 ports = 256 GPUs + 256 companion
functions = 512 endpoint devices, 96 CPUs and 2016 GiB per node.
"""

import argparse
import os
import re
import shutil
import sys

ADDR_RE = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
ROOT_RE = re.compile(r"^pci([0-9a-f]{4}):([0-9a-f]{2})$")
# Longest alternatives first: root bus dir, full address, bus id.
TOKEN_RE = re.compile(r"pci[0-9a-f]{4}:[0-9a-f]{2}|[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]|[0-9a-f]{4}:[0-9a-f]{2}")
GROUP_RE = re.compile(r"(iommu_groups/)(\d+)")
DRIVER_RE = re.compile(r"(bus/pci/drivers/)([^/]+)")

GPU = {  # NVIDIA H100 SXM5 80GB, as lspci -nn shows it
    "vendor": "0x10de",
    "device": "0x2330",
    "class": "0x030200",
    "subsystem_vendor": "0x10de",
    "subsystem_device": "0x16c1",
    "revision": "0xa1",
    "modalias": "pci:v000010DEd00002330sv000010DEsd000016C1bc03sc02i00",
    "driver": "nvidia",
}
# Class directories of the captured NIC that an H100 does not have.
GPU_PRUNE = {"net", "ptp"}


def die(msg):
    print(f"make-large-fixture: {msg}", file=sys.stderr)
    sys.exit(1)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)


def mkdir(path):
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o755)


def cpulist(first, count):
    return f"{first}-{first + count - 1}" if count > 1 else str(first)


class Rewriter:
    """Renames captured names (addresses, bus ids, root dirs, groups, drivers) in paths and link targets."""

    def __init__(self, tokens, groups, drivers=None):
        self.tokens, self.groups, self.drivers = tokens, groups, drivers or {}

    def __call__(self, s):
        s = TOKEN_RE.sub(lambda m: self.tokens.get(m.group(0), m.group(0)), s)
        s = GROUP_RE.sub(lambda m: m.group(1) + str(self.groups.get(int(m.group(2)), m.group(2))), s)
        return DRIVER_RE.sub(lambda m: m.group(1) + self.drivers.get(m.group(2), m.group(2)), s)


def copy_tree(src, dst, rw, skip=(), prune=(), files=None, depth=0):
    """Copy directory SRC to DST: names and link targets through RW; top-level names in SKIP and
    directories named in PRUNE are left out; FILES maps top-level file names to new contents."""
    mkdir(dst)
    for e in sorted(os.scandir(src), key=lambda e: e.name):
        if depth == 0 and e.name in skip:
            continue
        name = rw(e.name)
        out = os.path.join(dst, name)
        if e.is_symlink():
            os.symlink(rw(os.readlink(e.path)), out)
        elif e.is_dir():
            if e.name in prune:
                continue
            copy_tree(e.path, out, rw, prune=prune, depth=depth + 1)
        elif e.is_file():
            if depth == 0 and files and e.name in files:
                write(out, files[e.name] + "\n")
            else:
                shutil.copyfile(e.path, out)
                os.chmod(out, 0o644)
    if depth == 0 and files:
        for k, v in files.items():
            p = os.path.join(dst, k)
            if not os.path.lexists(p) and k != "driver":
                write(p, v + "\n")


def all_links(top):
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if os.path.islink(p):
                yield p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--from", dest="src", default=os.path.join(here, "..", "tests", "fixtures", "intel-8gpu-2node"))
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--roots-per-node", type=int, default=8)
    ap.add_argument("--ports-per-root", type=int, default=16)
    ap.add_argument("--cpus-per-node", type=int, default=96)
    ap.add_argument("--mem-kib", type=int, default=2113929216, help="MemTotal of each node (kB)")
    ap.add_argument("--no-companion", action="store_true", help="function 0 only (one endpoint per port)")
    a = ap.parse_args()

    src = os.path.realpath(a.src)
    out = os.path.abspath(a.outdir)
    sysd = os.path.join(src, "sys", "devices")
    if not os.path.isdir(sysd) or not os.path.isdir(os.path.join(src, "sys", "bus", "pci", "devices")):
        die(f"{src} is not a captured sysfs fixture")
    if not 1 <= a.ports_per_root <= 32:
        die("--ports-per-root must be 1..32")

    # --- the template: the first root port of the first expander root bus, and its endpoints
    roots = sorted(n for n in os.listdir(sysd) if ROOT_RE.match(n))
    expanders = [n for n in roots if ROOT_RE.match(n).group(2) != "00"]
    if not expanders:
        die(f"{src} has no expander root bus (pciDDDD:BB with BB != 00) to replicate")
    t_root = expanders[0]
    t_root_bus = t_root[3:]                                   # 0000:20
    t_root_dir = os.path.join(sysd, t_root)
    t_rp = None
    for n in sorted(os.listdir(t_root_dir)):
        d = os.path.join(t_root_dir, n)
        if ADDR_RE.match(n) and os.path.isdir(d) and not os.path.islink(d):
            eps = sorted(c for c in os.listdir(d) if ADDR_RE.match(c) and os.path.isdir(os.path.join(d, c)))
            if any(e.endswith(".0") for e in eps):
                t_rp, t_eps = n, eps
                break
    if not t_rp:
        die(f"no root port with an endpoint under {t_root}")
    t_rp_dir = os.path.join(t_root_dir, t_rp)
    t_ep0 = next(e for e in t_eps if e.endswith(".0"))
    t_ep1 = next((e for e in t_eps if e.endswith(".1")), None)
    if a.no_companion:
        t_ep1 = None
    t_sec_bus = t_ep0[:7]                                     # 0000:21
    t_ep0_link = os.path.join(t_rp_dir, t_ep0, "driver")
    t_ep0_driver = os.path.basename(os.readlink(t_ep0_link)) if os.path.islink(t_ep0_link) else None

    def group_of(devdir):
        l = os.path.join(devdir, "iommu_group")
        return int(os.path.basename(os.readlink(l))) if os.path.islink(l) else None

    # The captured groups of the template's devices, each copied per root port. (Under
    # virtio-iommu a function without a driver may have no group: then its copies have none.)
    t_groups = []
    for dev in [t_rp_dir, os.path.join(t_rp_dir, t_ep0)] + ([os.path.join(t_rp_dir, t_ep1)] if t_ep1 else []):
        g = group_of(dev)
        if g is not None and g not in t_groups:
            t_groups.append(g)

    # --- copy the source, then drop the expander buses and everything pointing into them
    if os.path.lexists(out):
        shutil.rmtree(out)
    shutil.copytree(src, out, symlinks=True)
    osys = os.path.join(out, "sys")
    odev = os.path.join(osys, "devices")
    removed = [os.path.join(odev, r) for r in expanders]

    def points_into_removed(link):
        t = os.path.normpath(os.path.join(os.path.dirname(link), os.readlink(link)))
        return any(t == r or t.startswith(r + "/") for r in removed)

    # Links elsewhere that name a template device: made again for every copy. (path relative to out, target)
    t_devices = {t_rp: os.path.join(odev, t_root, t_rp), t_ep0: os.path.join(odev, t_root, t_rp, t_ep0)}
    if t_ep1:
        t_devices[t_ep1] = os.path.join(odev, t_root, t_rp, t_ep1)
    backlinks = {k: [] for k in t_devices}
    dangling = []
    for l in all_links(out):
        if any(l.startswith(r + "/") for r in removed):
            continue
        if points_into_removed(l):
            name = os.path.basename(l)
            t = os.path.normpath(os.path.join(os.path.dirname(l), os.readlink(l)))
            if name in t_devices and t == t_devices[name]:
                backlinks[name].append((os.path.relpath(l, out), os.readlink(l)))
            dangling.append(l)
    for l in dangling:
        os.unlink(l)
    for r in removed:
        shutil.rmtree(r)
    groups_dir = os.path.join(osys, "kernel", "iommu_groups")
    t_group_dirs = {}
    for g in os.listdir(groups_dir):
        gd = os.path.join(groups_dir, g)
        if os.path.isdir(os.path.join(gd, "devices")) and not os.listdir(os.path.join(gd, "devices")):
            t_group_dirs[int(g)] = gd + ".template"
            os.rename(gd, gd + ".template")
    for g in t_groups:
        if g not in t_group_dirs:
            die(f"IOMMU group {g} of the template still has devices outside the expander buses")
    next_group = max([int(g) for g in os.listdir(groups_dir) if g.isdigit()] + [-1]) + 1

    # --- NUMA nodes and CPUs
    nodes_dir = os.path.join(odev, "system", "node")
    t_node = os.path.join(nodes_dir, "node0.template")
    os.rename(os.path.join(nodes_dir, "node0"), t_node)
    for n in os.listdir(nodes_dir):
        if re.match(r"^node\d+$", n):
            shutil.rmtree(os.path.join(nodes_dir, n))
    with open(os.path.join(t_node, "meminfo")) as f:
        t_meminfo = f.read().splitlines()
    used_kib = next((int(l.split()[3]) for l in t_meminfo if l.split()[2] == "MemUsed:"), 0)
    for n in range(a.nodes):
        nd = os.path.join(nodes_dir, f"node{n}")
        copy_tree(t_node, nd, lambda s: s)
        write(os.path.join(nd, "cpulist"), cpulist(n * a.cpus_per_node, a.cpus_per_node) + "\n")
        write(os.path.join(nd, "distance"), " ".join("10" if m == n else "20" for m in range(a.nodes)) + "\n")
        lines = []
        for l in t_meminfo:
            f = l.split()
            key = f[2]
            if key == "MemTotal:":
                val = a.mem_kib
            elif key == "MemFree:":
                val = a.mem_kib - used_kib
            else:
                val = None
            if val is not None:
                l = f"Node {n} {key:<16}{val:>12} kB"
            else:
                l = re.sub(r"^Node \d+ ", f"Node {n} ", l)
            lines.append(l)
        write(os.path.join(nd, "meminfo"), "\n".join(lines) + "\n")
    shutil.rmtree(t_node)
    for f in ("possible", "online", "has_cpu", "has_memory", "has_normal_memory"):
        if os.path.exists(os.path.join(nodes_dir, f)):
            write(os.path.join(nodes_dir, f), cpulist(0, a.nodes) + "\n")
    cpu_dir = os.path.join(odev, "system", "cpu")
    for f in ("present", "possible", "online"):
        if os.path.exists(os.path.join(cpu_dir, f)):
            write(os.path.join(cpu_dir, f), cpulist(0, a.nodes * a.cpus_per_node) + "\n")
    meminfo = os.path.join(out, "proc", "meminfo")
    if os.path.exists(meminfo):
        total = a.nodes * a.mem_kib
        with open(meminfo) as f:
            lines = f.read().splitlines()
        vals = {l.split(":")[0]: int(l.split()[1]) for l in lines if len(l.split()) >= 2 and l.split()[1].isdigit()}
        for i, l in enumerate(lines):
            k = l.split(":")[0]
            if k in ("MemTotal", "MemFree", "MemAvailable"):
                v = total - (vals["MemTotal"] - vals[k])   # the captured host's use stays
                lines[i] = f"{k + ':':<16}{v:>9} kB"
        write(meminfo, "\n".join(lines) + "\n")

    # --- the new root buses, root ports and endpoints
    stride = 1
    while stride < a.ports_per_root + 1:
        stride *= 2
    per_domain = 256 // stride
    n_endpoints = 0
    n_gpus = 0
    made_dirs = set()

    def backlink(tdev, rw, new_addr):
        for rel, target in backlinks[tdev]:
            parent = rw(os.path.dirname(rel))
            pd = os.path.join(out, parent)
            if pd not in made_dirs and not os.path.isdir(pd):
                mkdir(pd)
                made_dirs.add(pd)
            os.symlink(rw(target), os.path.join(pd, new_addr))

    def make_group(g, t_g):
        gd = os.path.join(groups_dir, str(g))
        copy_tree(t_group_dirs[t_g], gd, lambda s: s, skip={"devices"})
        mkdir(os.path.join(gd, "devices"))

    for node in range(a.nodes):
        node_cpus = cpulist(node * a.cpus_per_node, a.cpus_per_node)
        for r in range(a.roots_per_node):
            gi = node * a.roots_per_node + r
            domain = 1 + gi // per_domain
            bus = (gi % per_domain) * stride
            root_bus = f"{domain:04x}:{bus:02x}"
            root_name = f"pci{root_bus}"
            rw_root = Rewriter({t_root: root_name, t_root_bus: root_bus}, {})
            copy_tree(t_root_dir, os.path.join(odev, root_name), rw_root,
                      skip={n for n in os.listdir(t_root_dir) if ADDR_RE.match(n)})
            for port in range(a.ports_per_root):
                rp = f"{root_bus}:{port:02x}.0"
                sec_bus = f"{domain:04x}:{bus + 1 + port:02x}"
                ep0 = f"{sec_bus}:00.0"
                ep1 = f"{sec_bus}:00.1"
                groups = {}
                for g in t_groups:
                    groups[g] = next_group
                    make_group(next_group, g)
                    next_group += 1
                tokens = {t_root: root_name, t_root_bus: root_bus, t_rp: rp, t_sec_bus: sec_bus, t_ep0: ep0}
                if t_ep1:
                    tokens[t_ep1] = ep1
                rw = Rewriter(tokens, groups)
                rw_gpu = Rewriter(tokens, groups, {t_ep0_driver: GPU["driver"]} if t_ep0_driver else {})
                where = {"numa_node": str(node), "local_cpulist": node_cpus}
                rp_dir = os.path.join(odev, root_name, rp)
                copy_tree(t_rp_dir, rp_dir, rw, skip=set(t_eps), files=where)
                backlink(t_rp, rw, rp)

                gpu_files = dict(where, **{k: v for k, v in GPU.items() if k != "driver"})
                copy_tree(os.path.join(t_rp_dir, t_ep0), os.path.join(rp_dir, ep0), rw_gpu,
                          skip={"driver"}, prune=GPU_PRUNE, files=gpu_files)
                os.symlink(f"../../../../bus/pci/drivers/{GPU['driver']}", os.path.join(rp_dir, ep0, "driver"))
                dd = os.path.join(osys, "bus", "pci", "drivers", GPU["driver"])
                if not os.path.isdir(dd):
                    mkdir(dd)
                    os.symlink(f"../../../../module/{GPU['driver']}", os.path.join(dd, "module"))
                backlink(t_ep0, rw_gpu, ep0)
                if not os.path.lexists(os.path.join(dd, ep0)):   # the captured endpoint had no driver
                    os.symlink(f"../../../../devices/{root_name}/{rp}/{ep0}", os.path.join(dd, ep0))
                n_endpoints += 1
                n_gpus += 1
                if t_ep1:
                    copy_tree(os.path.join(t_rp_dir, t_ep1), os.path.join(rp_dir, ep1), rw, files=where)
                    backlink(t_ep1, rw, ep1)
                    n_endpoints += 1
    for g in t_group_dirs.values():
        shutil.rmtree(g)

    # --- provenance
    info = os.path.join(out, "CAPTURE-INFO")
    orig = open(info).read() if os.path.exists(info) else ""
    cmd = " ".join(["bench/make-large-fixture.py"] + sys.argv[1:])
    write(info, f"derived-by: {cmd}\n"
          f"derived-from: {os.path.relpath(src, os.path.join(here, '..'))}\n"
          f"topology: {a.nodes} NUMA nodes x {a.cpus_per_node} CPUs x {a.mem_kib} kB; "
          f"{a.nodes * a.roots_per_node} root buses x {a.ports_per_root} root ports; "
          f"{n_gpus} GPUs 10de:2330 + {n_endpoints - n_gpus} companion functions = {n_endpoints} endpoints\n"
          "note: synthetic benchmark fixture, not a capture; every file is a renamed copy of the source's\n"
          + "".join("source-" + l + "\n" for l in orig.splitlines()))
    print(f"{out}: {a.nodes} nodes, {a.nodes * a.roots_per_node} root buses, "
          f"{a.nodes * a.roots_per_node * a.ports_per_root} root ports, {n_endpoints} endpoints ({n_gpus} GPUs)")


if __name__ == "__main__":
    main()
