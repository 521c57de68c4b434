#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cross-check of nestvirt's 64-bit MMIO verdict (src/core/plan-mmio.c) against ch_mmio, the
model of Cloud Hypervisor's BAR placement (README-mmio.md). The multi-node golden cases'
fixtures hold no sysfs `resource` files, so this lays H100-sized BARs (a 32-bit 16 MiB BAR0,
a 64-bit 128 GiB BAR1, a 64-bit 32 MiB BAR3) over the intel-8gpu-2node fixture's e1000e
devices, runs the generator, and checks each VM both ways: a unit written (nestvirt says the
BARs fit) must fit in ch_mmio.mmio64_fits with the unit's own --cpus max_phys_bits=,
--memory-zone sizes and --pci-segment weights; a VM refused for its BARs must not fit in
ch_mmio, evenly or with any weights by demand. TAP.

usage: test_mmio_crosscheck.py GENERATOR SOURCE_DIR"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ch_mmio  # noqa: E402

GIB = 1 << 30
IORESOURCE_MEM, IORESOURCE_MEM_64 = 0x200, 0x100000
H100 = ('0x00000000e2000000 0x00000000e2ffffff 0x0000000000040200\n'
        '0x{b1:016x} 0x{e1:016x} 0x000000000014220c\n'
        '0x0000000000000000 0x0000000000000000 0x0000000000000000\n'
        '0x{b3:016x} 0x{e3:016x} 0x000000000014220c\n'
        '0x0000000000000000 0x0000000000000000 0x0000000000000000\n'
        '0x0000000000000000 0x0000000000000000 0x0000000000000000\n'
        '0x0000000000000000 0x0000000000000000 0x0000000000000000\n')
HEAD = ('[Host]\nHugepages=auto\n[VM box]\nKernel=/var/lib/cloud-hypervisor/vmlinux\n'
        'Disk=/var/lib/nestvirt/box/root.raw\n')
CASES = [
    # name, extra [VM box] lines, whether nestvirt should write the unit
    ('default-46-bits', 'CPUs=2\nMemory=2G\nDevice=8086:10d3*8\n', True),
    ('weighted-40-bits', 'CPUs=2\nMemory=2G\nNUMANode=0,1\nDevice=21:00.0 41:00.0 42:00.0 43:00.0 44:00.0\n'
                         'CPUOptions=max_phys_bits=40\n', True),
    ('too-few-bits', 'CPUs=2\nMemory=2G\nDevice=8086:10d3*8\nCPUOptions=max_phys_bits=40\n', False),
    ('single-node-38-bits', 'CPUs=2\nMemory=1G\nDevice=8086:10d3*2\nCPUOptions=max_phys_bits=38\n', False),
    ('single-node-39-bits', 'CPUs=2\nMemory=1G\nDevice=8086:10d3*2\nCPUOptions=max_phys_bits=39\n', True),
]


def resources(text):
    """64-bit memory BAR sizes of a sysfs resource file, as drivers/pci/pci-sysfs.c prints it."""
    sizes = []
    for line in text.splitlines()[:6]:
        start, end, flags = (int(x, 16) for x in line.split())
        if end > start and flags & IORESOURCE_MEM and flags & IORESOURCE_MEM_64:
            sizes.append(end - start + 1)
    return sizes


def lay_bars(root):
    devices = os.path.join(root, 'sys/bus/pci/devices')
    for i, name in enumerate(sorted(os.listdir(devices))):
        path = os.path.realpath(os.path.join(devices, name))
        with open(os.path.join(path, 'modalias')) as f:
            if not f.read().startswith('pci:v00008086d000010D3'):
                continue
        b1, b3 = (0x380000000000 + i * (1 << 38)), 0x3f0000000000 + i * (1 << 26)
        with open(os.path.join(path, 'resource'), 'w') as f:
            f.write(H100.format(b1=b1, e1=b1 + 128 * GIB - 1, b3=b3, e3=b3 + (32 << 20) - 1))


def options(argv, name):
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == name]


def subopts(value):
    out, depth, cur = {}, 0, ''
    for c in value + ',':
        if c == ',' and depth == 0:
            k, _, v = cur.partition('=')
            out[k] = v
            cur = ''
            continue
        depth += c == '['
        depth -= c == ']'
        cur += c
    return out


