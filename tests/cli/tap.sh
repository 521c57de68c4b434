# TAP helpers shared by the CLI tests (sourced). n and failed count the assertions.
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
# check NAME CMD...: ok when CMD succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi; }

# expect NAME EXPECTED_RC PATTERN... -- CMD...: runs CMD, checks the exit code and that the
# combined output matches every extended regex PATTERN ('!PATTERN': must not match).
expect() {
        local name=$1 want=$2; shift 2
        local patterns=()
        while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
        shift
        local out rc=0
        out=$("$@" 2>&1) || rc=$?
        if [ "$rc" != "$want" ]; then
                not_ok "$name" "exit $rc, wanted $want" "$out"
                return
        fi
        for p in "${patterns[@]}"; do
                if [ "${p:0:1}" = "!" ]; then
                        if grep -Eq -- "${p:1}" <<<"$out"; then
                                not_ok "$name" "output has /${p:1}/" "$out"
                                return
                        fi
                elif ! grep -Eq -- "$p" <<<"$out"; then
                        not_ok "$name" "output lacks /$p/" "$out"
                        return
                fi
        done
        ok "$name"
}
