#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark of nestvirt-generator (see bench/README.md).
#
# usage: bench/run.sh            (or: ninja -C build bench)
# environment:
#   BENCH_RUNS=200          timed runs per case
#   BENCH_WARMUP=5          untimed runs before them
#   BUILD_DIR=build         where nestvirt-generator and nestvirt were built
#   BENCH_WORKDIR=$BUILD_DIR/bench   fixtures and roots (the large fixture is cached there)
#   BENCH_OUTDIR=           output directories (default: a new directory on tmpfs, as
#                           /run/systemd/generator is; else under BENCH_WORKDIR)
#   BENCH_CALLGRIND=auto    auto | 0: instruction counts with valgrind --tool=callgrind
#   BENCH_CALLGRIND_TOP=6   functions listed per case (by own instructions)
#   BENCH_LARGE_FROM=tests/fixtures/intel-8gpu-2node   captured fixture the large one derives from
#   FSTAB_GENERATOR=/lib/systemd/system-generators/systemd-fstab-generator
#
# Exit status: 0 whether or not the goals are met; 1 if a generator fails, writes no units,
# or the large case does not plan 64 VMs.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(realpath -m "${BUILD_DIR:-$src/build}")
generator=$build/generator/nestvirt-generator
cli=$build/src/nestvirt/nestvirt
fstab_generator=${FSTAB_GENERATOR:-/lib/systemd/system-generators/systemd-fstab-generator}
runs=${BENCH_RUNS:-200}
warmup=${BENCH_WARMUP:-5}
work=$(realpath -m "${BENCH_WORKDIR:-$build/bench}")
large_from=$(realpath "${BENCH_LARGE_FROM:-$src/tests/fixtures/intel-8gpu-2node}")
large_vms=64
large_gpus_per_vm=4

die() { echo "bench: $*" >&2; exit 1; }
for x in "$generator" "$cli"; do
        [ -x "$x" ] || die "$x is missing: build first (meson setup build && ninja -C build)"
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS=$runs is not a positive number"
command -v python3 > /dev/null || die "python3 is needed for the timing harness"
mkdir -p "$work"

if [ -n "${BENCH_OUTDIR:-}" ]; then
        out=$BENCH_OUTDIR
        mkdir -p "$out"
else
        out=
        for d in /dev/shm /run /tmp; do
                if [ -d "$d" ] && [ -w "$d" ] && [ "$(stat -f -c %T "$d")" = tmpfs ]; then
                        out=$(mktemp -d "$d/nestvirt-bench.XXXXXX")
                        break
                fi
        done
        [ -n "$out" ] || out=$(mktemp -d "$work/out.XXXXXX")
        trap 'rm -rf "$out"' EXIT
fi

# A root as tests/golden/run-case.sh makes it: the fixture, then etc/nestvirt.conf at 0644.
install_conf() { # ROOT CONF_FILE
        mkdir -p "$1/etc"
        cp "$2" "$1/etc/nestvirt.conf"
        chmod 0644 "$1/etc/nestvirt.conf"
}

# --- 1. reference: tests/fixtures/virtio-2node-4dev + conf/nestvirt.conf
ref=$work/reference-root
rm -rf "$ref"
mkdir -p "$ref"
cp -a "$src/tests/fixtures/virtio-2node-4dev/." "$ref/"
install_conf "$ref" "$src/conf/nestvirt.conf"

# --- 2. large: 64 VMs x 4 GPUs on 512 endpoint devices, derived from a captured fixture.
large=$work/large-root
stamp=$( { cat "$src/bench/make-large-fixture.py"; echo "$large_from";
           (cd "$large_from" && find . -printf '%p %l %s %T@\n' | sort); } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$large/.bench-stamp" 2>/dev/null)" != "$stamp" ]; then
        echo "Generating the large fixture from ${large_from#"$src"/} into $large ..."
        bash "$src/bench/make-large-fixture.sh" "$large" --from "$large_from"
        if [ -f "$src/tests/lab/check-fixture.sh" ]; then
                bash "$src/tests/lab/check-fixture.sh" "$large" > "$work/large-fixture.check" ||
                        die "the large fixture fails tests/lab/check-fixture.sh (see $work/large-fixture.check)"
        fi
        echo "$stamp" > "$large/.bench-stamp"
