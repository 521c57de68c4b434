#!/bin/bash
# 'nestvirt vm console NAME' on a pseudo-terminal (tests/cli/console-pty.py) against the fake
# Cloud Hypervisor's serial socket (tests/fakes/ch-api-server.py --serial): bytes both ways,
# raw mode while attached, the terminal's modes restored after each way out (Ctrl-], the VM
# closing the socket, SIGTERM, SIGHUP, SIGINT), and the refusals: no such VM, Serial= not
# socket, the VM not running. TAP output: one line per assertion.
#
# usage: test-vm-console.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
nestvirt=$build/src/nestvirt/nestvirt
fake=$src/tests/fakes/ch-api-server.py
driver=$src/tests/cli/console-pty.py
work=$(mktemp -d)
root=$work/root
run=$root/run/nestvirt/vm/vm1
reqlog=$work/requests.log
server=""
cleanup() {
        [ -z "$server" ] || kill "$server" 2>/dev/null
        wait 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT

for tool in python3 stty; do
        command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing (tests/packages.txt lists its package)"; exit 1; }
done

. "$(dirname "$0")/tap.sh"

cp -a "$src/tests/fixtures/intel-8gpu-2node/." "$root/"
mkdir -p "$root/etc" "$run"
cat > "$root/etc/nestvirt.conf" <<'CONF'
[VM vm1]
Memory=1G
Kernel=/var/lib/cloud-hypervisor/vmlinux
Serial=socket

[VM plain]
Memory=1G
Kernel=/var/lib/cloud-hypervisor/vmlinux
CONF
chmod 0644 "$root/etc/nestvirt.conf"

start_server() {
        rm -f "$run/api.sock" "$run/serial.sock" "$reqlog"
        python3 "$fake" --socket "$run/api.sock" --serial "$run/serial.sock" --log "$reqlog" >>"$work/server.out" 2>&1 &
        server=$!
        for _ in $(seq 100); do
                [ -S "$run/api.sock" ] && return
                sleep 0.1
        done
        echo "Bail out! the fake server did not create $run/api.sock"; cat "$work/server.out"; exit 1
}

# attach END: runs the console on a pty until END; sets $facts (the driver's report).
attach() {
        facts=$(timeout 120 python3 "$driver" --end "$1" -- "$nestvirt" --root "$root" vm console vm1 2>&1)
}

fact() { grep -q -x -- "$1" <<<"$facts"; }
check_fact() { if fact "$2"; then ok "$1"; else not_ok "$1" "wanted '$2' in the report:" "$facts"; fi; }

start_server
for end in detach SIGTERM SIGHUP SIGINT; do
        attach "$end"
        check_fact "$end: attached, the VM's greeting shown" "attached yes"
        check_fact "$end: the terminal was in raw mode while attached" "raw yes"
        check_fact "$end: typed bytes reached the VM and its answer the terminal" "roundtrip yes"
        check_fact "$end: Ctrl-C went to the VM, the console stayed" "ctrl-c yes"
        check_fact "$end: stty -g after equals stty -g before" "restored yes"
        case $end in
        detach)
                check_fact "detach: exit status 0" "exit 0"
                check "detach: says so" grep -q "Detached from VM vm1; it keeps running" <<<"$facts"
                ;;
        *)
                check_fact "$end: exit status 1" "exit 1"
                check "$end: names the signal" grep -q "Detached from VM vm1 on $end" <<<"$facts"
                ;;
        esac
done
check "the VM got every typed byte, never the detach key" \
        test "$(grep -c "^SERIAL b'hello\\\\r'" "$reqlog")" = 4 -a "$(grep -c 'x1d' "$reqlog")" = 0
check "the console closed its connection each time" test "$(grep -c '^SERIAL-CLOSED' "$reqlog")" = 4

attach poweroff
check_fact "VM exit: the terminal was in raw mode while attached" "raw yes"
check_fact "VM exit: exit status 0" "exit 0"
check_fact "VM exit: stty -g after equals stty -g before" "restored yes"
check "VM exit: the guest's last words shown, then why the console ended" \
        grep -q "reboot: Power down.*closed the console: it shut down" <<<"$facts"
wait "$server" 2>/dev/null
server=""

# Not a terminal: no raw mode, the detach key and the end of input still end it.
start_server
# The detach key only once the VM has answered (the fake logs after answering): input is read
# as it comes, so a detach key sent at once would win the race against the answer.
typed_then_detach() {
        printf abc
        for _ in $(seq 300); do
                grep -q "^SERIAL b'abc'" "$reqlog" 2>/dev/null && break
                sleep 0.1
        done
        printf '\035ignored'
}
pipe_console() { typed_then_detach | "$nestvirt" --root "$root" vm console vm1; }
expect "from a pipe: the bytes go through, Ctrl-] detaches" 0 "fake-vm login: <abc>" "Detached from VM vm1" -- \
        pipe_console

expect "from a pipe: the end of input detaches" 0 "Detached from VM vm1" -- \
        sh -c '"$1" --root "$2" vm console vm1 </dev/null' sh "$nestvirt" "$root"
check "from a pipe: nothing after the detach key reached the VM" test "$(grep -c ignored "$reqlog")" = 0
kill "$server"; wait "$server" 2>/dev/null; server=""

# ---- refusals, said plainly ----
rm -f "$run/api.sock" "$run/serial.sock"
expect "not running: says so, and how to start it" 1 "VM vm1 is not running" "systemctl start nestvirt-vm@vm1" -- \
        "$nestvirt" --root "$root" vm console vm1
: > "$run/api.sock"
expect "running without the serial socket: started before Serial=socket" 1 "started before Serial=socket was set" -- \
        "$nestvirt" --root "$root" vm console vm1
rm -f "$run/api.sock"
expect "Serial=journal: no console, and where its output is" 1 "VM plain has no console: Serial=journal" \
        "journalctl -u nestvirt-vm@plain" "Set Serial=socket" -- "$nestvirt" --root "$root" vm console plain
expect "no such VM" 1 "No VM named 'nope'" -- "$nestvirt" --root "$root" vm console nope
expect "console takes no --json" 2 "only" -- "$nestvirt" --root "$root" vm console vm1 --json
expect "console wants a NAME" 2 "Usage: nestvirt vm" -- "$nestvirt" --root "$root" vm console

echo "1..$n"
[ "$failed" = 0 ]
