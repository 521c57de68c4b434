#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/lab-pages.sh    1 GiB pages per node by reservation method, and the boot
#                       time nestvirt adds, on the boot lab's virtio-2node-4dev
#                       topology (backports kernel, real dracut image).
#
# Boots (tests/lab/lib.sh, like a scenario of tests/lab/boot.sh):
#   initramfs   dracut image with nestvirt, config [Host] Hugepages=0:N,1:N
#   root        dracut image without nestvirt + root file system with the same
#               config (as scenario 9): pages reserved after switch-root
#   cmdline     nestvirt=0 hugepagesz=1G hugepages=0:N,1:N (the kernel reserves)
#   on1 on2     scenario 1's image and config (nestvirt on)
#   off1 off2   the same image with nestvirt=0
# N = node memory - 1 (LAB_NODE_MEM, default 10 GiB; BENCH_PAGES=N overrides).
# "boot to report" is the guest's uptime when the report was written (kernel
# start to report, guest clock: `lab uptime-settled`); QEMU wall time in ().
# Prints a table. Exit 0 whatever the numbers; 1 if a boot gave no report.
# Results: build-lab/runs/bench-lab-pages/ (NESTVIRT_LAB_OUT to move).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../tests/lab
command -v qemu-system-x86_64 > /dev/null || { echo "lab-pages: qemu-system-x86_64 not installed; skipped" >&2; exit 77; }

# shellcheck source-path=SCRIPTDIR source=../tests/lab/lib.sh
. "$lab/lib.sh"
lab_setup
LAB_SCENARIO=bench-lab-pages
LAB_RUN=$LAB_OUT/$LAB_SCENARIO
rm -rf "$LAB_RUN"
mkdir -p "$LAB_RUN"
T0=$(date +%s)

TOPO=virtio-2node-4dev
NODE_MEM=${LAB_NODE_MEM:-10}
N=${BENCH_PAGES:-$((NODE_MEM - 1))}

CONFIG_PAGES="[Host]
Hugepages=0:$N,1:$N"

# Scenario 1's configuration (tests/lab/scenarios/01-virtio-claim.sh).
CONFIG_1='[Host]
Hugepages=auto
UnsafeInterrupts=auto

[VM train0]
CPUs=1
Memory=1G
Device=8086:10d3*2
Kernel=/var/lib/nestvirt/vmlinux
Autostart=no'

failed=0
declare -A PAGES UPTIME WALL

# collect NAME: per-node nr_hugepages (measured before the report's diagnostic
# retry), guest uptime at the report, QEMU wall time.
collect() {
    local name=$1 n
    for n in 0 1; do
        PAGES[$name.$n]=$(awk -v n="node$n" '$1 == "hugepages" && $2 == n { sub("nr=", "", $3); print $3 }' "$R/report.clean")
        : "${PAGES[$name.$n]:=?}"
    done
    UPTIME[$name]=$(sed -n 's/^lab uptime-settled //p' "$R/report.clean")
    WALL[$name]=$BOOT_SECONDS
}

boot() {   # boot NAME IMAGE WORDS [-- QEMU ARGS]
    local name=$1
    if lab_boot "$@"; then
        collect "$name"
    else
        failed=$((failed + 1))
        PAGES[$name.0]=FAIL; PAGES[$name.1]=FAIL; UPTIME[$name]=FAIL; WALL[$name]=$BOOT_SECONDS
    fi
}

lab_kernel "$("$lab/topology.sh" --kernel $TOPO)"
lab_topology $TOPO

# 1. Reserved by nestvirt in the initramfs.
lab_image_dracut "$CONFIG_PAGES"
boot initramfs "$IMAGE" ""

# 2. nestvirt only in the real root (scenario 9's machinery).
lab_rootfs "$CONFIG_PAGES"
LAB_DRACUT_NESTVIRT=0 lab_image_dracut "" --add-drivers "virtio_blk virtio_iommu" --filesystems ext4
LAB_REPORT_IN=root boot root "$IMAGE" "root=LABEL=nestvirt-root rw rd.timeout=120" -- "${ROOT_QEMU[@]}"
if [ "${PAGES[root.0]}" != FAIL ]; then
    grep -q '^lab stage root' "$R/report.clean" || { PAGES[root.0]="?"; PAGES[root.1]="?"; }
    HP_UNIT_ROOT=$(sed -n 's/^unit nestvirt-hugepages.service .*\(ActiveState=[a-z]*\).*/\1/p' "$R/report.clean" | head -n1)
fi

# 3 and 4. Scenario 1's image: kernel command line pages, then timing.
lab_image_dracut "$CONFIG_1"
IMAGE_1=$IMAGE
boot cmdline "$IMAGE_1" "nestvirt=0 hugepagesz=1G hugepages=0:$N,1:$N"
for i in 1 2; do
    boot on$i "$IMAGE_1" ""
    boot off$i "$IMAGE_1" "nestvirt=0"
done

median2() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "FAIL" || b == "FAIL") print "?"; else printf "%.1f", (a + b) / 2 }'; }
s() { [ -n "$1" ] && [ "$1" != FAIL ] && printf '%.1f s' "$1" || printf '%s' "${1:-?}"; }

m_on=$(median2 "${UPTIME[on1]}" "${UPTIME[on2]}")
m_off=$(median2 "${UPTIME[off1]}" "${UPTIME[off2]}")
added=$(awk -v a="$m_on" -v b="$m_off" 'BEGIN { if (a == "?" || b == "?") print "?"; else printf "%+.1f", a - b }')
w_on=$(median2 "${WALL[on1]}" "${WALL[on2]}")
w_off=$(median2 "${WALL[off1]}" "${WALL[off2]}")
w_added=$(awk -v a="$w_on" -v b="$w_off" 'BEGIN { if (a == "?" || b == "?") print "?"; else printf "%+.1f", a - b }')

echo
echo "# $TOPO, kernel $K_VER, ${NODE_MEM} GiB per node, accel $LAB_ACCEL"
printf '%-32s %5s  %5s   (asked %s per node)\n' method node0 node1 "$N"
printf '%-32s %5s  %5s\n' "initramfs (nestvirt)" "${PAGES[initramfs.0]}" "${PAGES[initramfs.1]}"
printf '%-32s %5s  %5s   (nestvirt-hugepages.service in root: %s)\n' "after full boot (nestvirt)" "${PAGES[root.0]}" "${PAGES[root.1]}" "${HP_UNIT_ROOT:-?}"
printf '%-32s %5s  %5s\n' "kernel command line" "${PAGES[cmdline.0]}" "${PAGES[cmdline.1]}"
echo "boot to report, nestvirt on:  $(s "${UPTIME[on1]}"), $(s "${UPTIME[on2]}"); nestvirt=0: $(s "${UPTIME[off1]}"), $(s "${UPTIME[off2]}"); added: $added s"
echo "  (QEMU wall, on: $(s "${WALL[on1]}"), $(s "${WALL[on2]}"); nestvirt=0: $(s "${WALL[off1]}"), $(s "${WALL[off2]}"); added: $w_added s)"
echo "# $((7 - failed))/7 boots reported, $(( $(date +%s) - T0 ))s; results in $LAB_RUN"
[ "$failed" = 0 ]