fi
{
        echo "# bench/run.sh: $large_vms VMs with $large_gpus_per_vm H100 each (written at bench time)."
        printf '[Host]\nHugepages=auto\nHugepagesExtra=0\nUnsafeInterrupts=auto\nHypervisor=/usr/local/bin/cloud-hypervisor\n'
        for ((i = 0; i < large_vms; i++)); do
                n=$(printf 'gpu%02d' "$i")
                printf '\n[VM %s]\nCPUs=8\nMemory=16G\nDevice=10de:2330*%d\nNUMANode=auto\nCPUAffinity=auto\n' "$n" "$large_gpus_per_vm"
                printf 'Kernel=/var/lib/cloud-hypervisor/vmlinux\nCmdline=console=ttyS0 root=/dev/vda1 rw\n'
                printf 'Disk=/var/lib/nestvirt/%s/root.raw\nSerial=journal\nAutostart=yes\nRestart=on-failure\n' "$n"
        done
} > "$work/large.conf"
install_conf "$large" "$work/large.conf"

# The plan must be clean: exit 0 and one unit per VM (adapt the fixture, not the code, if not).
plan_rc=0
"$cli" plan --root "$large" > "$work/large-plan.txt" 2>&1 || plan_rc=$?
planned=$(grep -c '^  nestvirt-vm@.*\.service' "$work/large-plan.txt" || true)
claims=$(grep -cE '^  [0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] ' "$work/large-plan.txt" || true)
if [ "$plan_rc" != 0 ] || [ "$planned" != "$large_vms" ]; then
        cat "$work/large-plan.txt"
        die "nestvirt plan --root $large: exit $plan_rc, $planned units planned (want $large_vms)"
fi
ndev=$(find "$large/sys/bus/pci/devices" -mindepth 1 -maxdepth 1 | wc -l)
# The endpoints made for the case: PCI domains 0001 and up, not bridges.
nend=$(cat "$large"/sys/bus/pci/devices/000[1-9a-f]:*/class | grep -vc '^0x06' || true)
echo "Large fixture: $ndev PCI devices ($nend endpoints behind the new root ports), $(ls -d "$large"/sys/devices/system/node/node* | wc -l) NUMA nodes;" \
     "nestvirt plan: exit 0, $planned VM units, $claims devices for vfio-pci"

