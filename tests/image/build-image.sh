#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# build-image.sh [OPTIONS] --config FILE OUTDIR
#
# A minimal Debian image with nestvirt baked in, made the way an image pipeline makes
# one: copy this script into your image CI. Each step stops the pipeline when it fails.
#
#   1. package    nestvirt's .deb: --deb FILE, or built from --source DIR (default: the
#                 tree this script is in) with dpkg-buildpackage -b (nocheck profile)
#   2. root       debootstrap --variant=minbase SUITE with systemd-sysv, udev and kmod,
#                 then linux-image-ARCH and the initramfs tool (apt in the root, with
#                 INITRD=No so that no initramfs is built before the configuration is
#                 checked). Both layers are cached as tarballs in CACHE/image/, keyed by
#                 suite, architecture, mirror and package lists (not by date): remove
#                 them to pick up newer packages
#   3. check      dpkg -i of the package in the root, --config as /etc/nestvirt.conf,
#                 --files over the root; then `nestvirt check --root OUTDIR/root` must
#                 pass. Its errors name FILE:LINE; the pipeline stops before any
#                 initramfs is built
#   4. initramfs  built in the root (chroot) by the image's own tool, for every kernel:
#                 dracut (generic: hostonly=no) or update-initramfs. nestvirt's dracut
#                 module or initramfs-tools hook must have put nestvirt, the
#                 configuration and vfio-pci into it, and `nestvirt check` (which
#                 reads the image) must now find nestvirt and this configuration in it
#   5. boot       (--boot) the root as an ext4 image (mkfs.ext4 -d, label nestvirt-image)
#                 booted with its own kernel and initramfs in nestvirt's boot lab
#                 (tests/lab, QEMU, no KVM needed) on an emulated GPU host, to the real
#                 root, where `nestvirt status --json` must say ok
#
# Options:
#   --config FILE        the image's /etc/nestvirt.conf (required)
#   --initramfs TOOL     dracut | initramfs-tools (default initramfs-tools)
#   --deb FILE           the nestvirt package to install (default: build it, see 1.)
#   --source DIR         nestvirt's source tree to build the package from
#   --files DIR          a tree copied over the root after the package (owned by root):
#                        Cloud Hypervisor, VM kernels, drop-ins in /etc/nestvirt.conf.d
#   --include PKGS       more packages for the root (comma or space separated)
#   --suite NAME         Debian suite (default bookworm)
#   --mirror URL         Debian mirror (default: the URI of this machine's Debian apt
#                        source for its own release, from /etc/apt/sources.list.d/*.sources
#                        or sources.list)
#   --cache DIR          cache directory (default $NESTVIRT_LAB_CACHE, else
#                        build-lab/cache in the source tree); layers go to DIR/image/
#   --nestvirt FILE      the nestvirt binary that runs `check` (default: the package's own,
#                        unpacked next to it; it needs this machine's libkmod, libblkid and
#                        libsystemd)
#   --boot               step 5
#   --topology NAME      emulated host for --boot (tests/lab/topology.sh --list; default:
#                        virtio-2node-4dev if the image's kernel has CONFIG_VIRTIO_IOMMU,
#                        else intel-8gpu-2node). Its "GPUs" are e1000e NICs, 8086:10d3: a
#                        configuration that should claim them in the lab names those
#   --lab DIR            nestvirt's tests/lab (default: ../lab next to this script)
#
# OUTDIR (created; an earlier output of this script there is replaced):
#   root/                 the image's root file system (boot/vmlinuz-KVER, initrd.img-KVER)
#   deb/                  the package built in step 1
#   build.log             what the steps run in the root printed
#   check.txt             `nestvirt check --root` before the initramfs (step 3)
#   initramfs.txt         the initramfs's file list, as the image's tool lists it
#   check-initramfs.txt   `nestvirt check --root` after it (step 4)
#   lab-root.ext4, boot/  (--boot) the disk the lab booted (the root plus the lab's report
#                         unit in /lab) and its results: console.log, report.txt,
#                         status.json; tests/lab/show-report.sh boot prints them
#
# Exit status: 0 every step passed; 1 `nestvirt check` refused the image (step 3 or 4);
# 2 usage; 3 another step failed (package, debootstrap, apt, initramfs); 4 the boot
# failed (no report from the real root, or `nestvirt status` not ok).
# Needs: root (debootstrap, chroot, mounts), debootstrap, zstd, dpkg-dev and the
# Build-Depends (to build the package), e2fsprogs, and for --boot what tests/lab needs
# (qemu-system-x86, busybox-static, cpio, python3).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

