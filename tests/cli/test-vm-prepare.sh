#!/bin/bash
# 'nestvirt vm prepare NAME' (the VM unit's second ExecStartPre=) against an image root made
# here: the stale API socket, and the cloud-init NoCloud seed built with the real genisoimage
# and read back with isoinfo and blkid. TAP output: one line per assertion.
#
# usage: test-vm-prepare.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
nestvirt=$build/src/nestvirt/nestvirt
work=$(mktemp -d)
listener_pid=""
cleanup() {
        [ -z "$listener_pid" ] || kill "$listener_pid" 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT

for tool in genisoimage isoinfo blkid python3; do
        command -v "$tool" >/dev/null || { echo "Bail out! $tool is missing (tests/packages.txt lists its package)"; exit 1; }
done


. "$(dirname "$0")/tap.sh"

# An image with two VMs without devices: vm0 with a seed directory whose name has what graft
# points and option parsers trip over (blank, comma, '=', and '\=', which genisoimage would
# read as an escaped '=' were it not escaped itself), vm1 without CloudInit=.
make_image() {
        local img=$1
        DESTDIR=$img meson install -C "$build" --quiet --no-rebuild >/dev/null
        cp -a "$src/tests/fixtures/intel-8gpu-2node/." "$img/"
        mkdir -p "$img/var/lib/cloud-hypervisor" "$img/etc"
        : > "$img/var/lib/cloud-hypervisor/vmlinux"
        cat > "$img/etc/nestvirt.conf" <<'CONF'
[Host]
Hugepages=auto

[VM vm0]
CPUs=1
Memory=1G
Kernel=/var/lib/cloud-hypervisor/vmlinux
CloudInit=/etc/nestvirt/vm0 seed, a=b\=c

[VM vm1]
CPUs=1
Memory=1G
Kernel=/var/lib/cloud-hypervisor/vmlinux
CONF
        chmod 0644 "$img/etc/nestvirt.conf"
}

img=$work/image
make_image "$img"
seed_dir="$img/etc/nestvirt/vm0 seed, a=b\\=c"
mkdir -p "$seed_dir"
run=$img/run/nestvirt/vm/vm0
iso=$run/cidata.iso
cloud_init_line=$(grep -n '^CloudInit=' "$img/etc/nestvirt.conf" | cut -d: -f1)
prepare() { "$nestvirt" vm prepare "$1" --root "$img"; }

# Everything else in the runtime directory but the seed: temporary files must not stay.
leftovers() { find "$1" -mindepth 1 ! -name cidata.iso ! -name api.sock -printf '%f\n'; }
no_leftovers() { [ -z "$(leftovers "$1")" ]; }

# iso_names ISO [-R|-J]: the file names in the seed, sorted, one a line.
iso_names() { isoinfo "$2" -f -i "$1" | sort | tr '\n' ' '; }
# iso_file_is ISO NAME SOURCE: the file NAME in the seed (Rock Ridge) has SOURCE's bytes.
iso_file_is() { cmp -s <(isoinfo -R -x "/$2" -i "$1") "$3"; }

printf '#cloud-config\nusers:\n  - name: admin\n    ssh_authorized_keys:\n      - ssh-ed25519 AAAAC3Nz test@nestvirt\n' \
        > "$seed_dir/user-data"
printf 'instance-id: vm0-1\nlocal-hostname: vm0\n' > "$seed_dir/meta-data"
chmod 0600 "$seed_dir/user-data"

# --- the seed -----------------------------------------------------------------------------
expect "prepare builds the seed" 0 "Built the cloud-init seed .*/run/nestvirt/vm/vm0/cidata.iso" '!instance-id' \
        -- prepare vm0
check "the seed exists" test -f "$iso"
check "the runtime directory was made, mode 0700" test "$(stat -c %a "$run" 2>/dev/null)" = 700
check "the seed is mode 0600" test "$(stat -c %a "$iso" 2>/dev/null)" = 600
check "its label is cidata" test "$(blkid -o value -s LABEL "$iso" 2>/dev/null)" = cidata
check "it is ISO9660" test "$(blkid -o value -s TYPE "$iso" 2>/dev/null)" = iso9660
check "it has Joliet names" grep -q 'Joliet with UCS level' <(isoinfo -d -i "$iso")
check "it has Rock Ridge names" grep -q 'Rock Ridge signatures' <(isoinfo -d -i "$iso")
check "Rock Ridge names: exactly meta-data and user-data" test "$(iso_names "$iso" -R)" = "/meta-data /user-data "
check "Joliet names: exactly meta-data and user-data" test "$(iso_names "$iso" -J)" = "/meta-data /user-data "
check "user-data has its source's bytes" iso_file_is "$iso" user-data "$seed_dir/user-data"
check "meta-data has its source's bytes" iso_file_is "$iso" meta-data "$seed_dir/meta-data"
check "no temporary file is left" no_leftovers "$run"

printf 'version: 2\nethernets:\n  eth0:\n    dhcp4: true\n' > "$seed_dir/network-config"
cp "$seed_dir/user-data" "$work/user-data.orig"
mv "$seed_dir/user-data" "$seed_dir/user-data.real"
ln -s user-data.real "$seed_dir/user-data"
expect "prepare rebuilds the seed with network-config" 0 "network-config" -- prepare vm0
check "Rock Ridge names: user-data, meta-data, network-config" \
        test "$(iso_names "$iso" -R)" = "/meta-data /network-config /user-data "
check "network-config has its source's bytes" iso_file_is "$iso" network-config "$seed_dir/network-config"
check "a linked user-data goes in as the file it names" iso_file_is "$iso" user-data "$work/user-data.orig"
check "the rebuilt seed is mode 0600" test "$(stat -c %a "$iso" 2>/dev/null)" = 600
check "no temporary file is left after a rebuild" no_leftovers "$run"

# instance-id: cloud-init falls back to "nocloud", then ignores changed user-data on an old disk.
printf 'local-hostname: vm0\n' > "$seed_dir/meta-data"
expect "meta-data without instance-id: a warning with file:line, still built" 0 \
        "^/etc/nestvirt.conf:$cloud_init_line: CloudInit=.*meta-data sets no instance-id.*instance-id: vm0-1" \
        -- prepare vm0
check "the seed built despite the warning has the new meta-data" iso_file_is "$iso" meta-data "$seed_dir/meta-data"
printf 'instance_id: vm0-1\n# instance-id: commented out\n' > "$seed_dir/meta-data"
expect "instance_id (underscore) and a commented instance-id do not count" 0 "meta-data sets no instance-id" -- prepare vm0
printf '{"local-hostname": "vm0", "instance-id": "vm0-2"}\n' > "$seed_dir/meta-data"
expect "meta-data as JSON with instance-id: no warning" 0 '!instance-id' -- prepare vm0

# Missing or unusable inputs: fail at the line of CloudInit=, and leave no seed behind.
mv "$seed_dir/meta-data" "$work/meta-data"
expect "missing meta-data fails with file:line of CloudInit=" 1 \
        "^/etc/nestvirt.conf:$cloud_init_line: CloudInit=/etc/nestvirt/vm0 seed, a=b.=c has no meta-data .*create it" \
        '!has no user-data' -- prepare vm0
check "after a failed build no seed is left (not even the old one)" test ! -e "$iso"
mv "$work/meta-data" "$seed_dir/meta-data"
rm "$seed_dir/user-data"
mkfifo "$seed_dir/user-data"
expect "a FIFO as user-data is refused, not read" 1 \
        "^/etc/nestvirt.conf:$cloud_init_line: CloudInit=.*user-data is not a regular file" \
        -- timeout 20 "$nestvirt" vm prepare vm0 --root "$img"
rm "$seed_dir/user-data"
ln -s user-data.real "$seed_dir/user-data"

# Root copies the inputs into the guest: only what root controls. A user's link to a root-only
# file (/etc/shadow), a file a user owns or can write, a directory others can write: refused.
printf 'root:secret\n' > "$work/shadow"; chmod 0600 "$work/shadow"; chown 1000:1000 "$work/shadow"
rm "$seed_dir/user-data"; ln -s "$work/shadow" "$seed_dir/user-data"
expect "a link to a file another user owns is refused" 1 \
        "^/etc/nestvirt.conf:$cloud_init_line: CloudInit=.*refusing to copy .*user-data into the guest's seed: it is a link to a file owned by uid 1000, not root; run chown root:root" \
        -- prepare vm0
check "and no seed holds it" test ! -e "$iso"
rm "$seed_dir/user-data"; ln -s user-data.real "$seed_dir/user-data"
chmod 0622 "$seed_dir/user-data.real"
expect "a user-data writable by group and others is refused" 1 \
        "refusing to copy .*user-data into the guest's seed: it is a link to a file writable by everyone \(mode 0622\); run chmod go-w" -- prepare vm0
chmod 0600 "$seed_dir/user-data.real"
chmod 0777 "$seed_dir"
expect "a CloudInit= directory others can write is refused" 1 \
        "refusing to build the seed from .*: the directory is writable by everyone \(mode 0777\); run chmod go-w" -- prepare vm0
chmod 0755 "$seed_dir"

# genisoimage failing half-way: no seed, no temporary file.
mkdir -p "$work/fakebin" "$work/empty"
cat > "$work/fakebin/genisoimage" <<'EOF'
#!/bin/sh
# Writes part of an image and fails, as a full disk would make the real one do.
while [ $# -gt 0 ]; do
        [ "$1" = -output ] && printf 'half a seed' > "$2"
        shift
done
echo "half-way message" >&2
echo "genisoimage: Write error: No space left on device (fake)" >&2
exit 5
EOF
chmod 0755 "$work/fakebin/genisoimage"
expect "prepare builds the seed again" 0 "Built the cloud-init seed" -- prepare vm0
expect "a failing genisoimage: its stderr logged, prepare fails" 1 \
        "^genisoimage: Write error: No space left on device \(fake\)$" "^genisoimage: half-way message$" \
        "CloudInit=.*fakebin/genisoimage failed with exit status 5" \
        -- env PATH="$work/fakebin:$PATH" "$nestvirt" vm prepare vm0 --root "$img"
check "after genisoimage failed there is no cidata.iso" test ! -e "$iso"
check "after genisoimage failed there is no temporary file" no_leftovers "$run"
expect "genisoimage not in PATH: the apt hint" 1 \
        "^/etc/nestvirt.conf:$cloud_init_line: CloudInit= needs genisoimage .*not in PATH: apt install genisoimage" \
        -- env PATH="$work/empty" "$nestvirt" vm prepare vm0 --root "$img"
check "without genisoimage there is no cidata.iso" test ! -e "$iso"

# No CloudInit=: a leftover seed goes, nothing is built.
mkdir -p "$img/run/nestvirt/vm/vm1"
echo stale > "$img/run/nestvirt/vm/vm1/cidata.iso"
expect "a VM without CloudInit= removes a leftover seed" 0 "Removed .*/run/nestvirt/vm/vm1/cidata.iso" \
        '!Built' -- prepare vm1
check "vm1 has no seed" test ! -e "$img/run/nestvirt/vm/vm1/cidata.iso"
expect "a VM without CloudInit= and no seed: quiet success" 0 '!Removed' -- prepare vm1

# --- the API socket -----------------------------------------------------------------------
# bind_socket DIR [listen]: a Unix socket DIR/api.sock, bound from inside DIR (so any length
# of DIR works); with 'listen' it keeps serving in the background until killed.
bind_socket() {
        python3 -c '
import os, socket, sys, time
os.chdir(sys.argv[1])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("api.sock")
if sys.argv[2] == "listen":
    s.listen(8)
    open(sys.argv[3], "w").close()
    time.sleep(600)
' "$1" "${2:-}" "$work/listening" &
        local pid=$!
        if [ "${2:-}" != listen ]; then
                wait "$pid"
                return
        fi
        listener_pid=$pid
        for _ in $(seq 100); do [ -e "$work/listening" ] && return; sleep 0.1; done
        echo "# the listener did not start"
}
stop_listener() { kill "$listener_pid"; wait "$listener_pid" 2>/dev/null; listener_pid=""; rm -f "$work/listening" "$1/api.sock"; }

mkdir -p "$img/run/nestvirt/vm/vm1"
bind_socket "$img/run/nestvirt/vm/vm1"
check "a socket nobody listens on was made" test -S "$img/run/nestvirt/vm/vm1/api.sock"
expect "a stale API socket is removed" 0 "Removed the stale API socket .*/run/nestvirt/vm/vm1/api.sock" -- prepare vm1
check "the stale socket is gone" test ! -e "$img/run/nestvirt/vm/vm1/api.sock"

bind_socket "$img/run/nestvirt/vm/vm1" listen
expect "a socket with a listener: another Cloud Hypervisor serves the VM" 1 \
        "/run/nestvirt/vm/vm1/api.sock accepts connections: another Cloud Hypervisor still serves VM vm1" \
        "systemctl status nestvirt-vm@vm1.service" -- prepare vm1
check "the live socket is kept" test -S "$img/run/nestvirt/vm/vm1/api.sock"
stop_listener "$img/run/nestvirt/vm/vm1"

# With a live socket the running VM's seed must not be touched either.
echo "the running VM's seed" > "$iso"
bind_socket "$run" listen
expect "a live socket stops prepare before the seed" 1 "another Cloud Hypervisor still serves VM vm0" '!Built' -- prepare vm0
check "the running VM's seed is left alone" grep -qx "the running VM's seed" "$iso"
stop_listener "$run"

echo "not a socket" > "$img/run/nestvirt/vm/vm1/api.sock"
expect "a regular file named api.sock is refused" 1 \
        "/run/nestvirt/vm/vm1/api.sock exists and is not a socket.*move that file away" -- prepare vm1
check "the regular file is kept with its contents" grep -qx "not a socket" "$img/run/nestvirt/vm/vm1/api.sock"
rm "$img/run/nestvirt/vm/vm1/api.sock"

# A root so long that ROOT/run/nestvirt/vm/vm1/api.sock does not fit a socket address (108 bytes).
long=$work/$(printf 'r%.0s' $(seq 110))
mkdir -p "$long"
ln -s "$img" "$long/image"
longrun=$long/image/run/nestvirt/vm/vm1
bind_socket "$longrun" listen
expect "a listener found under a root longer than a socket address" 1 \
        "accepts connections: another Cloud Hypervisor still serves VM vm1" \
        -- "$nestvirt" vm prepare vm1 --root "$long/image"
stop_listener "$longrun"
bind_socket "$longrun"
expect "a stale socket removed under a root longer than a socket address" 0 "Removed the stale API socket" \
        -- "$nestvirt" vm prepare vm1 --root "$long/image"
check "the stale socket under the long root is gone" test ! -e "$longrun/api.sock"

# A VM may be named like one of nestvirt's own files in /run/nestvirt: its directory lives a
# level below, in a namespace of VMs only.
cat >> "$img/etc/nestvirt.conf" <<'CONF'

[VM initrd-config]
CPUs=1
Memory=1G
Kernel=/var/lib/cloud-hypervisor/vmlinux
CONF
mkdir -p "$img/run/nestvirt"
echo "stamp" > "$img/run/nestvirt/initrd-config"
expect "a VM named like nestvirt's initrd-config stamp prepares" 0 '!not a directory' -- prepare initrd-config
check "nestvirt's own initrd-config stamp is untouched" grep -qx stamp "$img/run/nestvirt/initrd-config"
check "the VM's runtime directory is its own" test -d "$img/run/nestvirt/vm/initrd-config"
expect "its API socket is in its own directory" 0 'path=/run/nestvirt/vm/initrd-config/api.sock' \
        -- "$nestvirt" vm argv initrd-config --root "$img"

# The disks' image types are read from the images at the start, never guessed from their names:
# Ubuntu's *-cloudimg-amd64.img is qcow2, a raw image may well be called *.qcow2.
cat >> "$img/etc/nestvirt.conf" <<'CONF'

[VM disks]
CPUs=1
Memory=1G
Kernel=/var/lib/cloud-hypervisor/vmlinux
Disk=/var/lib/nestvirt/disks/jammy-server-cloudimg-amd64.img
Disk=/var/lib/nestvirt/disks/data.qcow2,readonly
CONF
mkdir -p "$img/var/lib/nestvirt/disks"
printf 'QFI\373\0\0\0\3' > "$img/var/lib/nestvirt/disks/jammy-server-cloudimg-amd64.img"
printf 'not a qcow2 header' > "$img/var/lib/nestvirt/disks/data.qcow2"
types=$img/run/nestvirt/vm/disks/disk-types.env
expect "prepare reads the disks' image types" 0 '!Cannot' -- prepare disks
check "a qcow2 image named .img is qcow2" grep -qx "NESTVIRT_DISK0_TYPE=qcow2" "$types"
check "a raw image named .qcow2 is raw" grep -qx "NESTVIRT_DISK1_TYPE=raw" "$types"
expect "vm argv shows the types the start uses" 0 \
        '^path=/var/lib/nestvirt/disks/jammy-server-cloudimg-amd64.img,image_type=qcow2$' \
        '^path=/var/lib/nestvirt/disks/data.qcow2,readonly=on,image_type=raw$' -- "$nestvirt" vm argv disks --root "$img"
rm "$img/var/lib/nestvirt/disks/data.qcow2"
expect "vm argv says an image it cannot read is decided at the start" 0 \
        'data.qcow2 cannot be read.*decided when the VM starts' 'image_type=\$\{NESTVIRT_DISK1_TYPE\}$' \
        -- "$nestvirt" vm argv disks --root "$img"
expect "prepare refuses an image it cannot read" 1 'Cannot read Disk=/var/lib/nestvirt/disks/data.qcow2' -- prepare disks
printf 'vhdxfile' > "$img/var/lib/nestvirt/disks/data.qcow2"
expect "prepare refuses a vhdx image" 1 'data.qcow2 is a vhdx image; Cloud Hypervisor is given raw or qcow2 only' -- prepare disks

echo "1..$n"
[ "$failed" = 0 ]
