#!/bin/bash
# The bad-input corpus: each cases/NAME.conf is a config an admin could write (or a tool could
# leave behind) that nestvirt must refuse; cases/NAME.expect holds the line(s) `check` must print
# for it, FILE:LINE first. For every case, on the captured intel-8gpu-2node machine:
#   check exits 1 and prints each expected line; check --json is valid UTF-8 JSON whose problems
#   carry the same line; the generator (as at boot) exits 0 and writes no unit with the bad bytes.
# TAP output: one line per assertion.
#
# usage: run.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
here=$(realpath "$(dirname "$0")")
src=$(realpath "$here/../..")
nestvirt=$build/src/nestvirt/nestvirt
generator=$build/generator/nestvirt-generator
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$src/tests/cli/tap.sh"

root=$work/root
cp -a "$src/tests/fixtures/intel-8gpu-2node/." "$root/"
mkdir -p "$root/etc"

for conf in "$here"/cases/*.conf; do
        name=$(basename "$conf" .conf)
        expect_file=$here/cases/$name.expect
        [ -s "$expect_file" ] || { not_ok "$name: has its .expect" "missing $expect_file"; continue; }
        install -m 0644 "$conf" "$root/etc/nestvirt.conf"

        "$nestvirt" check --root "$root" > "$work/out" 2>&1
        rc=$?
        [ "$rc" = 1 ] && ok "$name: check exits 1" || not_ok "$name: check exits 1" "exit status $rc"
        while IFS= read -r re; do
                [ -n "$re" ] || continue
                check "$name: check prints /$re/" grep -qE -- "$re" "$work/out"
        done < "$expect_file"

        "$nestvirt" check --json --root "$root" > "$work/json" 2>/dev/null
        first=$(head -n1 "$expect_file")
        check "$name: check --json is valid UTF-8 JSON naming the same line" python3 - "$work/json" "${first#^}" <<'PY'
import json, re, sys
data = open(sys.argv[1], 'rb').read().decode('utf-8')   # strict: invalid UTF-8 raises
def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)
# The message part of the expected line: JSON carries file, line and text as it likes.
message = re.compile(sys.argv[2].split(' error: ', 1)[-1])
sys.exit(0 if any(message.search(s) for s in strings(json.loads(data))) else 1)
PY

        out=$work/gen-$name
        mkdir -p "$out/normal" "$out/early" "$out/late"
        SYSTEMD_LOG_LEVEL=err NESTVIRT_ROOT="$root" "$generator" "$out/normal" "$out/early" "$out/late" \
                > "$work/gen.log" 2>&1
        rc=$?
        check "$name: the generator exits 0 (the boot goes on)" test "$rc" = 0
        if grep -rlP '[^\x09\x0a\x20-\x7e]' "$out" > /dev/null 2>&1; then
                not_ok "$name: no unit carries bytes a unit file cannot" "$(grep -rlP '[^\x09\x0a\x20-\x7e]' "$out")"
        else
                ok "$name: no unit carries bytes a unit file cannot"
        fi
done
echo "1..$n"
[ "$failed" = 0 ]