def model_inputs(argv, root):
    """ch_mmio's inputs from a VM's command line and the BARs under ROOT."""
    cpus = subopts(options(argv, '--cpus')[0])
    bits = int(cpus.get('max_phys_bits', ch_mmio.DEFAULT_MAX_PHYS_BITS))
    zones = [(int(subopts(z)['size'].rstrip('G')) * GIB, GIB) for z in options(argv, '--memory-zone')]
    platform = options(argv, '--platform')
    segments = int(subopts(platform[0])['num_pci_segments']) if platform else 1
    weights = [1] * segments
    for s in options(argv, '--pci-segment'):
        o = subopts(s)
        weights[int(o['pci_segment'])] = int(o.get('mmio64_aperture_weight', 1))
    bars = {}
    for d in options(argv, '--device'):
        o = subopts(d)
        with open(os.path.join(root, o['path'].lstrip('/'), 'resource')) as f:
            bars.setdefault(int(o.get('pci_segment', 0)), []).extend(resources(f.read()))
    return bits, zones, weights, bars


def demand_weights(bars, segments, shift):
    return [max(sum(-(-b // (4 * GIB)) for b in bars.get(s, [])) >> shift, 1) for s in range(segments)]


def main():
    generator, src = sys.argv[1], sys.argv[2]
    print(f'1..{len(CASES) * 2}')
    n = 0
    for name, lines, fits in CASES:
        with tempfile.TemporaryDirectory() as work:
            root, out = os.path.join(work, 'root'), os.path.join(work, 'out')
            shutil.copytree(os.path.join(src, 'tests/fixtures/intel-8gpu-2node'), root, symlinks=True)
            lay_bars(root)
            os.makedirs(os.path.join(root, 'etc'), exist_ok=True)
            with open(os.path.join(root, 'etc/nestvirt.conf'), 'w') as f:
                f.write(HEAD + lines)
            for d in ('normal', 'early', 'late'):
                os.makedirs(os.path.join(out, d))
            env = dict(os.environ, NESTVIRT_ROOT=root, SYSTEMD_PROC_CMDLINE='', SYSTEMD_IN_INITRD='0',
                       SYSTEMD_LOG_TARGET='console')
            run = subprocess.run([generator] + [os.path.join(out, d) for d in ('normal', 'early', 'late')],
                                 env=env, capture_output=True, text=True)
            unit = os.path.join(out, 'normal', 'nestvirt-vm@box.service')
            written = os.path.exists(unit)
            n += 1
            ok = written == fits
            print(f'{"ok" if ok else "not ok"} {n} - {name}: nestvirt {"writes" if written else "refuses"} the unit')
            if not ok:
                print('# ' + run.stderr.replace('\n', '\n# '))
            n += 1
            if written:
                with open(unit) as f:
                    line = next(l for l in f if l.startswith('ExecStart='))
                argv = shlex.split(line[len('ExecStart='):])
                bits, zones, weights, bars = model_inputs(argv, root)
                fit = ch_mmio.mmio64_fits(bars, bits, weights, memory=zones)
                # nestvirt weights segments only where the even split does not fit.
                if weights != [1] * len(weights) and ch_mmio.mmio64_fits(bars, bits, [1] * len(weights), memory=zones):
                    fit = ch_mmio.Fit(False, ['the even split fits too: weights were not needed'], [], {})
                print(f'{"ok" if fit else "not ok"} {n} - {name}: ch_mmio agrees that the BARs fit '
                      f'({bits} bits, weights {weights})')
                for p in fit.problems:
                    print(f'# {p}')
            else:
                refused = 'do not fit' in run.stderr
                # The line nestvirt would have written: one segment per node of its devices.
                segments = 2 if '*8' in lines else 1
                per = {0: [], 1: []} if segments == 2 else {0: []}
                for s in per:
                    per[s] = [128 * GIB, 32 << 20] * (4 if segments == 2 else 2)
                bits = int(re.search(r'max_phys_bits=(\d+)', lines).group(1))
                memory = [(1 * GIB, GIB)] * segments if segments == 2 else [(1 * GIB, GIB)]
                tries = [[1] * segments] + [demand_weights(per, segments, s) for s in range(24)]
                any_fit = any(ch_mmio.mmio64_fits(per, bits, w, memory=memory) for w in tries)
                ok = refused and not any_fit
                print(f'{"ok" if ok else "not ok"} {n} - {name}: refused for its BARs, and ch_mmio finds no '
                      f'weighting that fits at {bits} bits')
    return 0


if __name__ == '__main__':
    sys.exit(main())
