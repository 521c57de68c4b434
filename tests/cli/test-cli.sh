#!/bin/bash
# The nestvirt CLI against image roots made here: an installed nestvirt (meson install
# --destdir), a captured sysfs fixture, and a real Debian kernel's modules (depmod'ed).
# TAP output: one line per assertion.
#
# usage: test-cli.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
nestvirt=$build/src/nestvirt/nestvirt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT


. "$(dirname "$0")/tap.sh"

# An image: nestvirt installed, the lab's 8-GPU host, a kernel with its modules.
make_image() {
        local img=$1
        DESTDIR=$img meson install -C "$build" --quiet --no-rebuild >/dev/null
        cp -a "$src/tests/fixtures/intel-8gpu-2node/." "$img/"
        mkdir -p "$img/usr/local/bin" "$img/var/lib/cloud-hypervisor" "$img/var/lib/nestvirt/train0" "$img/etc"
        printf '#!/bin/sh\n' > "$img/usr/local/bin/cloud-hypervisor"
        chmod 0755 "$img/usr/local/bin/cloud-hypervisor"
        : > "$img/var/lib/cloud-hypervisor/vmlinux"
        # A raw disk with a partition table, so blkid finds one.
        truncate -s 8M "$img/var/lib/nestvirt/train0/root.raw"
        printf 'label: dos\n,,83\n' | sfdisk -q "$img/var/lib/nestvirt/train0/root.raw" >/dev/null
        if [ -n "$kernel_modules" ]; then
                mkdir -p "$img/lib/modules" "$img/boot"
                cp -a "$kernel_modules" "$img/lib/modules/"
                cp "$kernel_root/boot/config-${kernel_modules##*/}" "$img/boot/"
        fi
        cat > "$img/etc/nestvirt.conf" <<'CONF'
[Host]
Hugepages=auto

[VM train0]
CPUs=2
Memory=1G
Device=8086:10d3*4
Kernel=/var/lib/cloud-hypervisor/vmlinux
Cmdline=console=ttyS0 root=/dev/vda1 rw
Disk=/var/lib/nestvirt/train0/root.raw
CONF
        chmod 0644 "$img/etc/nestvirt.conf"
}

# A real Debian kernel, for libkmod to look the vfio modules up in (cached by the lab).
kernel_modules=""
if eval "$("$src/tests/lab/fetch-kernel.sh" bookworm "${NESTVIRT_LAB_CACHE:-$src/build-lab/cache}" 2>"$work/fetch.log")"; then
        kernel_modules=$MODULES
        kernel_root=$KERNEL_ROOT
else
        echo "# could not fetch a Debian kernel:"; sed 's/^/# /' "$work/fetch.log"
fi

img=$work/image
make_image "$img"

expect "check passes on a complete image" 0 '^OK: 0 errors' '1 of 1 VMs valid' \
        -- "$nestvirt" check --root "$img"
expect "check --json reports ok" 0 '"ok":true' '"files":\["/etc/nestvirt.conf"\]' \
        -- "$nestvirt" check --root "$img" --json
if [ -n "$kernel_modules" ]; then
        ok "a real kernel's modules are in the image ($(basename "$kernel_modules"))"
else
        not_ok "a real kernel's modules are in the image" "fetch-kernel.sh failed"
fi

# The vfio modules missing from a kernel: libkmod must notice.
bad=$work/nomod
make_image "$bad"
if [ -n "$kernel_modules" ]; then
        kver=$(basename "$kernel_modules")
        rm -rf "$bad/lib/modules/$kver/kernel/drivers/vfio"
        depmod -b "$bad" "$kver"
        expect "check finds missing vfio modules" 1 "kernel $kver has no vfio_pci module" \
                "kernel $kver has no vfio_iommu_type1 module" -- "$nestvirt" check --root "$bad"
fi

# The initramfs of each kernel is read (cpio, compressed or not) and must hold nestvirt and
# the configuration the root accepts; status shows what the initramfs's runs recorded.
. "$(dirname "$0")/initramfs-cases.sh"

# Errors name file and line.
cat > "$bad/etc/nestvirt.conf" <<'CONF'
[Host]
Hugepages=auto

[VM train0]
Memory=64GB
Device=8086:10d3*4
Kernel=/var/lib/cloud-hypervisor/vmlinux
Colour=blue
Disk=/var/lib/nestvirt/train0/missing.raw

