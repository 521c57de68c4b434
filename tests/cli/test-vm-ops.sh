#!/bin/bash
# 'nestvirt vm list', 'vm info NAME' and 'vm reboot NAME', text and JSON, against the fake Cloud
# Hypervisor API (tests/fakes/ch-api-server.py) under an image root made here. Under --root
# there is no systemd to ask: vm list shows the configuration without live state. TAP output.
#
# usage: test-vm-ops.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
nestvirt=$build/src/nestvirt/nestvirt
fake=$src/tests/fakes/ch-api-server.py
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

command -v python3 >/dev/null || { echo "Bail out! python3 is missing (tests/packages.txt lists its package)"; exit 1; }

. "$(dirname "$0")/tap.sh"

# Two devices of the fixture's node 1 (audio: it has no GPUs) for vm1; one without devices, one with an error.
cp -a "$src/tests/fixtures/intel-8gpu-2node/." "$root/"
mkdir -p "$root/etc" "$run"
gpus=$("$nestvirt" --root "$root" devices --json | python3 -c '
import json, sys
gpus = [d["address"] for d in json.load(sys.stdin) if d["class"] == "040300" and d["numa_node"] == 1]
print(" ".join(gpus[:2]))')
set -- $gpus
cat > "$root/etc/nestvirt.conf" <<CONF
[VM vm1]
CPUs=4
Memory=8G
Kernel=/var/lib/cloud-hypervisor/vmlinux
Device=$1
Device=$2
Serial=socket

[VM idle]
Memory=2G
Kernel=/var/lib/cloud-hypervisor/vmlinux
Autostart=no

[VM broken]
Memory=1G
CONF
chmod 0644 "$root/etc/nestvirt.conf"
check "the fixture has two audio devices on node 1" test -n "${2-}"

valid_json() { python3 -m json.tool <<<"$1" >/dev/null; }

# ---- vm list ----
out=$("$nestvirt" --root "$root" vm list 2>&1); rc=$?
check "vm list under --root: exit 0 despite an invalid VM" test "$rc" = 0
row() { grep -E "^$1 " <<<"$out"; }
check "vm list: header" grep -qE '^VM +STATE +PID +UPTIME +CPUS +MEMORY +AUTOSTART +DEVICES$' <<<"$out"
check "vm list: vm1 with vCPUs, memory on node 1, autostart, both devices" \
        grep -qE "^vm1 +- +- +- +4 +8G@node1 +yes +$1,$2$" <<<"$(row vm1)"
check "vm list: idle, autostart no, no devices" grep -qE "^idle +- +- +- +1 +2G@node0 +no +-$" <<<"$(row idle)"
check "vm list: broken is listed as invalid" grep -qE "^broken +invalid " <<<"$(row broken)"
check "vm list: no live state asked under --root (no warning)" test "$(grep -c 'D-Bus' <<<"$out")" = 0

json=$("$nestvirt" --root "$root" vm list --json)
check "vm list --json: valid JSON" valid_json "$json"
check "vm list --json: the fields, configuration only" python3 -c '
import json, sys
vms = {v["name"]: v for v in json.loads(sys.argv[1])}
v = vms["vm1"]
assert list(vms) == ["vm1", "idle", "broken"], list(vms)
assert v["valid"] and v["vcpus"] == 4 and v["memory"] == [{"node": 1, "gib": 8}], v
assert v["devices"] == sys.argv[2:4] and v["autostart"] and v["serial"] == "socket", v
assert v["active_state"] is None and v["main_pid"] is None and v["uptime_sec"] is None, v
assert not vms["idle"]["autostart"] and vms["idle"]["devices"] == [] and not vms["broken"]["valid"]
' "$json" "$1" "$2"
expect "vm list takes no NAME" 2 "Usage: nestvirt vm" -- "$nestvirt" --root "$root" vm list vm1

# ---- vm info, vm reboot: not running ----
expect "vm info, not running: says so" 1 "VM vm1 is not running \\(no API socket" -- "$nestvirt" --root "$root" vm info vm1
expect "vm reboot, not running: says so" 1 "VM vm1 is not running" -- "$nestvirt" --root "$root" vm reboot vm1

# ---- against the fake API ----
rm -f "$reqlog"
python3 "$fake" --socket "$run/api.sock" --log "$reqlog" >>"$work/server.out" 2>&1 &
server=$!
for _ in $(seq 100); do [ -S "$run/api.sock" ] && break; sleep 0.1; done

expect "vm info: state, vCPUs, memory and its zone, devices, serial" 0 "^State: +Running$" "^vCPUs: +2 \\(max 4\\)$" \
        "^Memory: +4 GiB" "zone mem0: 4 GiB on node 1, hugepages" "^  disk +_disk1 +/run/nestvirt/vm/vm1/cidata.iso \\(read-only\\)$" \
        "^  net +_net2 +tap=nv-vm1 mac=12:34:56:78:9a:bc$" "^  device +gpu0 +/sys/bus/pci/devices/0000:41:00.0$" \
        "^Serial: +Socket /run/nestvirt/vm/vm1/serial.sock$" "^Console: +Tty$" -- "$nestvirt" --root "$root" vm info vm1
expect "vm info: the nested \"state\" decoys are not the state" 0 "!State: +Running.*Running" -- \
        "$nestvirt" --root "$root" vm info vm1
json=$("$nestvirt" --root "$root" vm info vm1 --json)
check "vm info --json: valid JSON" valid_json "$json"
check "vm info --json: the summary" python3 -c '
import json, sys
i = json.loads(sys.argv[1])
assert i["name"] == "vm1" and i["state"] == "Running" and (i["boot_vcpus"], i["max_vcpus"]) == (2, 4), i
assert i["memory_bytes"] == 4 << 30 and i["memory_zones"] == [
    {"id": "mem0", "bytes": 4 << 30, "host_numa_node": 1, "hugepages": True}], i
assert [d["kind"] for d in i["devices"]] == ["disk", "disk", "net", "device"], i
assert i["devices"][3]["id"] == "gpu0" and i["devices"][1]["readonly"], i
assert i["serial"] == "Socket /run/nestvirt/vm/vm1/serial.sock" and i["console"] == "Tty", i
' "$json"
check "vm info: asked GET /api/v1/vm.info" grep -q '^REQUEST GET /api/v1/vm.info HTTP/1.1$' "$reqlog"

expect "vm reboot: done, says so" 0 "VM vm1 is rebooting" -- "$nestvirt" --root "$root" vm reboot vm1
check "vm reboot: sent PUT /api/v1/vm.reboot, once" test "$(grep -c '^REQUEST PUT /api/v1/vm.reboot HTTP/1.1$' "$reqlog")" = 1
expect "vm reboot takes no --json" 2 "only" -- "$nestvirt" --root "$root" vm reboot vm1 --json
kill "$server"; wait "$server" 2>/dev/null

# The API refuses: the status and CH's message, on one line.
rm -f "$run/api.sock"
python3 "$fake" --socket "$run/api.sock" --log "$reqlog" --respond error --error-status 500 \
        --error-body $'["Error from API","The VM could not be rebooted:\\n\\tnot booted"]' >>"$work/server.out" 2>&1 &
server=$!
for _ in $(seq 100); do [ -S "$run/api.sock" ] && break; sleep 0.1; done
expect "vm reboot refused: HTTP status and the API's message" 1 "PUT /api/v1/vm.reboot failed: HTTP 500: .*could not be rebooted" -- \
        "$nestvirt" --root "$root" vm reboot vm1
expect "vm info refused: HTTP status" 1 "GET /api/v1/vm.info failed: HTTP 500" -- "$nestvirt" --root "$root" vm info vm1
kill "$server"; wait "$server" 2>/dev/null; server=""

echo "1..$n"
[ "$failed" = 0 ]
