#!/bin/bash
# 'nestvirt vm wait-running NAME' (the VM unit's ExecStartPost=, its readiness) and 'vm stop NAME
# PID' (its ExecStop=) against a fake Cloud Hypervisor API server, tests/fakes/ch-api-server.py,
# listening on ROOT/run/nestvirt/vm/vm1/api.sock. The server's own PID plays cloud-hypervisor's
# main process. TAP output: one line per assertion.
#
# usage: test-vm-lifecycle.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
nestvirt=$build/src/nestvirt/nestvirt
fake=$src/tests/fakes/ch-api-server.py
work=$(mktemp -d)
root=$work/root
sock=$root/run/nestvirt/vm/vm1/api.sock
reqlog=$work/requests.log
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
        wait 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT
n=0
failed=0

command -v python3 >/dev/null || { echo "Bail out! python3 is missing (tests/packages.txt lists its package)"; exit 1; }

ok() { n=$((n + 1)); echo "ok $n - $1"; }
# Diagnostics: every line behind "# ", so that TAP takes none of them for a result.
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; printf '%s\n' "$@" | sed 's/^/# /'; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "failed: $*" "output: $out"; fi; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# run ARGS...: runs nestvirt --root ROOT ARGS; sets $out (stdout and stderr), $rc and $elapsed (ms).
run() {
        local t0
        t0=$(now_ms)
        rc=0
        out=$("$nestvirt" --root "$root" "$@" 2>&1) || rc=$?
        elapsed=$(( $(now_ms) - t0 ))
}

# expect NAME RC PATTERN...: the last run exited RC and its output matches every extended regex.
expect() {
        local name=$1 want=$2 p; shift 2
        if [ "$rc" != "$want" ]; then
                not_ok "$name" "exit $rc, wanted $want" "$out"
                return
        fi
        for p in "$@"; do
                if ! grep -Eq -- "$p" <<<"$out"; then
                        not_ok "$name" "output lacks /$p/" "$out"
                        return
                fi
        done
        ok "$name"
}

# took NAME MIN_MS MAX_MS: the last run's duration.
took() {
        if [ "$elapsed" -ge "$2" ] && [ "$elapsed" -lt "$3" ]; then
                ok "$1"
        else
                not_ok "$1" "took $elapsed ms, wanted $2 to $3 ms"
        fi
}

# logged NAME LINE...: the server's log has exactly these lines, in this order ("CLOSED" without
# its time).
logged() {
        local name=$1; shift
        local want got
        want=$(printf '%s\n' "$@")
        got=$(sed 's/^CLOSED .*/CLOSED/' "$reqlog" 2>/dev/null)
        if [ "$got" = "$want" ]; then
                ok "$name"
        else
                not_ok "$name" "server log:" "$got" "wanted:" "$want"
        fi
}

# count REGEX: lines of the server's log that match (0 without a log: no request came).
count() { if [ -f "$reqlog" ]; then grep -c -- "$1" "$reqlog"; else echo 0; fi; }

# start_server ARGS...: a fake server on $sock, logging to $reqlog; sets $server. Waits for the
# socket unless the server is told to delay it.
start_server() {
        rm -f "$sock" "$reqlog"
        python3 "$fake" --socket "$sock" --log "$reqlog" "$@" >>"$work/server.out" 2>&1 &
        server=$!
        pids+=("$server")
        case " $* " in *" --start-delay "*) return ;; esac
        for _ in $(seq 50); do
                [ -S "$sock" ] && return
                sleep 0.1
        done
        echo "Bail out! the fake server did not create $sock"; cat "$work/server.out"; exit 1
}

stop_server() {
        kill "$server" 2>/dev/null
        wait "$server" 2>/dev/null
        rm -f "$sock"
}

# The process is gone or a zombie: it has exited (its parent, this shell, may not have reaped it).
has_exited() {
        local st
        st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
        [ -z "$st" ] || [ "$st" = Z ]
}

still_running() { ! has_exited "$1"; }

