#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# show-report.sh RESULTS_DIR   prints a lab boot's report (boot.sh and run-image.sh
# write one per boot, e.g. build-lab/runs/01-virtio-claim/boot1) as a readable summary:
# the guest's PCI devices with their drivers and groups, 1 GiB pages per node,
# vfio's unsafe interrupts, `nestvirt status` as the guest printed it, the VFIO
# probe, and nestvirt's log lines.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 RESULTS_DIR" >&2; exit 2; }
r=$1/report.clean
[ -f "$r" ] || r=$1/report.txt
[ -f "$r" ] || { echo "show-report: no report in $1" >&2; exit 1; }
field() { sed -n "s/^$1 //p" "$r" | head -n1; }

echo "kernel   $(field 'lab kernel')   (report from the $(field 'lab stage'), guest uptime $(field 'lab uptime-settled') s)"
echo "cmdline  $(field 'lab cmdline')"
echo
printf '%-13s %-10s %-8s %-14s %-6s %s\n' DEVICE ID CLASS DRIVER GROUP NODE
awk '$1 == "pci" {
        split("", kv)
        for (i = 3; i <= NF; i++) { n = index($i, "="); kv[substr($i, 1, n - 1)] = substr($i, n + 1) }
        c = kv["class"]; sub(/^0x/, "", c)
        printf "%-13s %-10s %-8s %-14s %-6s %s\n", $2, kv["id"], c, kv["driver"], kv["group"], kv["node"]
     }' "$r" | grep -vE ' (0600|0604|0601|0c05)[0-9a-f]* ' || true
echo
awk '$1 == "hugepages" { printf "1 GiB pages %s: %s %s\n", $2, $3, $4 }' "$r"
echo "vfio_iommu_type1 allow_unsafe_interrupts: $(field unsafe-interrupts)"
echo
echo "nestvirt status (in the guest, exit $(field status-text-rc)):"
sed -n '/^status-text-begin$/,/^status-text-end$/{/^status-text-/d;p}' "$r" | sed 's/^/  /'
echo
echo "VFIO probe (exit $(field probe-rc)):"
sed -n '/^probe-begin$/,/^probe-end$/{/^probe-/d;p}' "$r" | sed 's/^/  /'
echo
echo "nestvirt log:"
sed -n '/^log-begin$/,/^log-end$/{/^log-/d;p}' "$r" | grep -E 'nestvirt(-generator)?(\[[0-9]+\])?: ' | sed 's/^/  /' || echo "  (none)"
