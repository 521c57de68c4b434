#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# boot.sh SCENARIO...     runs boot lab scenarios (tests/lab/scenarios/NAME.sh; a
#                         number selects by prefix, with or without its zero:
#                         `boot.sh 1` = `boot.sh 01` = 01-virtio-claim)
# boot.sh --list          the scenarios
#
# Each scenario builds its initramfs (real dracut or real mkinitramfs, with the
# nestvirt module/hook from a `meson install --destdir` of the build directory),
# boots a real Debian kernel under QEMU on an emulated host (topology.sh), reads
# the report the guest sends on its second serial port, and asserts on it.
# Results (console.log, report.txt, status.json, qemu-command per boot) stay in
# build-lab/runs/SCENARIO/. Exit 0 when every check passed, 1 otherwise,
# 77 (skip) when the lab cannot run here (no QEMU).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

list() { for f in "$here"/scenarios/*.sh; do f=${f##*/}; echo "${f%.sh}"; done; }
resolve() {
    local n want=$1
    # Names are zero-padded so they sort in order; 1 and 1-virtio-claim still find them.
    if [[ $want =~ ^0*([0-9]+)(-.*)?$ ]]; then
        want=$(printf '%02d' "${BASH_REMATCH[1]}")${BASH_REMATCH[2]}
    fi
    for n in $(list); do
        [ "$n" = "$want" ] && { echo "$n"; return 0; }
    done
    for n in $(list); do
        case $n in "$want"-*) echo "$n"; return 0 ;; esac
    done
    return 1
}

case ${1:-} in
    --list) list; exit 0 ;;
    ''|-h|--help) echo "usage: $0 SCENARIO... | --list" >&2; list >&2; exit 2 ;;
esac
command -v qemu-system-x86_64 > /dev/null || { echo "boot lab: qemu-system-x86_64 not installed; skipped" >&2; exit 77; }

status=0
for arg in "$@"; do
    name=$(resolve "$arg") || { echo "boot lab: no scenario '$arg'" >&2; list >&2; exit 2; }
    (
        # Checks count failures themselves; a failing test must not end the scenario.
        set +e
        # shellcheck source=lib.sh
        . "$here/lib.sh"
        lab_setup
        LAB_SCENARIO=$name
        LAB_RUN=$LAB_OUT/$name
        rm -rf "$LAB_RUN"
        mkdir -p "$LAB_RUN"
        echo "# boot lab scenario $name"
        # shellcheck source=/dev/null
        . "$here/scenarios/$name.sh"
        scenario
        lab_finish
    ) || status=1
done
exit $status