# --- 3. yardstick: systemd-fstab-generator on a 20-entry fstab
fstab=$work/fstab
cat > "$fstab" << 'EOF'
# 20 entries, a typical server: root and boot by UUID, data by label and by-id, tmpfs, swap.
UUID=3f0c2d1e-6a7b-4c8d-9e0f-1a2b3c4d5e6f  /                   ext4   defaults,errors=remount-ro                       0 1
UUID=9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d  /boot               ext4   defaults,nodev,nosuid,noexec                     0 2
UUID=4C1D-9E2F                             /boot/efi           vfat   umask=0077,shortname=winnt                       0 1
LABEL=home                                 /home               xfs    defaults,noatime                                 0 2
UUID=0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e  /var                xfs    defaults,noatime                                 0 2
UUID=5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9  /var/log            xfs    defaults,noatime,nodev,nosuid                    0 2
/dev/disk/by-id/nvme-Samsung_SSD_980_PRO_2TB_S6B0NL0T123456X-part1  /var/lib/nestvirt  xfs  defaults,noatime,x-systemd.device-timeout=30s  0 2
/dev/disk/by-path/pci-0000:00:1f.2-ata-1.0-part1  /srv          ext4   nofail,x-systemd.automount,x-systemd.idle-timeout=600  0 2
/dev/disk/by-uuid/7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a  /var/lib/docker  xfs  defaults,pquota,x-systemd.before=docker.service  0 2
/dev/disk/by-partlabel/postgres            /var/lib/postgresql ext4   defaults,noatime,x-systemd.wanted-by=multi-user.target  0 2
LABEL=data                                 /data               ext4   nofail,x-systemd.makefs,x-systemd.growfs         0 2
LABEL=scratch                              /scratch            xfs    nofail,noauto,x-systemd.automount                0 0
LABEL=backup                               /backup             ext4   nofail,x-systemd.device-timeout=5s               0 2
UUID=1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d  /opt                ext4   ro,nodev,x-systemd.requires=/data                0 2
/data/images                               /var/lib/images     none   bind,x-systemd.requires-mounts-for=/data         0 0
tmpfs                                      /tmp                tmpfs  mode=1777,size=8G,nosuid,nodev                   0 0
tmpfs                                      /var/cache/build    tmpfs  size=1G,mode=0755,x-systemd.after=var.mount      0 0
fileserver.example.com:/export/home        /mnt/nfs            nfs    _netdev,nofail,x-systemd.mount-timeout=30s       0 0
UUID=6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f  none                swap   sw                                               0 0
/dev/disk/by-partlabel/swap2               none                swap   sw,nofail,pri=10                                 0 0
EOF
[ "$(grep -cv '^#' "$fstab")" = 20 ] || die "the fstab does not have 20 entries"
[ -x "$fstab_generator" ] || die "$fstab_generator is missing (the yardstick)"

# --- the harness
valgrind=
case ${BENCH_CALLGRIND:-auto} in
0 | no | off) ;;
*) valgrind=$(command -v valgrind || true) ;;
esac

PY_RUNS=$runs PY_WARMUP=$warmup PY_OUT=$out PY_VALGRIND=$valgrind PY_TOP=${BENCH_CALLGRIND_TOP:-6} \
PY_GEN=$generator PY_FSTAB_GEN=$fstab_generator PY_REF=$ref PY_LARGE=$large PY_FSTAB=$fstab \
PY_LARGE_VMS=$large_vms PY_LARGE_DEV=$nend python3 - > "$out/spec.json" << 'EOF'
import json, os
e = os.environ
base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SYSTEMD_PROC_CMDLINE": "", "SYSTEMD_IN_INITRD": "0",
        "SYSTEMD_LOG_TARGET": "console", "LANG": "C"}
nestvirt = lambda root: dict(base, NESTVIRT_ROOT=root)
cases = [
    {"name": "nestvirt reference", "short": "reference", "role": "nestvirt", "argv0": e["PY_GEN"],
     "env": nestvirt(e["PY_REF"]), "expect": "service", "units": 1, "goal_cpu_ms": 1},
    {"name": f"nestvirt large ({e['PY_LARGE_VMS']} VMs, {e['PY_LARGE_DEV']} devices)", "short": "large",
     "role": "nestvirt", "argv0": e["PY_GEN"], "env": nestvirt(e["PY_LARGE"]), "expect": "service",
     "units": int(e["PY_LARGE_VMS"]), "goal_cpu_ms": 10},
    {"name": "systemd-fstab-generator (20 entries)", "short": "fstab", "role": "yardstick", "argv0": e["PY_FSTAB_GEN"],
     "env": dict(base, SYSTEMD_FSTAB=e["PY_FSTAB"]), "expect": "fstab", "units": None},
    {"name": "exec floor (/bin/true)", "role": "floor", "argv0": "/bin/true", "env": base, "expect": "none",
     "units": None},
]
print(json.dumps({"runs": int(e["PY_RUNS"]), "warmup": int(e["PY_WARMUP"]), "outdir": e["PY_OUT"],
                  "callgrind": e["PY_VALGRIND"], "callgrind_top": int(e["PY_TOP"]), "cases": cases}))
EOF

echo "Output directories on $(stat -f -c %T "$out") ($out); $(nproc) CPUs; $(uname -r)"
rc=0
python3 "$src/bench/harness.py" "$out/spec.json" || rc=$?
exit $rc
