#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/lab-hugepages-threads.sh   reserve-hugepages with one thread per node against
#                                  one node after the other, in the boot lab.
#
# Boots virtio-2node-4dev (backports kernel, real dracut image) with [Host]
# Hugepages=0:N,1:N, BENCH_BOOTS times each way (default 2): "serial" as shipped,
# "parallel" (a thread per node) with a drop-in setting NESTVIRT_HUGEPAGES_PARALLEL=1
# for nestvirt-hugepages.service. Measured here: parallel 84.1 s and 68.5 s, serial
# 68.0 s and 69.3 s for 8+8 pages, so nestvirt ships serial. Prints the service's run time (journal timestamps of
# "Starting" and "Finished"/"Failed", guest clock) and the pages obtained.
# Exit 0 whatever the numbers; 1 if a boot gave no report.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../tests/lab
command -v qemu-system-x86_64 > /dev/null || { echo "lab-hugepages-threads: no qemu; skipped" >&2; exit 77; }

# shellcheck source-path=SCRIPTDIR source=../tests/lab/lib.sh
. "$lab/lib.sh"
lab_setup
LAB_SCENARIO=bench-hugepages-threads
LAB_RUN=$LAB_OUT/$LAB_SCENARIO
rm -rf "$LAB_RUN"
mkdir -p "$LAB_RUN"

TOPO=virtio-2node-4dev
N=${BENCH_PAGES:-$(( ${LAB_NODE_MEM:-10} - 2 ))}
BOOTS=${BENCH_BOOTS:-2}
CONFIG="[Host]
Hugepages=0:$N,1:$N"

dropin=$LAB_RUN/parallel.conf
printf '[Service]\nEnvironment=NESTVIRT_HUGEPAGES_PARALLEL=1\n' > "$dropin"

lab_kernel "$("$lab/topology.sh" --kernel $TOPO)"
lab_topology $TOPO
lab_image_dracut "$CONFIG"
serial_image=$IMAGE
lab_image_dracut "$CONFIG" --include "$dropin" /etc/systemd/system/nestvirt-hugepages.service.d/parallel.conf
parallel_image=$IMAGE

failed=0
# seconds between systemd's "Starting nestvirt-hugepages" and its end (journal in the report)
service_seconds() {
    awk 'function ts(l) { match(l, /\[ *[0-9.]+\]/); return substr(l, RSTART + 1, RLENGTH - 2) + 0 }
         /Starting nestvirt-hugepages.service/ && !s { s = ts($0) }
         /(Finished|Failed to start) nestvirt-hugepages.service/ && s && !e { e = ts($0) }
         END { if (s && e) printf "%.2f", e - s; else print "?" }' "$1"
}
pages() {
    awk '$1 == "hugepages" { sub("nr=", "", $3); printf "%s%s", sep, $3; sep = "/" }' "$1"
}

printf '%-10s %-6s %12s %14s\n' way boot "service (s)" "pages n0/n1"
for i in $(seq 1 "$BOOTS"); do
    for way in parallel serial; do
        img=${way}_image
        name=$way$i
        if lab_boot "$name" "${!img}" ""; then
            printf '%-10s %-6s %12s %14s\n' "$way" "$i" "$(service_seconds "$R/report.txt")" "$(pages "$R/report.clean")"
        else
            failed=$((failed + 1))
            printf '%-10s %-6s %12s\n' "$way" "$i" FAIL
        fi
    done
done
echo "# asked $N pages of 1 GiB per node; results in $LAB_RUN"
[ $failed = 0 ]