# A process that lives through the test, for the cases where no server runs.
sleep 60 &
bystander=$!
pids+=("$bystander")

mkdir -p "$(dirname "$sock")"

# ---- vm stop ----

# The guest shuts down 1 s after the button.
start_server --power-button exit --exit-after 1
run vm stop vm1 "$server" --timeout 30
expect "stop: clean shutdown is reported with its duration" 0 \
        '^VM vm1: pressed the ACPI power button; waiting up to 30 s for cloud-hypervisor \(PID [0-9]+\) to exit\.$' \
        '^VM vm1 shut down after 1\.[0-9] s\.$'
logged "stop: the server got exactly one PUT /api/v1/vm.power-button, HTTP/1.1, Content-Length: 0, no body" \
        "REQUEST PUT /api/v1/vm.power-button HTTP/1.1" \
        "HEADER Host: localhost" \
        "HEADER Accept: application/json" \
        "HEADER Content-Length: 0" \
        "HEADER Connection: close" \
        "END" \
        "CLOSED" \
        "EXIT"
check "stop: returned only after the server process had exited" has_exited "$server"
took "stop: waited for the guest's 1 s shutdown, not for the 30 s timeout" 1000 15000
# CH keeps the connection open after the 204: the client must not wait for the server to close.
check "stop: the client closed the kept-open connection right after the 204 (within 3 s, not when the server closes)" \
        awk '/^CLOSED/ { found = 1; if ($2 >= 3) exit 1 } END { exit !found }' "$reqlog"
stop_server

# A guest without ACPI support: 204, but it never powers off.
start_server --power-button ignore
run vm stop vm1 "$server" --timeout 2
expect "stop: a guest ignoring the button gets a warning, exit 0" 0 \
        '^VM vm1 did not shut down within 2 s of the ACPI power button; systemd will now hard power-off it with SIGTERM\.' \
        'lack ACPI support: it needs acpid or systemd-logind, and a kernel with CONFIG_ACPI_BUTTON\.$'
took "stop: gave up after the 2 s timeout" 2000 7000
check "stop: the ignored server is still running (systemd's SIGTERM is next)" kill -0 "$server"
check "stop: not a zombie either" still_running "$server"
check "stop: one request" test "$(count '^REQUEST')" = 1
stop_server

# No API: the socket file is missing, or stale (nobody listens).
run vm stop vm1 "$bystander" --timeout 30
expect "stop: no socket: the API is gone, systemd hard-stops, exit 0" 0 \
        "^VM vm1: the API on $sock is gone \(No such file or directory\), so the power button cannot be pressed; systemd will now hard power-off the VM with SIGTERM\.$"
took "stop: no socket: returns at once" 0 10000
start_server --stale
wait "$server"
check "stop: the stale socket file is there" test -S "$sock"
run vm stop vm1 "$bystander" --timeout 30
expect "stop: stale socket: the API is gone, exit 0" 0 \
        "^VM vm1: the API on $sock is gone \(Connection refused\), so the power button cannot be pressed; systemd will now hard power-off"
took "stop: stale socket: returns at once" 0 10000
rm -f "$sock"

# The API refuses: the message carries the body; no wait for a button that was not pressed.
start_server --respond error --error-status 500
run vm stop vm1 "$server" --timeout 30
expect "stop: HTTP 500: the message includes the body, exit 0" 0 \
        '^VM vm1: the API refused the power button: HTTP 500: \["Error from API","The VM could not be triggered: fake failure"\]; systemd will now hard power-off the VM with SIGTERM\.$'
took "stop: HTTP 500: returns at once" 0 10000
check "stop: HTTP 500: the server still runs" kill -0 "$server"
stop_server

start_server --respond error --error-status 405 --error-body $'VM not booted\n\tat all'
run vm stop vm1 "$server" --timeout 30
expect "stop: HTTP 405 with a text body on one line" 0 'HTTP 405: VM not booted  at all; systemd will'
stop_server

