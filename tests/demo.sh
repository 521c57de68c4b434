#!/bin/bash
# The demo on built-in defaults: build nestvirt, show what it decides for the example
# config (conf/nestvirt.conf) on a host captured from the boot lab (the seed's L1: QEMU
# q35 with virtio-iommu, 2 NUMA nodes, 4 PCI devices standing in for GPUs), then boot
# that host for real (lab scenario 1: Debian's kernel under QEMU, an initramfs made by
# dracut with nestvirt in it) and print what `nestvirt status` says inside the guest.
# The first run downloads a Debian kernel; a boot under TCG takes about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

tests/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

host=tests/fixtures/virtio-2node-4dev
conf=conf/nestvirt.conf
nestvirt=build/src/nestvirt/nestvirt
demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

section "The host (captured from the lab: $(sed -n 's/^topology: //p' $host/CAPTURE-INFO), kernel $(sed -n 's/^kernel: //p' $host/CAPTURE-INFO))"
$nestvirt devices --root $host

section "nestvirt plan --config $conf"
$nestvirt plan --root $host --config $conf || true

section "nestvirt cmdline (the same pages as kernel parameters)"
$nestvirt cmdline --root $host --config $conf 2>/dev/null

# An image root: nestvirt installed, the host's sysfs, the example config.
DESTDIR=$demo/image meson install -C build --quiet --no-rebuild >/dev/null
cp -a $host/. "$demo/image/"
install -D -m 0644 $conf "$demo/image/etc/nestvirt.conf"
section "nestvirt check --root IMAGE (image CI: the image lacks Cloud Hypervisor and the VM's kernel)"
$nestvirt check --root "$demo/image" || true

# Stand-ins for what an image would carry (Cloud Hypervisor cannot be installed here).
install -D -m 0755 /dev/null "$demo/image/usr/local/bin/cloud-hypervisor"
install -D -m 0644 /dev/null "$demo/image/var/lib/cloud-hypervisor/vmlinux"
section "nestvirt check --root IMAGE, after adding them"
$nestvirt check --root "$demo/image"

section "nestvirt-generator output (as systemd runs it at boot)"
mkdir -p "$demo/out/normal" "$demo/out/early" "$demo/out/late"
NESTVIRT_ROOT="$demo/image" SYSTEMD_PROC_CMDLINE="" SYSTEMD_IN_INITRD=0 SYSTEMD_LOG_TARGET=console \
        build/generator/nestvirt-generator "$demo/out/normal" "$demo/out/early" "$demo/out/late"
(cd "$demo/out/normal" && find . -mindepth 1 | sort | while read -r f; do
        if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else echo "$f"; fi; done)
for u in "$demo"/out/normal/*.service; do
        section "$(basename "$u")"
        cat "$u"
done

section "Boot lab, scenario 1: the same host booted under QEMU (this takes about a minute)"
export NESTVIRT_LAB_OUT=$demo/lab
tests/lab/boot.sh 01-virtio-claim | grep -E '^(ok|not ok|#)' || true
section "Inside the guest, after nestvirt ran in the initramfs"
tests/lab/show-report.sh "$demo/lab/01-virtio-claim/boot1"
