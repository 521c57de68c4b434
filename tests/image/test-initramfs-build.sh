#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The real dracut module and the real initramfs-tools hook, as installed by this build
# (meson install --destdir), on a staged tree whose configuration has a drop-in the boot
# would refuse: each image build must fail, name the file and why, and leave no image.
# One build per tool (dracut about 15 s, mkinitramfs about 30 s), with the boot lab's
# cached Debian kernel (tests/lab/fetch-kernel.sh; downloaded once when not cached).
# TAP output.
#
# usage: test-initramfs-build.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
. "$src/tests/cli/tap.sh"

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (file owners, mount namespaces)"; exit 0; }
for t in dracut mkinitramfs unshare; do
        command -v $t > /dev/null || { echo "1..0 # SKIP $t is not installed"; exit 0; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
umask 022

kinfo=$("$src/tests/lab/fetch-kernel.sh" bookworm "${NESTVIRT_LAB_CACHE:-$src/build-lab/cache}" 2> "$work/fetch.log") ||
        { echo "Bail out! no Debian kernel: $(tail -n 3 "$work/fetch.log" | tr '\n' ' ')"; exit 1; }
kver=$(sed -n 's/^KVER=//p' <<< "$kinfo")
kmodules=$(sed -n 's/^MODULES=//p' <<< "$kinfo")
kroot=$(sed -n 's/^KERNEL_ROOT=//p' <<< "$kinfo")

# The staged install, a good /etc/nestvirt.conf, and a drop-in that is not the boot's to read.
stage=$work/stage
DESTDIR=$stage meson install -C "$build" --quiet --no-rebuild > /dev/null || { echo "Bail out! meson install failed"; exit 1; }
mkdir -p "$stage/etc/nestvirt.conf.d"
printf '[Host]\nHugepages=1\n' > "$stage/etc/nestvirt.conf"
printf '[VM evil]\nMemory=1G\nKernel=/k\n' > "$stage/etc/nestvirt.conf.d/50-evil.conf"

# ---------------------------------------------------------------- dracut
chown 1000:1000 "$stage/etc/nestvirt.conf.d/50-evil.conf"
module=$(ls -d "$stage"/usr/lib/dracut/modules.d/90nestvirt 2>/dev/null)
check "the build installed the dracut module" test -f "$module/module-setup.sh"
nvbin=$(sed -n 's/^_nv_bin=//p' "$module/module-setup.sh")
check "the installed module names the installed binary ($nvbin)" test -x "$stage$nvbin"
base=$work/dracutbase
mkdir -p "$base/modules.d" "$work/dracut-conf" "$work/dracut-tmp"
for e in /usr/lib/dracut/*; do [ "${e##*/}" = modules.d ] || ln -s "$e" "$base/${e##*/}"; done
for e in /usr/lib/dracut/modules.d/*; do [ "${e##*/}" = 90nestvirt ] || ln -s "$e" "$base/modules.d/"; done
ln -s "$module" "$base/modules.d/90nestvirt"
t0=$SECONDS
rc=0
env dracutbasedir="$base" NESTVIRT_DRACUT_SOURCE="$stage" dracut --force --quiet --no-hostonly --no-hostonly-cmdline \
        --conf /dev/null --confdir "$work/dracut-conf" --tmpdir "$work/dracut-tmp" --kver "$kver" --kmoddir "$kmodules" \
        --no-early-microcode --no-compress --no-kernel -m "systemd nestvirt" "$work/dracut.img" > "$work/dracut.log" 2>&1 || rc=$?
echo "# dracut: exit $rc after $((SECONDS - t0)) s"
check "dracut fails on a drop-in owned by uid 1000" test "$rc" != 0
check "dracut names the drop-in, its owner and the fix" \
        grep -Eq 'nestvirt: /etc/nestvirt.conf.d/50-evil.conf: error: refusing to read: owned by uid 1000, not root; run chown root:root' "$work/dracut.log"
check "dracut says the image build stopped for the configuration" \
        grep -q 'has files the boot would refuse (above); fix them, then build the initramfs again' "$work/dracut.log"
check "dracut wrote no image" test ! -e "$work/dracut.img"
[ "$failed" = 0 ] || sed 's/^/# /' "$work/dracut.log"

# ---------------------------------------------------------------- initramfs-tools
chown 0:0 "$stage/etc/nestvirt.conf.d/50-evil.conf"
chmod 0666 "$stage/etc/nestvirt.conf.d/50-evil.conf"
hooks=$stage/usr/share/initramfs-tools
check "the installed hook names the installed binary" grep -qx "bin=$nvbin" "$hooks/hooks/nestvirt"
conf=$work/itools
mkdir -p "$conf/hooks" "$conf/scripts/init-top" "$conf/conf.d"
printf 'MODULES=list\nBUSYBOX=n\nCOMPRESS=gzip\n' > "$conf/initramfs.conf"
: > "$conf/modules"
cp "$hooks/hooks/nestvirt" "$conf/hooks/nestvirt"
cp "$hooks/scripts/init-top/nestvirt" "$conf/scripts/init-top/nestvirt"
# mkinitramfs reads the target kernel's /lib/modules/KVER and /boot/config-KVER: bind-mounted
# from the extracted kernel in a private mount namespace.
[ -d /usr/lib/modules ] || [ -L /lib/modules ] || mkdir -p /usr/lib/modules
t0=$SECONDS
rc=0
NESTVIRT_INITRAMFS_SOURCE=$stage unshare -m --propagation private sh -ec '
        mount --bind "$1" /usr/lib/modules
        mount --bind "$2/boot" /boot
        mkinitramfs -d "$3" -o "$4" "$5"' sh "${kmodules%/*}" "$kroot" "$conf" "$work/itools.img" "$kver" \
        > "$work/itools.log" 2>&1 || rc=$?
echo "# mkinitramfs: exit $rc after $((SECONDS - t0)) s"
check "mkinitramfs fails on a world-writable drop-in" test "$rc" != 0
check "the hook names the drop-in, its mode and the fix" \
        grep -Eq 'E: nestvirt: /etc/nestvirt.conf.d/50-evil.conf: error: refusing to read: writable by everyone \(mode 0666\); run chmod go-w' "$work/itools.log"
check "mkinitramfs says the hook failed" grep -q 'hooks/nestvirt failed with return 1' "$work/itools.log"
check "mkinitramfs wrote no usable image" test ! -s "$work/itools.img"
[ "$failed" = 0 ] || sed 's/^/# /' "$work/itools.log"

echo "1..$n"
[ "$failed" = 0 ]