usage() { sed -n '3,/^# Needs/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
log() { echo "build-image: $*" >&2; }
step() { echo "build-image: == $*" >&2; }
die() { echo "build-image: error: $1" >&2; exit "${2:-3}"; }
# Exit 1 means "nestvirt check refused the image": anything else that fails unexpectedly is 3.
trap 'die "line $LINENO: a command failed"' ERR

config= tool=initramfs-tools deb= source= files= include= suite=bookworm mirror= cache=
nestvirt_bin= boot=0 topology= lab=$here/../lab
while [ $# -gt 0 ]; do
    case $1 in
        --config) config=$2; shift 2 ;;
        --initramfs) tool=$2; shift 2 ;;
        --deb) deb=$2; shift 2 ;;
        --source) source=$2; shift 2 ;;
        --files) files=$2; shift 2 ;;
        --include) include=$2; shift 2 ;;
        --suite) suite=$2; shift 2 ;;
        --mirror) mirror=$2; shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        --nestvirt) nestvirt_bin=$2; shift 2 ;;
        --boot) boot=1; shift ;;
        --topology) topology=$2; shift 2 ;;
        --lab) lab=$2; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "build-image: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -eq 1 ] || usage
[ -n "$config" ] || { echo "build-image: --config FILE is required" >&2; usage; }
[ -f "$config" ] || die "no configuration file $config" 2
case $tool in dracut|initramfs-tools) ;; *) die "--initramfs takes dracut or initramfs-tools, not $tool" 2 ;; esac
[ -z "$deb" ] || [ -f "$deb" ] || die "no package $deb" 2
[ -z "$files" ] || [ -d "$files" ] || die "--files $files is not a directory" 2
[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot and mounts need it)" 2
for t in debootstrap zstd mkfs.ext4 unshare chroot; do
    command -v $t > /dev/null || die "$t not found (packages: debootstrap, zstd, e2fsprogs, util-linux, coreutils)" 2
done

config=$(realpath "$config")
[ -z "$deb" ] || deb=$(realpath "$deb")
[ -z "$files" ] || files=$(realpath "$files")
source=${source:-$here/../..}
cache=${cache:-${NESTVIRT_LAB_CACHE:-$source/build-lab/cache}}
mkdir -p "$cache/image"
cache=$(cd "$cache" && pwd)
layers=$cache/image
arch=$(dpkg --print-architecture)

out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Only ever remove what an earlier run of this script left there.
if [ -n "$(ls -A "$out")" ] && [ ! -e "$out/.build-image" ]; then
    die "$out is not empty and was not made by build-image.sh; give an empty or new directory" 2
