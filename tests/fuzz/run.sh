#!/bin/bash
# Runs every libFuzzer target (fuzz/) for a bounded time under ASan and UBSan, starting from
# the seed corpus in tests/fuzz-corpus/TARGET. Prints one line per target from libFuzzer's
# final statistics:
#   fuzz TARGET: N runs, N exec/s, cov: N ft: N
# A crash, leak, undefined behaviour or hang fails: its input is kept in
# BUILD_DIR/fuzz-crashes/TARGET/ and the exit status is 1.
#
# usage: run.sh BUILD_DIR [SECONDS]    (SECONDS per target, default 60)
# BUILD_DIR is made when missing:
#   CC=clang meson setup BUILD_DIR -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false
# FUZZ_TARGETS="config cmdline" runs only those.
set -uo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
        echo "usage: $0 BUILD_DIR [SECONDS]" >&2
        exit 2
fi
build=$1
seconds=${2:-60}
src=$(realpath "$(dirname "$0")/../..")
targets=${FUZZ_TARGETS:-config cmdline pci-match inventory http-response json-scan}

case $seconds in
        ''|*[!0-9]*|0) echo "run.sh: SECONDS must be a positive number, not '$seconds'" >&2; exit 2 ;;
esac

if [ ! -f "$build/build.ninja" ]; then
        if ! command -v clang >/dev/null; then
                echo "run.sh: clang is needed for libFuzzer; install clang and libclang-rt-14-dev" >&2
                exit 1
        fi
        setup_log=$(mktemp)
        CC=clang meson setup "$build" "$src" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
                > "$setup_log" 2>&1 ||
                { cat "$setup_log" >&2; rm -f "$setup_log"; echo "run.sh: meson setup $build failed" >&2; exit 1; }
        rm -f "$setup_log"
fi
build=$(realpath "$build")
if ! grep -q 'fuzz/fuzz-config' "$build/build.ninja"; then
        echo "run.sh: $build is not a fuzzing build (it needs CC=clang and -Dfuzzing=true); remove it or name a new directory" >&2
        exit 1
fi
ninja_targets=()
for t in $targets; do ninja_targets+=("fuzz/fuzz-$t"); done
if ! ninja -C "$build" "${ninja_targets[@]}" > "$build/fuzz-build.log" 2>&1; then
        cat "$build/fuzz-build.log" >&2
        echo "run.sh: building the fuzz targets in $build failed" >&2
        exit 1
fi

# Stop at the first error of any kind: libFuzzer then saves the input that caused it.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# On tmpfs when there is one: fuzz-inventory writes a small tree per input under $TMPDIR, and
# this removes what a crashed run left there.
work=$(mktemp -d -p "$([ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")")
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work
status=0
for t in $targets; do
        corpus=$work/corpus-$t
        crashes=$build/fuzz-crashes/$t
        mkdir -p "$crashes"
        cp -r "$src/tests/fuzz-corpus/$t" "$corpus"
        log=$build/fuzz-$t.log
        rc=0
        # -timeout: an input that takes 10 s is a hang. -max_len: big enough for a whole config.
        "$build/fuzz/fuzz-$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -max_len=8192 \
                -artifact_prefix="$crashes/" "$corpus" > "$log" 2>&1 || rc=$?

        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
        if [ "$rc" = 0 ] && [ -n "$runs" ]; then
                echo "fuzz $t: $runs runs, $speed exec/s, ${cov:-cov: ? ft: ?}"
                continue
        fi
        status=1
        saved=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        echo "fuzz $t: FAILED (exit $rc) after ${runs:-?} runs, ${cov:-cov: ? ft: ?}; input: ${saved:-none saved}; log: $log"
        # What the target said about a broken property, then the sanitizer's report.
        grep -E -m 1 -B 12 -A 14 'ERROR: |runtime error' "$log" | grep -Ev '^#[0-9]+\s|^\s*$' | head -n 30 |
                sed 's/^/#   /'
        [ -n "$saved" ] && echo "#   reproduce: $build/fuzz/fuzz-$t $saved"
done
exit $status