[VM train1]
Memory=1G
Device=8086:10d3*9
Firmware=/usr/share/cloud-hypervisor/missing-fw
CONF
expect "check names file and line of each error" 1 \
        '^/etc/nestvirt.conf:5: error: Memory=64GB: .*write 64G' \
        '^/etc/nestvirt.conf:8: error: unknown key Colour= in \[VM train0\]' \
        '^/etc/nestvirt.conf:13: error: Device=8086:10d3\*9: 9 wanted, 8 free' \
        '^/etc/nestvirt.conf:14: error: Firmware=/usr/share/cloud-hypervisor/missing-fw: no such file' \
        '^/etc/nestvirt.conf:9: warning: Disk=/var/lib/nestvirt/train0/missing.raw does not exist' \
        '^FAILED: ' -- "$nestvirt" check --root "$bad"
expect "check --json carries file and line" 1 '"file":"/etc/nestvirt.conf","line":5,"vm":"train0"' \
        -- "$nestvirt" check --root "$bad" --json
python3 -c 'import json,sys; d=json.load(sys.stdin); assert not d["ok"] and d["errors"] >= 4, d' \
        < <("$nestvirt" check --root "$bad" --json) && ok "check --json is valid JSON" || not_ok "check --json is valid JSON"

# A config others can write is refused.
chmod 0664 "$bad/etc/nestvirt.conf"
expect "check refuses a group-writable config" 1 'refusing to read: writable by its group .*chmod go-w' \
        -- "$nestvirt" check --root "$bad"
chmod 0644 "$bad/etc/nestvirt.conf"

# Nothing installed: check says so.
bare=$work/bare
mkdir -p "$bare/etc"
cp "$img/etc/nestvirt.conf" "$bare/etc/"
expect "check notices nestvirt is not installed" 1 'nestvirt-generator is not installed' \
        'nestvirt-vfio.service is not installed' 'no PCI devices visible' -- "$nestvirt" check --root "$bare"

# --config reads one file only, anywhere.
expect "check --config reads only that file" 0 '1 file read' \
        -- "$nestvirt" check --root "$img" --config "$img/etc/nestvirt.conf"

# plan, devices, cmdline
expect "plan shows the 4 GPUs with their audio siblings" 0 \
        '0000:24:00.0  8086:10d3  node 0 .*device +-> train0' \
        '0000:24:00.1  8086:293e  node 0 .*group-sibling -> train0' \
        'Unsafe interrupts: off \(auto: interrupts are remapped\)' \
        'nestvirt-vm@train0.service' -- "$nestvirt" plan --root "$img"
python3 -c '
import json, sys
p = json.load(sys.stdin)
vm = p["vms"][0]
assert vm["name"] == "train0" and vm["numa_node"] == 0 and vm["cpus"] == "0-1", vm
assert vm["devices"] == ["0000:21:00.0", "0000:22:00.0", "0000:23:00.0", "0000:24:00.0"], vm
sib = [d for d in p["devices"] if d["reason"] == "group-sibling"]
assert len(sib) == 4 and all(d["vm"] == "train0" for d in sib), sib
assert p["hugepages"] == [{"node": 0, "pages": 1}, {"node": 1, "pages": 0}], p["hugepages"]
assert p["unsafe_interrupts"] is False
' < <("$nestvirt" plan --root "$img" --json) && ok "plan --json" || not_ok "plan --json"
expect "devices lists ids, node, group and driver" 0 \
        '^0000:41:00.0  8086:10d3  020000     1      9  e1000e' '^0000:41:00.1  8086:293e  040300     1      9  -' \
        -- "$nestvirt" devices --root "$img"
python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d) == int(sys.argv[1]), (len(d), sys.argv[1])
g = [x for x in d if x["address"] == "0000:21:00.0"][0]
assert g["id"] == "8086:10d3" and g["numa_node"] == 0 and g["driver"] == "e1000e" and g["iommu_group"] == 17, g
' "$(ls "$img/sys/bus/pci/devices" | wc -l)" < <("$nestvirt" devices --root "$img" --json) && ok "devices --json" || not_ok "devices --json"
expect "cmdline prints per-node pages" 0 '^hugepagesz=1G hugepages=0:1$' -- "$nestvirt" cmdline --root "$img"
expect "cmdline adds unsafe interrupts on virtio-iommu" 0 \
        '^hugepagesz=1G hugepages=0:2 vfio_iommu_type1.allow_unsafe_interrupts=1$' \
        -- "$nestvirt" cmdline --root "$src/tests/fixtures/virtio-2node-4dev" --config "$src/conf/nestvirt.conf"

# The shipped example passes check on the lab host it was written for.
expect "conf/nestvirt.conf has no errors" 0 'unsafe|Unsafe|1 GiB' \
        -- "$nestvirt" plan --root "$src/tests/fixtures/virtio-2node-4dev" --config "$src/conf/nestvirt.conf"

