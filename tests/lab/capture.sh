#!/bin/bash
# capture.sh TOPOLOGY OUTDIR
#
# Boots a real Debian kernel under QEMU (TCG) on the emulated host TOPOLOGY
# (see topology.sh --list), captures its sysfs with capture-sysfs.sh and
# writes the fixture to OUTDIR: OUTDIR/sys/..., OUTDIR/proc/{cmdline,meminfo},
# OUTDIR/CAPTURE-INFO. Then checks it with check-fixture.sh.
#
# OUTDIR must not exist, be empty, or hold an earlier capture (a
# CAPTURE-INFO file), which is then replaced.
#
# Environment:
#   NESTVIRT_LAB_CACHE  kernel downloads and extractions (default
#                       build-lab/cache in the repository)
#   LAB_TIMEOUT         seconds before QEMU is killed (default 900)
#   LAB_ACCEL           QEMU accelerator (default tcg)
#   LAB_KERNEL          override the kernel flavour (bookworm|backports)
#   LAB_CMDLINE         extra kernel command line words (e.g. intremap=off)
#   LAB_KEEP            set to 1 to keep the work directory (console log etc.)
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 TOPOLOGY OUTDIR" >&2; exit 2; }
topology=$1
outdir=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${NESTVIRT_LAB_CACHE:-$repo/build-lab/cache}
timeout_s=${LAB_TIMEOUT:-900}
accel=${LAB_ACCEL:-tcg}

log() { echo "capture: $*" >&2; }
die() { echo "capture: error: $*" >&2; exit 1; }

start=$(date +%s)
mapfile -t qargs < <("$here/topology.sh" "$topology") || die "unknown topology $topology"
[ ${#qargs[@]} -gt 0 ] || die "unknown topology $topology"
flavour=${LAB_KERNEL:-$("$here/topology.sh" --kernel "$topology")}
extra_cmdline=$("$here/topology.sh" --cmdline "$topology")

if [ -e "$outdir" ]; then
    [ -d "$outdir" ] || die "$outdir exists and is not a directory"
    if [ -n "$(ls -A "$outdir")" ] && [ ! -f "$outdir/CAPTURE-INFO" ]; then
        die "$outdir is not empty and holds no earlier capture; refusing to replace it"
    fi
fi

# 1. kernel
kinfo=$("$here/fetch-kernel.sh" "$flavour" "$cache")
KVER=$(sed -n 's/^KVER=//p' <<<"$kinfo")
VMLINUZ=$(sed -n 's/^VMLINUZ=//p' <<<"$kinfo")
KERNEL_ROOT=$(sed -n 's/^KERNEL_ROOT=//p' <<<"$kinfo")
VIRTIO_IOMMU=$(sed -n 's/^VIRTIO_IOMMU=//p' <<<"$kinfo")
if grep -q virtio-iommu <<<"${qargs[*]}" && [ "$VIRTIO_IOMMU" = absent ]; then
    die "topology $topology needs virtio-iommu, which kernel $KVER lacks"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lab-capture.XXXXXX")
if [ "${LAB_KEEP:-0}" = 1 ]; then
    log "work directory $work kept"
else
    trap 'rm -rf "$work"' EXIT
fi

# 2. initramfs
"$here/mkinitramfs-capture.sh" "$KERNEL_ROOT" "$work/initrd.cpio.gz"

# 3. boot
cmdline="console=ttyS0,115200 panic=-1 lab.topology=$topology${extra_cmdline:+ $extra_cmdline}${LAB_CMDLINE:+ $LAB_CMDLINE}"
qemu=(qemu-system-x86_64 -accel "$accel" "${qargs[@]}"
      -display none -monitor none -no-reboot
      -serial "file:$work/console.log" -serial "file:$work/capture.b64"
      -kernel "$VMLINUZ" -initrd "$work/initrd.cpio.gz" -append "$cmdline")
log "booting $KVER on $topology (timeout ${timeout_s}s)"
printf '%q ' "${qemu[@]}" > "$work/qemu-command"
echo >> "$work/qemu-command"
boot_start=$(date +%s)
rc=0
timeout -k 10 "$timeout_s" "${qemu[@]}" || rc=$?
boot_end=$(date +%s)
log "QEMU exited ($rc) after $((boot_end - boot_start))s"
if ! grep -q '^LAB-CAPTURE-END' "$work/capture.b64" 2>/dev/null; then
    echo "---- last lines of the guest console ----" >&2
    tail -n 40 "$work/console.log" >&2 || true
    die "no complete capture received from the guest (QEMU exit $rc; LAB_KEEP=1 keeps $work)"
fi

# 4. unpack
mkdir -p "$work/tree"
tr -d '\r' < "$work/capture.b64" |
    sed -n '/^LAB-CAPTURE-BEGIN/,/^LAB-CAPTURE-END/{/^LAB-CAPTURE-/d;p}' |
    base64 -d | gzip -dc | tar -x -C "$work/tree" --no-same-owner --no-same-permissions
find "$work/tree" -type d -exec chmod 0755 {} +
find "$work/tree" -type f -exec chmod 0644 {} +
{
    echo "kernel-package-flavour: $flavour"
    echo "qemu: $(qemu-system-x86_64 --version | head -n1)"
    echo "qemu-accel: $accel"
    echo "qemu-machine-args: ${qargs[*]}"
    echo "kernel-cmdline: $cmdline"
    echo "boot-seconds: $((boot_end - boot_start))"
} >> "$work/tree/CAPTURE-INFO"
grep -E '^\[ *[0-9.]+\] (DMAR|virtio_iommu|iommu|DMAR-IR|AMD-Vi|pci 0000:.*: Adding to iommu group)' \
    "$work/console.log" > "$work/iommu-dmesg" || true

if [ -d "$outdir" ]; then
    rm -rf "$outdir"
fi
mkdir -p "$(dirname "$outdir")"
mv "$work/tree" "$outdir"
chmod 0755 "$outdir"

# 5. check
"$here/check-fixture.sh" "$outdir"
log "fixture: $outdir ($(find "$outdir" | wc -l) entries, $(du -sh --apparent-size "$outdir" | cut -f1) apparent)"
log "total $(( $(date +%s) - start ))s"
