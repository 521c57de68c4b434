#!/bin/bash
# mkinitramfs-capture.sh KERNEL_ROOT OUT.cpio.gz
#
# Builds a minimal initramfs for the capture boot: busybox-static, the kernel
# modules the lab needs (with their dependencies, decompressed, indexed by
# depmod so busybox modprobe works), tests/lab/capture-sysfs.sh and an /init
# that mounts proc/sys/devtmpfs, loads the modules, captures the sysfs tree,
# sends it to the host as base64 (gzip'd tar) on the second serial port
# (ttyS1) and powers off.
#
# KERNEL_ROOT is an extracted linux-image package (fetch-kernel.sh prints it).
# LAB_MODULES overrides the module list, in load order (default below). A
# module that is built into the kernel is skipped; one that the kernel does
# not have at all is skipped with a warning.
#
# e1000e is loaded so that the "GPUs" have a bound driver (a 'driver' link),
# as a real host's GPU driver would be bound; the audio functions
# (snd_hda_intel) are deliberately left unbound.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 KERNEL_ROOT OUT.cpio.gz" >&2; exit 2; }
kroot=$(cd "$1" && pwd)
out=$2
here=$(cd "$(dirname "$0")" && pwd)
modules=${LAB_MODULES:-virtio_pci virtio_iommu e1000e}

log() { echo "mkinitramfs-capture: $*" >&2; }
die() { echo "mkinitramfs-capture: error: $*" >&2; exit 1; }

busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox not found (apt-get install busybox-static)"
if ldd "$busybox" >/dev/null 2>&1; then die "$busybox is not statically linked (apt-get install busybox-static)"; fi

kver=$(ls "$kroot/lib/modules" 2>/dev/null | head -n1)
[ -n "$kver" ] || die "no lib/modules/* in $kroot"
moddir=$kroot/lib/modules/$kver
[ -f "$moddir/modules.dep.bin" ] || depmod -b "$kroot" "$kver"

stage=$(mktemp -d "${TMPDIR:-/tmp}/lab-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,tmp,run,lib/modules/$kver}
cp "$busybox" "$stage/bin/busybox"
for a in $("$busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$stage/bin/$a"
done
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$stage/dev/null" c 1 3 2>/dev/null || true

# Copy each wanted module and its dependencies, decompressed.
load=
for m in $modules; do
    deps=$(modprobe -d "$kroot" -S "$kver" --show-depends "$m" 2>/dev/null) || {
        log "warning: kernel $kver has no module $m; skipped"; continue; }
    if printf '%s\n' "$deps" | grep -q '^builtin '; then
        log "$m: built into $kver"
        continue
    fi
    printf '%s\n' "$deps" | while read -r verb path _; do
        [ "$verb" = insmod ] || continue
        rel=${path#"$moddir"/}
        dst=$stage/lib/modules/$kver/${rel%.xz}
        dst=${dst%.zst}; dst=${dst%.gz}
        [ -e "$dst" ] && continue
        mkdir -p "$(dirname "$dst")"
        case $path in
            *.ko.xz) xz -dc "$path" > "$dst" ;;
            *.ko.zst) zstd -qdc "$path" > "$dst" ;;
            *.ko.gz) gzip -dc "$path" > "$dst" ;;
            *.ko) cp "$path" "$dst" ;;
            *) die "unexpected module file $path" ;;
        esac
        log "module $(basename "$dst")"
    done
    load="$load $m"
done
for f in modules.builtin modules.builtin.modinfo modules.order; do
    [ -f "$moddir/$f" ] && cp "$moddir/$f" "$stage/lib/modules/$kver/"
done
depmod -b "$stage" "$kver"
echo "$load" > "$stage/etc/lab-modules"

install -m 755 "$here/capture-sysfs.sh" "$stage/bin/capture-sysfs"

cat > "$stage/init" <<'EOF'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
echo "lab-init: kernel $(uname -r)"

topology=unknown
for w in $(cat /proc/cmdline); do
    case $w in lab.topology=*) topology=${w#lab.topology=} ;; esac
done

for m in $(cat /etc/lab-modules); do
    echo "lab-init: modprobe $m"
    modprobe "$m" || echo "lab-init: modprobe $m failed"
done
# Let probes and IOMMU group assignment settle.
i=0
while [ $i -lt 10 ]; do
    sleep 1
    i=$((i + 1))
    [ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ] && [ $i -ge 3 ] && break
done

echo "lab-init: capturing (topology $topology)"
capture-sysfs /tmp/capture "$topology"
echo "lab-init: $(find /tmp/capture | wc -l) entries captured; sending"

stty -F /dev/ttyS1 raw -echo 2>/dev/null
{
    echo "LAB-CAPTURE-BEGIN"
    (cd /tmp/capture && tar cf - .) | gzip -9 | base64
    echo "LAB-CAPTURE-END"
} > /dev/ttyS1
sync
sleep 2
echo "lab-init: done, powering off"
poweroff -f
EOF
chmod 755 "$stage/init"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -6 > "$out"
log "wrote $out ($(du -h "$out" | cut -f1), kernel $kver, modules:$load)"