# The shipped example passes check in an image of the lab host it was written for.
ex=$work/example
DESTDIR=$ex meson install -C "$build" --quiet --no-rebuild >/dev/null
cp -a "$src/tests/fixtures/virtio-2node-4dev/." "$ex/"
install -D -m 0644 "$src/conf/nestvirt.conf" "$ex/etc/nestvirt.conf"
install -D -m 0755 /dev/null "$ex/usr/local/bin/cloud-hypervisor"
install -D -m 0644 /dev/null "$ex/var/lib/cloud-hypervisor/vmlinux"
if [ -n "$kernel_modules" ]; then
        mkdir -p "$ex/lib/modules" "$ex/boot"
        cp -a "$kernel_modules" "$ex/lib/modules/"
        cp "$kernel_root/boot/config-${kernel_modules##*/}" "$ex/boot/"
        # That host's IOMMU is a virtio-iommu, which Debian 12's 6.1 kernel lacks.
        expect "check: a kernel without virtio-iommu for a virtio-iommu host is an error" 1 \
                "error: kernel ${kernel_modules##*/} has no virtio-iommu driver .*virtio-iommu \(0000:00:02.0\).*bookworm-backports" \
                -- "$nestvirt" check --root "$ex"
        rm -rf "$ex/lib/modules" "$ex/boot"
fi
expect "conf/nestvirt.conf passes check" 0 '^OK: 0 errors' -- "$nestvirt" check --root "$ex"

# Usage errors exit 2; the runtime actions fail loudly until they exist.
expect "unknown command is a usage error" 2 'unknown command' -- "$nestvirt" frobnicate
expect "unknown option is a usage error" 2 '' -- "$nestvirt" check --frob
expect "--json where unsupported is a usage error" 2 'not supported' -- "$nestvirt" cmdline --json
expect "help for a command" 0 'Usage: nestvirt check' -- "$nestvirt" check --help

# Runtime actions: the kernel side is proven in the boot lab (tests/lab); here, what needs no kernel.
expect "reserve-hugepages with nothing planned does nothing" 0 'nothing to reserve' \
        -- "$nestvirt" reserve-hugepages --root "$bare" --config /dev/null
expect "bind-vfio honours nestvirt=0" 0 'Disabled on the kernel command line' \
        -- env SYSTEMD_PROC_CMDLINE="quiet nestvirt=0" SYSTEMD_IN_INITRD=0 "$nestvirt" bind-vfio --root "$img"
expect "reserve-hugepages honours rd.nestvirt=0 in the initrd" 0 'Disabled on the kernel command line \(rd.nestvirt=0\)' \
        -- env SYSTEMD_PROC_CMDLINE="rd.nestvirt=0" SYSTEMD_IN_INITRD=1 "$nestvirt" reserve-hugepages --root "$img"
expect "status names what does not hold, with numbers" 1 \
        '^  node 0: 1 pages of 1 GiB planned, 0 reserved \(short by 1\)' \
        '^  0000:21:00.0: on e1000e, not vfio-pci' '^  0000:21:00.1: on no driver, not vfio-pci' \
        'Initramfs configuration: nestvirt did not run in the initramfs' -- "$nestvirt" status --root "$img"
python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["ok"] is False
assert s["hugepages"][0] == {"node": 0, "requested": 1, "reserved": 0, "free": 0}, s["hugepages"]
d = {x["address"]: x for x in s["devices"]}
assert d["0000:21:00.0"]["driver"] == "e1000e" and d["0000:21:00.0"]["expected_driver"] == "vfio-pci"
assert d["0000:21:00.1"]["reason"] == "group-sibling" and d["0000:21:00.1"]["vm"] == "train0"
assert s["unsafe_interrupts"] == {"wanted": False, "actual": False}
assert len(s["problems"]) == 9, s["problems"]
' < <("$nestvirt" status --root "$img" --json) && ok "status --json" || not_ok "status --json"

# A claimed device without a reset method: plan, check and status all warn, naming it and its VM.
printf '' > "$img/sys/bus/pci/devices/0000:21:00.0/reset_method"
for verb in plan check status; do
        out=$("$nestvirt" $verb --root "$img" 2>&1)
        check "$verb warns about a claimed device without a reset method" \
                grep -qE '0000:21:00.0 \(VM train0\) has no reset method \(reset_method is empty\)' <<<"$out"
done
python3 -c '
import json, sys
s = json.load(sys.stdin)
assert any("0000:21:00.0 (VM train0) has no reset method" in w for w in s["warnings"]), s["warnings"]
assert not any("reset method" in p for p in s["problems"]), s["problems"]
' < <("$nestvirt" status --root "$img" --json) && ok "status --json: the reset warning is a warning, not a problem" \
        || not_ok "status --json: the reset warning is a warning, not a problem"
rm -f "$img/sys/bus/pci/devices/0000:21:00.0/reset_method"


echo "1..$n"
[ "$failed" = 0 ]