start_server --respond malformed
run vm stop vm1 "$server" --timeout 30
expect "stop: a malformed answer is reported, exit 0" 0 \
        "^VM vm1: pressing the power button through $sock failed: the API's answer was malformed; systemd will now hard power-off"
took "stop: malformed: returns at once" 0 10000
stop_server

start_server --respond silent
run vm stop vm1 "$server" --timeout 1
expect "stop: an API that never answers: gives up after the timeout, exit 0" 0 \
        "failed: the API did not answer in time; systemd will now hard power-off the VM with SIGTERM\.$"
took "stop: silent API: within the 1 s timeout" 1000 6000
stop_server

# The main process is gone already: no request at all.
true &
gone=$!
wait "$gone"
start_server
run vm stop vm1 "$gone" --timeout 10
expect "stop: a PID that exited already: nothing to stop, exit 0" 0 "^VM vm1: its main process $gone has exited already; nothing to stop\.$"
check "stop: ... and the button was not pressed" test "$(count '^REQUEST')" = 0
# What systemd runs when it knows the main process exited: \$MAINPID unset, no argument.
run vm stop vm1 --timeout 10
expect "stop: no PID (\$MAINPID unset): nothing to stop, exit 0" 0 '^VM vm1: no main PID given \(systemd passes none once cloud-hypervisor has exited\); nothing to stop\.$'
check "stop: ... and the button was not pressed" test "$(count '^REQUEST')" = 0
stop_server

# Usage errors.
run vm stop vm1 12x
expect "stop: a PID that is not a number is a usage error" 2 "^nestvirt vm stop: '12x' is not a process id$"
run vm stop vm1 0
expect "stop: PID 0 is a usage error" 2 "'0' is not a process id"
run vm stop vm1 99999999999
expect "stop: a PID out of range is a usage error" 2 "'99999999999' is not a process id"
run vm stop vm1 1 2
expect "stop: too many arguments: usage" 2 '^Usage: nestvirt vm'
run vm stop Bad_Name 1
expect "stop: a bad VM name is a usage error" 2 "'Bad_Name' is not a VM name"
run vm wait-running vm1 1 2
expect "wait-running: too many arguments: usage" 2 '^Usage: nestvirt vm'
run vm wait-running vm1 extra
expect "wait-running: a PID that is not a number is a usage error" 2 "^nestvirt vm wait-running: 'extra' is not a process id$"

# ---- vm wait-running ----

# Booting: Created for 3 polls, then Running. The config in each answer holds nested "state"
# keys saying Running: the 4 polls prove they were not taken for the VM's state.
start_server --created-polls 3
run vm wait-running vm1 --timeout 30
expect "wait-running: Running after 3 polls of Created" 0 '^VM vm1 is running \(after 0\.[0-9] s\)\.$'
check "wait-running: exactly 4 polls" test "$(count '^REQUEST GET /api/v1/vm.info HTTP/1.1$')" = 4
took "wait-running: about 100 ms between polls" 300 15000
check "wait-running: each request: Host, Accept: application/json, Connection: close, no Content-Length" \
        test "$(count '^HEADER Host: localhost$')/$(count '^HEADER Accept: application/json$')/$(count '^HEADER Connection: close$')/$(count '^HEADER Content-Length')" = 4/4/4/0
# The last CLOSED line follows the client's close: wait for it (a loaded machine is slow).
for _ in $(seq 50); do [ "$(count '^CLOSED')" -ge 4 ] && break; sleep 0.1; done
check "wait-running: each kept-open connection closed by the client at once" \
        awk '/^CLOSED/ { n++; if ($2 >= 3) exit 1 } END { exit n != 4 }' "$reqlog"
stop_server

# Cloud Hypervisor not started yet: the socket appears 0.7 s later.
start_server --start-delay 0.7
run vm wait-running vm1 --timeout 30
expect "wait-running: waits for the socket to appear" 0 '^VM vm1 is running'
took "wait-running: ... which took the 0.7 s" 700 15000
stop_server

