#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-image.sh [OPTIONS] KERNEL INITRD
#
# Boots YOUR kernel and initramfs image (built by your image pipeline with the
# nestvirt dracut module or initramfs-tools hook, and your /etc/nestvirt.conf)
# under QEMU (TCG, no KVM needed) on an emulated GPU host, and reports what
# nestvirt did in the initramfs: drivers of the PCI devices, 1 GiB pages per
# node, vfio's unsafe interrupts, `nestvirt status`, and a VFIO probe that opens
# every device on vfio-pci the way a VMM does. Nothing in INITRD is changed: the
# lab's report (a systemd unit, or for initramfs-tools an init-premount script
# added by /lab/rdinit) comes in a second cpio archive appended to a copy.
#
# Options:
#   --topology NAME   emulated host (tests/lab/topology.sh --list; default
#                     virtio-2node-4dev). Its "GPUs" are e1000e NICs, 8086:10d3.
#   --dropin FILE     also put FILE into the initramfs as
#                     /etc/nestvirt.conf.d/99-lab.conf, e.g. to point a VM's
#                     devices at the lab's NICs without touching your config:
#                         [VM train0]
#                         Device=
#                         Device=8086:10d3*2
#   --cmdline WORDS   more kernel parameters (e.g. nestvirt=0, intremap=off)
#   --node-mem GIB    memory of each NUMA node (default 10)
#   --out DIR         results (default build-lab/runs/image): console.log,
#                     report.txt, status.json, qemu-command
#   --allow-problems  exit 0 even when `nestvirt status` reports problems
#
# Exit: 0 when the guest reported back, `nestvirt status` exited 0 and the VFIO
# probe passed on every device on vfio-pci; 1 otherwise; 2 usage.
# Needs: qemu-system-x86, busybox-static, cpio, python3 (tests/lab/packages.txt).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() { sed -n '3,/^# Needs/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
topology=virtio-2node-4dev dropin= words= out= allow=0 node_mem=10
while [ $# -gt 0 ]; do
    case $1 in
        --topology) topology=$2; shift 2 ;;
        --dropin) dropin=$2; shift 2 ;;
        --cmdline) words=$2; shift 2 ;;
        --node-mem) node_mem=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --allow-problems) allow=1; shift ;;
        -h|--help) usage ;;
        -*) echo "run-image: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -eq 2 ] || usage
kernel=$(realpath "$1")
initrd=$(realpath "$2")
[ -f "$kernel" ] || { echo "run-image: no kernel $1" >&2; exit 2; }
[ -f "$initrd" ] || { echo "run-image: no initramfs $2" >&2; exit 2; }

# shellcheck source=lib.sh
. "$here/lib.sh"
set +e
lab_setup
LAB_SCENARIO=image
if [ -n "$out" ]; then
    mkdir -p "$(dirname "$out")"
    LAB_RUN=$(cd "$(dirname "$out")" && pwd)
    name=$(basename "$out")
else
    LAB_RUN=$LAB_OUT
    name=image
fi
K_VMLINUZ=$kernel
K_VER=$(file -b "$kernel" 2>/dev/null | sed -n 's/.*version \([^ ]*\).*/\1/p')
K_VER=${K_VER:-$(basename "$kernel")}
LAB_NODE_MEM=$node_mem
lab_topology "$topology"

LAB_EXTRA_CPIO=()
if [ -n "$dropin" ]; then
    d=$LAB_TMP/dropin
    mkdir -p "$d/etc/nestvirt.conf.d"
    install -m 0644 "$dropin" "$d/etc/nestvirt.conf.d/99-lab.conf"
    (cd "$d" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip > "$LAB_TMP/dropin.cpio.gz"
    LAB_EXTRA_CPIO=("$LAB_TMP/dropin.cpio.gz")
fi

lab_boot "$name" "$initrd" "$words" || { echo "run-image: no report from the guest (see $R/console.log)" >&2; exit 1; }
"$here/show-report.sh" "$R"
rc=0
st=$(report_field status-rc)
pr=$(report_field probe-rc)
if [ "$st" != 0 ] && [ $allow = 0 ]; then
    echo "run-image: nestvirt status exited ${st:-?} in the guest" >&2
    rc=1
fi
if [ "$pr" != 0 ] && [ "$pr" != none ]; then
    echo "run-image: the VFIO probe failed on a device on vfio-pci" >&2
    rc=1
fi
[ "$st" = absent ] && { echo "run-image: no nestvirt binary in the image" >&2; rc=1; }
echo "run-image: results in $R"
exit $rc
