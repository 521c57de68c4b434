#!/bin/bash
# Every test: unit (cmocka), golden generator trees, CLI, grammar, man pages, completion, the
# package and the boot lab in a normal build, then the ones that run this build's C code again
# under AddressSanitizer + UBSan. Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

tests/deps.sh || exit 1
run_all_start=$SECONDS

run_build() {
        local dir=$1; shift
        rm -f "$dir/meson-logs/testlog.json"
        if [ -d "$dir" ]; then
                meson setup --reconfigure "$dir" "$@" >/dev/null || return 1
        else
                meson setup "$dir" "$@" >/dev/null || return 1
        fi
        ninja -C "$dir" >/dev/null || { ninja -C "$dir"; return 1; }
        meson test -C "$dir" --print-errorlogs --num-processes 2 "${MESON_TEST_ARGS[@]}"
}

MESON_TEST_ARGS=()
[ -n "${TEST_SUITE:-}" ] && MESON_TEST_ARGS=(--suite "$TEST_SUITE")

# Seconds per suite of one build, from meson's test log (tests run two at a time, so a suite's
# wall time can be less than its sum).
suite_times() {
        python3 - "$1" <<'PY'
import collections, json, sys
t, n = collections.Counter(), collections.Counter()
for l in open(f"{sys.argv[1]}/meson-logs/testlog.json"):
    r = json.loads(l)
    suite = r["name"].split(":", 1)[1].split(" / ")[0] if ":" in r["name"] else "?"
    t[suite] += r["duration"]; n[suite] += 1
for s, d in sorted(t.items(), key=lambda x: -x[1]):
    print(f"time {sys.argv[1]}: suite {s}: {d:.0f} s ({n[s]} tests)")
PY
}

timed() {
        local name=$1 start=$SECONDS rc
        shift
        "$@"
        rc=$?
        echo "time: $name took $((SECONDS - start)) s"
        return $rc
}

status=0
timed "build + tests" run_build build || status=1
[ -f build/meson-logs/testlog.json ] && suite_times build
# Leaks and undefined behaviour fail the test that hits them.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# The boot lab runs real kernels under QEMU, and the package and image tests build their own copies:
# once is enough, and none of them runs code of this build that a sanitizer could watch
# (valgrind cannot run sanitized binaries).
MESON_TEST_ARGS+=(--no-suite lab --no-suite package --no-suite image --no-suite valgrind --no-suite layout)
timed "ASan+UBSan build + tests" run_build build-asan -Db_sanitize=address,undefined -Db_lundef=false || status=1
[ -f build-asan/meson-logs/testlog.json ] && suite_times build-asan

# libFuzzer (clang, ASan + UBSan): each target a minute; a crash fails the run. Its own build dir.
# (TEST_SUITE=NAME runs one meson suite and no fuzzing.)
fuzz_result=SKIP
if [ -z "${TEST_SUITE:-}" ]; then
        fuzz_result=OK
        timed "fuzzing" tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-45}" || { fuzz_result=FAIL; status=1; }
fi

echo "time: all tests took $((SECONDS - run_all_start)) s"
python3 - "$fuzz_result" build build-asan <<'PY'
import json, sys
passed = failed = 0
if sys.argv[1] == "OK":
    passed += 1
elif sys.argv[1] == "FAIL":
    failed += 1
for d in sys.argv[2:]:
    try:
        lines = open(f"{d}/meson-logs/testlog.json").read().splitlines()
    except OSError:
        failed += 1
        continue
    for l in lines:
        r = json.loads(l)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r != "SKIP":
            failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
summary=$?
[ $status = 0 ] && [ $summary = 0 ]