# Bodies framed by the end of the connection, no Content-Length.
start_server --close --created-polls 1
run vm wait-running vm1 --timeout 30
expect "wait-running: a body framed by EOF" 0 '^VM vm1 is running'
check "wait-running: 2 polls" test "$(count '^REQUEST')" = 2
stop_server

# Never Running: the last state is said.
start_server --created-polls 1000000
run vm wait-running vm1 --timeout 1
expect "wait-running: times out saying the last state and what to check" 1 \
        '^VM vm1 did not reach state Running within 1 s \(last state: Created\); check journalctl -u nestvirt-vm@vm1; a VM with much memory may need a larger --timeout\.$'
took "wait-running: after the 1 s timeout" 1000 6000
check "wait-running: kept polling until then (at least 5 polls)" test "$(count '^REQUEST')" -ge 5
stop_server

start_server --state Paused
run vm wait-running vm1 --timeout 1
expect "wait-running: a Paused VM times out saying so" 1 '\(last state: Paused\); check journalctl -u nestvirt-vm@vm1\.$'
stop_server

start_server --created-polls 2 --state Shutdown
run vm wait-running vm1 --timeout 30
expect "wait-running: a VM in Shutdown state fails at once" 1 \
        '^VM vm1 shut down instead of starting \(state Shutdown\); check journalctl -u nestvirt-vm@vm1 and the guest'"'"'s serial log\.$'
took "wait-running: Shutdown: no waiting for the timeout" 0 15000
check "wait-running: Shutdown: after the 3rd poll" test "$(count '^REQUEST')" = 3
stop_server

# The main process (the unit passes \$MAINPID) dies before the VM runs: no waiting for the timeout.
sleep 0.3 &
dying=$!
run vm wait-running vm1 "$dying" --timeout 30
expect "wait-running: the hypervisor exits: fails at once saying so" 1 \
        "^VM vm1: cloud-hypervisor \(PID $dying\) exited before the VM was running \(the API socket $sock never appeared: is cloud-hypervisor running\?\); see journalctl -u nestvirt-vm@vm1 for its error\.$"
took "wait-running: ... soon after the exit, not at the 30 s timeout" 200 15000
wait "$dying" 2>/dev/null

run vm wait-running vm1 --timeout 1
expect "wait-running: no socket: times out saying it never appeared" 1 \
        "^VM vm1 did not reach state Running within 1 s \(the API socket $sock never appeared: is cloud-hypervisor running\?\); check journalctl -u nestvirt-vm@vm1\.$"
took "wait-running: no socket: after the 1 s timeout" 1000 6000

start_server --stale
wait "$server"
run vm wait-running vm1 --timeout 1
expect "wait-running: stale socket: times out saying nobody listens" 1 \
        "\(nobody listens on $sock: cloud-hypervisor exited or has not started yet\)"
rm -f "$sock"

start_server --respond error --error-status 500
run vm wait-running vm1 --timeout 30
expect "wait-running: HTTP 500: fails at once with the body" 1 \
        "^VM vm1: GET /api/v1/vm.info on $sock failed: HTTP 500: \[\"Error from API\",\"The VM could not be triggered: fake failure\"\]; check journalctl -u nestvirt-vm@vm1\.$"
took "wait-running: HTTP 500: no waiting for the timeout" 0 10000
stop_server

start_server --respond malformed
run vm wait-running vm1 --timeout 30
expect "wait-running: a malformed answer fails at once" 1 "^VM vm1: the API on $sock sent a malformed answer to GET /api/v1/vm.info \(Bad message\)"
stop_server

start_server --respond silent
run vm wait-running vm1 --timeout 1
expect "wait-running: an API that never answers times out saying so" 1 \
        "\(the API on $sock accepted the connection but did not answer\)"
took "wait-running: silent API: after the 1 s timeout" 1000 6000
stop_server

echo "1..$n"
[ "$failed" = 0 ]