fi
rm -rf "${out:?}/root" "${out:?}/lab-root" "${out:?}/lab-root.ext4" "${out:?}/boot" "${out:?}"/*.txt "${out:?}/build.log"
touch "$out/.build-image"
root=$out/root
blog=$out/build.log
: > "$blog"

# Work directories next to the layers (same file system); a run killed outright leaves
# its own: drop those older than a day.
find "$layers" -maxdepth 1 -name 'tmp.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
work=$(mktemp -d "$layers/tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT

# in_root DIR [VAR=VALUE...] CMD...: CMD chrooted into DIR with /proc mounted, in a
# private mount namespace (nothing stays mounted, whatever happens), with a clean
# environment (nothing of this machine's leaks into the image's tools).
in_root() {
    local dir=$1; shift
    unshare -m --propagation private /bin/sh -ec 'dir=$1; shift; mount -t proc proc "$dir/proc"; exec chroot "$dir" "$@"' \
        sh "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 "$@"
}

# run_logged WHAT CMD...: CMD's output goes to build.log; on failure its tail is shown.
run_logged() {
    local what=$1; shift
    echo "### $what: $*" >> "$blog"
    if ! "$@" >> "$blog" 2>&1; then
        tail -n 25 "$blog" | sed 's/^/    /' >&2
        return 1
    fi
}

unpack() { mkdir -p "$2" && zstd -dcq "$1" | tar -C "$2" --numeric-owner --xattrs --xattrs-include='*' -xpf -; }
pack() {
    tar -C "$1" --numeric-owner --xattrs --xattrs-include='*' -cf - . | zstd -T0 -q -o "$2.tmp.$$"
    mv "$2.tmp.$$" "$2"
}

# The URI of this machine's first enabled Debian source for its own release: the image
# is fetched from where this machine fetches its packages.
derive_mirror() {
    local codename f
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$codename" ] || return 1
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v want="$codename" '
            function flush() {
                if (deb && suite && enabled != "no" && uri != "" && !found) { print uri; found = 1 }
                deb = suite = 0; enabled = ""; uri = ""
            }
            found { exit }
            /^#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^Types:/ { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
            /^Suites:/ { n = split($0, s, /[ \t]+/); for (i = 2; i <= n; i++) if (s[i] == want) suite = 1 }
            /^URIs:/ { uri = $2 }
            /^Enabled:/ { enabled = tolower($2) }
            END { flush(); exit found ? 0 : 1 }' "$f" && return 0
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v want="$codename" '
            $1 == "deb" {
                i = 2
                if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if ($(i + 1) == want) { print $i; found = 1; exit }
            }
            END { exit found ? 0 : 1 }' "$f" && return 0
    done
    return 1
}

# ---------------------------------------------------------------- 1. package

step "1. package"
if [ -z "$deb" ]; then
    [ -x "$source/debian/rules" ] || die "no --deb and no debian/rules under $source (--source DIR)" 2
    command -v dpkg-buildpackage > /dev/null || die "dpkg-buildpackage not found (dpkg-dev)" 2
    src=$work/src/nestvirt
    mkdir -p "$src" "$out/deb"
    rm -f "$out"/deb/*.deb
    # The files git tracks or would add, as they are on disk (no build directories), or the
    # whole tree outside git; modes as a fresh checkout has them.
    umask 022
    if git -C "$source" rev-parse --git-dir > /dev/null 2>&1; then
        (cd "$source" && git ls-files -z --cached --others --exclude-standard |
            while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
            tar --null -T - -cf -) | tar -x --no-same-permissions -C "$src"
    else
        cp -a "$source/." "$src/"
    fi
    log "dpkg-buildpackage -b (nocheck: the package test runs the test suites)"
    (cd "$src" && env DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" DEB_BUILD_PROFILES=nocheck \
        dpkg-buildpackage -us -uc -b) > "$out/deb/build.log" 2>&1 ||
        { tail -n 30 "$out/deb/build.log" >&2; die "dpkg-buildpackage failed (log: $out/deb/build.log)"; }
    version=$(cd "$src" && dpkg-parsechangelog -S Version)
    mv "$work/src/nestvirt_${version}_$arch.deb" "$out/deb/" || die "dpkg-buildpackage made no nestvirt_${version}_$arch.deb"
    deb=$out/deb/nestvirt_${version}_$arch.deb
    rm -rf "$work/src"
fi
log "package $deb"
if [ -z "$nestvirt_bin" ]; then
    dpkg-deb -x "$deb" "$work/deb"
    nestvirt_bin=$work/deb/usr/bin/nestvirt
fi
[ -x "$nestvirt_bin" ] || die "no nestvirt binary at $nestvirt_bin"
"$nestvirt_bin" --version > /dev/null 2>&1 || die "$nestvirt_bin does not run here (its libraries?); give --nestvirt FILE"

# ---------------------------------------------------------------- 2. root

step "2. root ($suite, $arch, $tool)"
if [ -z "$mirror" ]; then
    mirror=$(derive_mirror) || die "no Debian source for this machine's release in /etc/apt/sources.list(.d); give --mirror URL" 2
fi
log "mirror $mirror"
base_pkgs=(systemd-sysv udev kmod)
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
base_key=$(printf '%s\n' "base v1" "$suite" "$arch" "$mirror" minbase "${base_pkgs[@]}" | sha256sum | cut -c1-16)
base_tar=$layers/base-$suite-$arch-$base_key.tar.zst
if [ -s "$base_tar" ]; then
    log "debootstrap layer (cached) $base_tar"
else
    include_base=$(IFS=,; echo "${base_pkgs[*]}")
    log "debootstrap --variant=minbase --include=$include_base $suite"
    t0=$SECONDS
    kr=()
    [ -f "$keyring" ] && kr=(--keyring="$keyring")
    run_logged debootstrap debootstrap --variant=minbase --arch="$arch" --include="$include_base" "${kr[@]}" \
        "$suite" "$work/base" "$mirror" || die "debootstrap failed (log: $blog)"
    # Nothing of this machine in the image: debootstrap copies its hostname and resolver.
    rm -f "$work/base/etc/resolv.conf" "$work/base"/var/cache/apt/archives/*.deb
    echo localhost > "$work/base/etc/hostname"
    : > "$work/base/etc/machine-id"
    pack "$work/base" "$base_tar"
    rm -rf "$work/base"
    log "debootstrap layer in $((SECONDS - t0)) s: $base_tar ($(du -h "$base_tar" | cut -f1))"
fi

# libnftables1: the package's one dependency the minbase root lacks (dpkg -i installs none).
pkgs=("linux-image-$arch" "$tool" zstd libnftables1)
# busybox: what initramfs-tools recommends (BUSYBOX=auto takes it), left out by --no-install-recommends.
[ "$tool" = initramfs-tools ] && pkgs+=(busybox)
read -ra more <<< "${include//,/ }"
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" ${more[@]+"${more[@]}"} | LC_ALL=C sort -u)
layer_key=$(printf '%s\n' "layer v1" "$base_key" "$tool" "${pkgs[@]}" | sha256sum | cut -c1-16)
layer_tar=$layers/$tool-$suite-$arch-$layer_key.tar.zst
if [ -s "$layer_tar" ]; then
    log "kernel and $tool layer (cached) $layer_tar"
else
    log "apt-get install ${pkgs[*]}"
    t0=$SECONDS
    l=$work/layer
    unpack "$base_tar" "$l"
    # apt in the root resolves names as this machine does (removed again below).
    [ -e /etc/resolv.conf ] && cp -L /etc/resolv.conf "$l/etc/resolv.conf"
    apt=(apt-get -q -y -o Dpkg::Use-Pty=0 -o APT::Sandbox::User=root)
    # INITRD=No: the kernel's and the tool's hooks build no initramfs yet (step 4 does).
    install=(in_root "$l" INITRD=No DEBIAN_FRONTEND=noninteractive "${apt[@]}" install --no-install-recommends "${pkgs[@]}")
    if ! run_logged apt "${install[@]}"; then
        # The lists debootstrap left may be older than the mirror (a removed version: 404).
        log "apt-get install failed; updating the package lists once and trying again"
        if ! run_logged apt in_root "$l" "${apt[@]}" update || ! run_logged apt "${install[@]}"; then
            die "apt-get install ${pkgs[*]} failed in the root (log: $blog)"
        fi
    fi
    run_logged apt in_root "$l" apt-get clean || die "apt-get clean failed"
    rm -rf "$l"/var/lib/apt/lists/* "$l/etc/resolv.conf"
    ls "$l"/boot/vmlinuz-* > /dev/null 2>&1 || die "no kernel in /boot after installing linux-image-$arch"
    rm -f "$l"/boot/initrd.img-*
    pack "$l" "$layer_tar"
    rm -rf "$l"
    log "kernel and $tool layer in $((SECONDS - t0)) s: $layer_tar ($(du -h "$layer_tar" | cut -f1))"
fi
unpack "$layer_tar" "$root"
echo nestvirt-image > "$root/etc/hostname"
mapfile -t kvers < <(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V)
[ ${#kvers[@]} -gt 0 ] || die "no kernel in $root/boot"
log "root $root, kernel ${kvers[*]}"

# ---------------------------------------------------------------- 3. check

step "3. package, configuration and nestvirt check"
cp "$deb" "$root/tmp/nestvirt.deb"
# INITRD=No again: the package's update-initramfs trigger must not build one now.
run_logged dpkg in_root "$root" INITRD=No DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/nestvirt.deb ||
    die "dpkg -i $(basename "$deb") failed in the root (log: $blog)"
rm -f "$root/tmp/nestvirt.deb"
install -m 0644 "$config" "$root/etc/nestvirt.conf"
if [ -n "$files" ]; then
    # --no-overwrite-dir: the root's directories keep their modes; links like /lib stay links.
    (cd "$files" && tar --owner=0 --group=0 --numeric-owner -cf - .) |
        tar -C "$root" --keep-directory-symlink --no-overwrite-dir -xf -
fi
rc=0
"$nestvirt_bin" check --root "$root" > "$out/check.txt" 2>&1 || rc=$?
sed 's/^/    /' "$out/check.txt" >&2
if [ $rc != 0 ]; then
    echo "build-image: nestvirt check --root $root failed (exit $rc): fix the errors above; no initramfs was built" >&2
    exit 1
fi

# ---------------------------------------------------------------- 4. initramfs

step "4. initramfs ($tool)"
if [ "$tool" = dracut ]; then
    # An image's initramfs must not depend on the machine that built it (hostonly=no: all
    # drivers, not this machine's). zstd at -3: dracut's own zstd level (-15) took ten
    # times as long for a 10% smaller image.
    mkdir -p "$root/etc/dracut.conf.d"
    printf '%s\n' '# build-image.sh: a generic image, built in a chroot' 'hostonly="no"' \
        'hostonly_cmdline="no"' 'compress="zstd -q -T0 -3"' > "$root/etc/dracut.conf.d/50-image.conf"
fi
: > "$out/initramfs.txt"
for kver in "${kvers[@]}"; do
    t0=$SECONDS
    if [ "$tool" = dracut ]; then
        # The name and place Debian's kernel hook (/etc/kernel/postinst.d/dracut) uses.
        run_logged dracut in_root "$root" dracut --force "/boot/initrd.img-$kver" "$kver" ||
            die "dracut failed for $kver (log: $blog)"
        in_root "$root" lsinitrd "/boot/initrd.img-$kver" | awk '{ print $NF }' >> "$out/initramfs.txt"
    else
        run_logged update-initramfs in_root "$root" update-initramfs -c -k "$kver" ||
            die "update-initramfs failed for $kver (log: $blog)"
        in_root "$root" lsinitramfs "/boot/initrd.img-$kver" >> "$out/initramfs.txt"
    fi
    log "initrd.img-$kver: $(du -h "$root/boot/initrd.img-$kver" | cut -f1) in $((SECONDS - t0)) s"
done
# What nestvirt's module or hook puts in (paths as regular expressions): without them
# nestvirt would act only after switch-root, when the GPU drivers may hold the devices.
need='usr/bin/nestvirt etc/nestvirt\.conf vfio-pci\.ko(\.[a-z]+)?'
if [ "$tool" = dracut ]; then
    need="$need system-generators/nestvirt-generator nestvirt-vfio\\.service"
else
    need="$need scripts/init-top/nestvirt"
fi
missing=
for f in $need; do
    if ! grep -Eq "(^|/)$f\$" "$out/initramfs.txt"; then
        f=${f//\\/}
        missing="$missing ${f%%(*}"
    fi
done
[ -z "$missing" ] || die "the initramfs lacks nestvirt's files:$missing (is nestvirt's $tool support installed? list: $out/initramfs.txt)"
rc=0
"$nestvirt_bin" check --root "$root" > "$out/check-initramfs.txt" 2>&1 || rc=$?
if [ $rc != 0 ]; then
    sed 's/^/    /' "$out/check-initramfs.txt" >&2
    echo "build-image: nestvirt check --root $root failed after building the initramfs (exit $rc)" >&2
    exit 1
fi
log "the initramfs carries nestvirt and this configuration"

if [ $boot = 0 ]; then
    log "done: $root"
    exit 0
fi

# ---------------------------------------------------------------- 5. boot

step "5. boot in the lab"
[ -f "$lab/lib.sh" ] || die "no boot lab at $lab (--lab DIR: nestvirt's tests/lab)" 2
set +e
# shellcheck disable=SC2034  # LAB_*, K_* are lib.sh's inputs
(
    set -u
    export NESTVIRT_LAB_CACHE=$cache NESTVIRT_LAB_OUT=$out
    # shellcheck source=../lab/lib.sh
    . "$lab/lib.sh"
    lab_setup
    LAB_SCENARIO=image
    LAB_RUN=$out
    lab_probe_bin
    kver=${kvers[-1]}   # the newest, as a boot loader would pick it
    # The disk: the image plus the lab's report, which runs in the real root after
    # nestvirt's units and sends what it saw on the second serial port. A copy with
    # hard links, so the image itself gets no file of the lab.
    lr=$out/lab-root
    cp -al "$root" "$lr"
    mkdir -p "$lr/lab/bin" "$lr/etc/systemd/system/multi-user.target.wants"
    cp "$(command -v busybox)" "$lr/lab/bin/busybox"
    for a in $(busybox --list); do
        [ "$a" = busybox ] || ln -s busybox "$lr/lab/bin/$a"
    done
    install -m 0755 "$LAB_HERE/guest/report.sh" "$lr/lab/report.sh"
    install -m 0755 "$LAB_PROBE" "$lr/lab/vfio-probe"
    rm -f "$lr/etc/systemd/system/nestvirt-lab-report.service"
    sed -e 's/@STAGE@/root/g' -e 's/@AFTER@/nestvirt-vms.target systemd-journald.service/' \
        "$LAB_HERE/guest/nestvirt-lab-report.service" > "$lr/etc/systemd/system/nestvirt-lab-report.service"
    ln -sf ../nestvirt-lab-report.service "$lr/etc/systemd/system/multi-user.target.wants/"
    size=$(( $(du -sm "$lr" | cut -f1) * 5 / 4 + 128 ))
    mkfs.ext4 -q -F -L nestvirt-image -d "$lr" "$out/lab-root.ext4" "${size}M" || lab_die "mkfs.ext4 -d failed"
    rm -rf "$lr"
    lab_log "root disk $out/lab-root.ext4 (${size} MiB)"
    # The lab's rdinit would run the report in an initramfs-tools initramfs and power off
    # there; this one only hands over to the image's /init (a later archive replaces it).
    mkdir -p "$LAB_TMP/rdinit/lab"
    printf '#!/lab/bin/sh\nexec /init "$@"\n' > "$LAB_TMP/rdinit/lab/rdinit"
    chmod 0755 "$LAB_TMP/rdinit/lab/rdinit"
    (cd "$LAB_TMP/rdinit" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip > "$LAB_TMP/rdinit.cpio.gz"
    LAB_EXTRA_CPIO=("$LAB_TMP/rdinit.cpio.gz")
    if [ -z "$topology" ]; then
        topology=intel-8gpu-2node
        grep -q '^CONFIG_VIRTIO_IOMMU=[ym]' "$root/boot/config-$kver" 2>/dev/null && topology=virtio-2node-4dev
    fi
    K_VER=$kver
    K_VMLINUZ=$root/boot/vmlinuz-$kver
    lab_topology "$topology"
    LAB_REPORT_IN=root lab_boot boot "$root/boot/initrd.img-$kver" "root=LABEL=nestvirt-image rw rd.timeout=120" -- \
        -drive "file=$out/lab-root.ext4,format=raw,if=none,id=rootdisk,snapshot=on" \
        -device virtio-blk-pci,drive=rootdisk,bus=pcie.0,addr=0x5
    expect_report
    "$LAB_HERE/show-report.sh" "$R" | sed 's/^/    /' >&2
    expect_grep report '^lab stage root' "the boot reached the real root"
    expect_status_rc 0
    expect_json "ok, no problems" 's.get("ok") is True and s.get("problems") == []'
    expect_json "the initramfs carries the root's configuration" 's.get("initramfs_config") == "same"'
    expect_json "the initramfs's runs recorded what they did" \
        's["initramfs"]["reserve_hugepages"]["exit"] == 0 and s["initramfs"]["bind_vfio"]["exit"] == 0'
    pr=$(report_field probe-rc)
    [ "$pr" = 0 ] || [ "$pr" = none ]
    _lab_check $? "the VFIO probe passes on every device on vfio-pci" "probe-rc ${pr:-missing}"
    lab_finish
) >&2
rc=$?
set -e
[ $rc = 0 ] || die "the boot in the lab failed (results: $out/boot)" 4
log "done: $root booted to the real root; nestvirt status ok (results: $out/boot)"
