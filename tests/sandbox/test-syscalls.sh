#!/bin/bash
# The VM units' SystemCallFilter= must allow every system call Cloud Hypervisor's own seccomp
# filters allow (ch-seccomp-syscalls.txt, taken from its source): anything less kills the VMM
# with SIGSYS on some path nobody tested. Expanded with systemd-analyze, as systemd would.
# TAP output.
#
# usage: test-syscalls.sh GOLDEN_CASES_DIR
set -uo pipefail
cases=$1
here=$(dirname "$0")
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

# expand WORD...: the system calls a SystemCallFilter= allow list names, groups resolved.
expand() {
        local w
        for w in "$@"; do
                case $w in
                @*) systemd-analyze syscall-filter --no-pager "$w" | sed -n '2,$p' | sed 's/^ *//; /^#/d; /^$/d' |
                        while read -r s; do expand "$s"; done ;;
                *) echo "$w" ;;
                esac
        done
}

# missing FILTER_WORDS...: CH's system calls the filter does not allow.
missing() {
        comm -23 <(grep -v '^#' "$here/ch-seccomp-syscalls.txt" | sort -u) <(expand "$@" | sort -u)
}

units=$(find "$cases" -path '*/expected/nestvirt-vm@*.service' | sort)
[ -n "$units" ] || { echo "1..1"; echo "not ok 1 - no VM units under $cases"; exit 1; }
for u in $units; do
        line=$(grep '^SystemCallFilter=' "$u")
        name=${u#"$cases"/}
        if [ -z "$line" ]; then
                not_ok "$name has a SystemCallFilter=" ; continue
        fi
        # shellcheck disable=SC2086
        m=$(missing ${line#SystemCallFilter=})
        if [ -n "$m" ]; then
                not_ok "$name allows all of Cloud Hypervisor's system calls" "missing: $(echo $m)"
        else
                ok "$name allows all of Cloud Hypervisor's system calls"
        fi
done

# The check itself can fail: a filter without @resources lacks mbind and sched_setaffinity.
m=$(missing @basic-io @file-system @io-event @ipc @network-io @process @signal @timer)
if grep -qx mbind <<<"$m" && grep -qx sched_setaffinity <<<"$m"; then
        ok "a narrower filter is caught (missing: $(echo $m | head -c 80)...)"
else
        not_ok "a narrower filter is caught" "missing was: $m"
fi
echo "1..$n"
[ $failed = 0 ]
