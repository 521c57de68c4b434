# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Boot lab library, sourced by boot.sh and run-image.sh.
#
#   lab_setup                       directories, build directory, tools
#   lab_stage                       `meson install --destdir` of the build into $LAB_STAGE
#   lab_kernel FLAVOUR              K_VER K_VMLINUZ K_MODULES K_ROOT K_VIRTIO_IOMMU
#   lab_image_dracut CONFIG [ARGS]  real dracut with the staged nestvirt module -> $IMAGE
#   lab_image_itools CONFIG [MODS]  real mkinitramfs with the staged hook/script -> $IMAGE
#   lab_boot NAME IMAGE TOPOLOGY [CMDLINE] [-- QEMU ARGS]   boots, collects -> $R (results dir)
#   expect_* ...                    assertions on the last boot ($R)
#   lab_finish                      summary line, exit status
#
# Environment: see tests/lab/README.md (NESTVIRT_LAB_CACHE, NESTVIRT_BUILD_DIR,
# NESTVIRT_LAB_OUT, LAB_TIMEOUT, LAB_ACCEL, LAB_SMP...).

lab_log() { echo "lab: $*" >&2; }
lab_die() { echo "lab: error: $*" >&2; exit 1; }

LAB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO=$(cd "$LAB_HERE/../.." && pwd)

lab_setup() {
    LAB_CACHE=${NESTVIRT_LAB_CACHE:-$LAB_REPO/build-lab/cache}
    mkdir -p "$LAB_CACHE"
    LAB_CACHE=$(cd "$LAB_CACHE" && pwd)
    LAB_BUILD=${NESTVIRT_BUILD_DIR:-$LAB_REPO/build}
    # Results: build-lab/runs, or BUILD/lab-runs when run by `meson test` (which
    # sets NESTVIRT_BUILD_DIR), so that a direct run and a test run do not mix.
    if [ -n "${NESTVIRT_LAB_OUT:-}" ]; then
        LAB_OUT=$NESTVIRT_LAB_OUT
    elif [ -n "${NESTVIRT_BUILD_DIR:-}" ]; then
        LAB_OUT=$NESTVIRT_BUILD_DIR/lab-runs
    else
        LAB_OUT=$LAB_REPO/build-lab/runs
    fi
    mkdir -p "$LAB_OUT"
    LAB_OUT=$(cd "$LAB_OUT" && pwd)
    LAB_TIMEOUT=${LAB_TIMEOUT:-600}
    LAB_ACCEL=${LAB_ACCEL:-tcg}
    LAB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/nestvirt-lab.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$LAB_TMP'" EXIT
    LAB_PASS=0
    LAB_FAIL=0
    LAB_FAILED_CHECKS=()
    LAB_T0=$(date +%s)
    command -v qemu-system-x86_64 > /dev/null || lab_die "qemu-system-x86_64 not found (tests/deps.sh installs tests/lab/packages.txt)"
    command -v busybox > /dev/null || lab_die "busybox not found (busybox-static)"
}

# ---------------------------------------------------------------- build inputs

# lab_stage: installs the build directory into $LAB_STAGE (DESTDIR), the way a
# package would; the images take nestvirt's files (and the dracut module and the
# initramfs-tools hook, as installed) from there. NESTVIRT_LAB_STAGE=DIR uses an
# existing tree instead.
lab_stage() {
    [ -n "${LAB_STAGE:-}" ] && return 0
    if [ -n "${NESTVIRT_LAB_STAGE:-}" ]; then
        LAB_STAGE=$(cd "$NESTVIRT_LAB_STAGE" && pwd)
    else
        [ -f "$LAB_BUILD/build.ninja" ] || lab_die "no build directory $LAB_BUILD (meson setup build && ninja -C build, or NESTVIRT_BUILD_DIR)"
        LAB_STAGE=$LAB_TMP/stage
        meson install -C "$LAB_BUILD" --destdir "$LAB_STAGE" --no-rebuild --quiet > "$LAB_TMP/meson-install.log" 2>&1 ||
            { cat "$LAB_TMP/meson-install.log" >&2; lab_die "meson install --destdir failed"; }
    fi
    LAB_NV_BIN=$(ls "$LAB_STAGE"/usr/bin/nestvirt "$LAB_STAGE"/usr/local/bin/nestvirt 2>/dev/null | head -n1)
    [ -n "$LAB_NV_BIN" ] || lab_die "no nestvirt binary in $LAB_STAGE"
    LAB_DRACUT_MODULE=$(ls -d "$LAB_STAGE"/usr/lib/dracut/modules.d/90nestvirt 2>/dev/null | head -n1)
    LAB_ITOOLS=$LAB_STAGE/usr/share/initramfs-tools
    # Content hash of the staged tree: part of every image's cache key.
    LAB_STAGE_HASH=$(cd "$LAB_STAGE" && find . \( -type f -o -type l \) -print0 | LC_ALL=C sort -z |
        xargs -0 sha256sum 2>/dev/null | sha256sum | cut -c1-16)
}

lab_kernel() {
    local flavour=$1 kinfo
    kinfo=$("$LAB_HERE/fetch-kernel.sh" "$flavour" "$LAB_CACHE") || lab_die "fetch-kernel.sh $flavour failed"
    K_FLAVOUR=$flavour
    K_VER=$(sed -n 's/^KVER=//p' <<<"$kinfo")
    K_VMLINUZ=$(sed -n 's/^VMLINUZ=//p' <<<"$kinfo")
    K_MODULES=$(sed -n 's/^MODULES=//p' <<<"$kinfo")
    K_ROOT=$(sed -n 's/^KERNEL_ROOT=//p' <<<"$kinfo")
    K_VIRTIO_IOMMU=$(sed -n 's/^VIRTIO_IOMMU=//p' <<<"$kinfo")
}

# lab_tool_bin NAME: the lab's tests/lab/NAME.c (with its NAME-*.c and NAME.h, if any),
# statically linked: from the build directory when meson built it after the last change
# of its sources, else compiled here (cached by source hash). Sets LAB_TOOL.
lab_tool_bin() {
    local name=$1 h out f built=$LAB_BUILD/tests/lab/$1 srcs=() cfiles=() fresh=1
    for f in "$LAB_HERE/$name.c" "$LAB_HERE/$name"-*.c "$LAB_HERE/$name.h"; do
        [ -e "$f" ] || continue
        srcs+=("$f")
        [ "${f%.c}" = "$f" ] || cfiles+=("$f")
        [ "$built" -nt "$f" ] || fresh=0
    done
    if [ -x "$built" ] && [ $fresh = 1 ]; then
        LAB_TOOL=$built
        return 0
    fi
    h=$(cat "${srcs[@]}" | sha256sum | cut -c1-16)
    out=$LAB_CACHE/tools/$name-$h
    if [ ! -x "$out" ]; then
        mkdir -p "$LAB_CACHE/tools"
        cc -static -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$out.tmp.$$" "${cfiles[@]}" ||
            lab_die "cannot build $name"
        mv "$out.tmp.$$" "$out"
    fi
    LAB_TOOL=$out
}

# The vfio probe (vfio-probe.c). Sets LAB_PROBE.
lab_probe_bin() {
    lab_tool_bin vfio-probe
    LAB_PROBE=$LAB_TOOL
}

# lab_overlay: a cpio (gzip) appended to the image under test: /lab/bin (busybox),
# /lab/report.sh, /lab/rdinit, /lab/vfio-probe, and the report unit enabled in
# the initrd (systemd initrds; initramfs-tools ones get the report through
# /lab/rdinit). Sets LAB_OVERLAY.
lab_overlay() {
    local kind=${1:-initrd} h dir a
    lab_probe_bin
    h=$(cat "$LAB_HERE"/guest/* "$LAB_PROBE" "$(command -v busybox)" | sha256sum | cut -c1-16)
    LAB_OVERLAY=$LAB_CACHE/overlay/overlay-$kind-$h.cpio.gz
    [ -s "$LAB_OVERLAY" ] && return 0
    dir=$LAB_TMP/overlay-$kind
    rm -rf "$dir"
    mkdir -p "$dir/lab/bin" "$dir/etc/systemd/system"
    cp "$(command -v busybox)" "$dir/lab/bin/busybox"
    for a in $(busybox --list); do
        [ "$a" = busybox ] || ln -s busybox "$dir/lab/bin/$a"
    done
    install -m 0755 "$LAB_HERE/guest/report.sh" "$dir/lab/report.sh"
    install -m 0755 "$LAB_HERE/guest/rdinit" "$dir/lab/rdinit"
    install -m 0755 "$LAB_PROBE" "$dir/lab/vfio-probe"
    if [ "$kind" = initrd ]; then
        sed -e 's/@STAGE@/initrd/g' -e 's/@AFTER@//' "$LAB_HERE/guest/nestvirt-lab-report.service" \
            > "$dir/etc/systemd/system/nestvirt-lab-report.service"
        mkdir -p "$dir/etc/systemd/system/initrd.target.wants"
        ln -s ../nestvirt-lab-report.service "$dir/etc/systemd/system/initrd.target.wants/"
    fi
    mkdir -p "$(dirname "$LAB_OVERLAY")"
    (cd "$dir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -6 > "$LAB_OVERLAY.tmp.$$"
    mv "$LAB_OVERLAY.tmp.$$" "$LAB_OVERLAY"
}

# lab_cpio DIR OUT: DIR as one more archive for lab_boot (LAB_EXTRA_CPIO=(OUT)), owners
# and modes as they are in DIR (the kernel unpacks it over the image: an entry replaces
# a file of the same path, even one of another type). Fault scenarios (11-16) use it to
# put broken configurations and their report parts into an image without rebuilding it.
lab_cpio() {
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 > "$2" || lab_die "cpio of $1 failed"
}

# Images are cached by their inputs (the staged build among them), so every
# change to nestvirt makes new ones: drop those unused for a day.
lab_prune() {
    find "$LAB_CACHE/images" -maxdepth 1 -type f \( -name '*.img' -o -name '*.ext4' -o -name '*.log' -o -name '*.tmp.*' \) \
        -mmin +1440 -delete 2>/dev/null || true
}

# A dracut base directory: the host's /usr/lib/dracut with the staged nestvirt
# module added to modules.d (symlinks; the host's dracut is not touched).
lab_dracutbase() {
    local base=$LAB_TMP/dracutbase e
    [ -d "$base" ] && { LAB_DRACUTBASE=$base; return 0; }
    [ -d /usr/lib/dracut/modules.d ] || lab_die "dracut not installed (dracut-core)"
    [ -n "$LAB_DRACUT_MODULE" ] || lab_die "the build did not install the dracut module (90nestvirt)"
    mkdir -p "$base/modules.d"
    for e in /usr/lib/dracut/*; do
        [ "${e##*/}" = modules.d ] || ln -s "$e" "$base/${e##*/}"
    done
    for e in /usr/lib/dracut/modules.d/*; do
        [ "${e##*/}" = 90nestvirt ] || ln -s "$e" "$base/modules.d/${e##*/}"
    done
    ln -s "$LAB_DRACUT_MODULE" "$base/modules.d/90nestvirt"
    LAB_DRACUTBASE=$base
}

# lab_src CONFIG: a source tree for the image builders, the staged install plus
# /etc/nestvirt.conf = CONFIG (empty CONFIG: no configuration file).
lab_src() {
    local config=$1 src
    src=$LAB_TMP/src-$(printf '%s' "$config" | sha256sum | cut -c1-12)
    if [ ! -d "$src" ]; then
        cp -a "$LAB_STAGE" "$src"
        if [ -n "$config" ]; then
            mkdir -p "$src/etc"
            printf '%s\n' "$config" > "$src/etc/nestvirt.conf"
            chmod 0644 "$src/etc/nestvirt.conf"
        fi
    fi
    LAB_SRC=$src
}

# lab_image_dracut CONFIG [DRACUT ARGS...]: builds (or takes from the cache) an
# initramfs with the real dracut for $K_VER, with the nestvirt module from the
# staged build (NESTVIRT_DRACUT_SOURCE) and CONFIG as /etc/nestvirt.conf.
# e1000e (the "GPU" driver) is in the image, autoloaded by udev coldplug like a
# GPU driver in a real initramfs. Uncompressed: gzip took most of the build (55 s
# against 9 s for the 6.1 kernel's uncompressed modules) and saved no boot time;
# compressed images are covered by scenario 8 and run-image.sh. Sets IMAGE and
# IMAGE_SECONDS (build time, 0 if cached).
lab_image_dracut() {
    local config=$1; shift
    local key t0 log nv_args="--add nestvirt"
    # LAB_DRACUT_NESTVIRT=0: an image without nestvirt (scenario 9).
    [ "${LAB_DRACUT_NESTVIRT:-1}" = 0 ] && nv_args="--omit nestvirt"
    lab_stage
    key=$( { echo "dracut v2 $K_VER $LAB_STAGE_HASH $nv_args"; printf '%s\n' "$config" "$@";
             dracut --version 2>/dev/null; } | sha256sum | cut -c1-16)
    IMAGE=$LAB_CACHE/images/dracut-$K_VER-$key.img
    IMAGE_SECONDS=0
    [ -s "$IMAGE" ] && { touch "$IMAGE"; lab_log "dracut image (cached) $IMAGE"; return 0; }
    lab_prune
    lab_src "$config"
    lab_dracutbase
    mkdir -p "$LAB_CACHE/images" "$LAB_TMP/dracut-confdir" "$LAB_TMP/dracut-tmp"
    log=$LAB_CACHE/images/dracut-$K_VER-$key.log
    lab_log "dracut: building the image for $K_VER ($*)"
    t0=$(date +%s)
    if ! env dracutbasedir="$LAB_DRACUTBASE" NESTVIRT_DRACUT_SOURCE="$LAB_SRC" \
        dracut --force --quiet --no-hostonly --no-hostonly-cmdline --reproducible \
            --conf /dev/null --confdir "$LAB_TMP/dracut-confdir" --tmpdir "$LAB_TMP/dracut-tmp" \
            --kver "$K_VER" --kmoddir "$K_MODULES" \
            --no-early-microcode --no-compress \
            $nv_args --add-drivers e1000e \
            "$@" "$IMAGE.tmp.$$" > "$log" 2>&1; then
        tail -n 30 "$log" >&2
        lab_die "dracut failed (log: $log)"
    fi
    mv "$IMAGE.tmp.$$" "$IMAGE"
    IMAGE_SECONDS=$(( $(date +%s) - t0 ))
    lab_log "dracut: $(du -h "$IMAGE" | cut -f1) in ${IMAGE_SECONDS}s"
}

# lab_image_itools CONFIG [MODULE...]: the same with the real mkinitramfs
# (initramfs-tools), the staged hook and init-top script in a private
# configuration directory (-d), and MODULE... added (default e1000e, not forced
# to load: udev coldplug loads it). mkinitramfs reads /lib/modules/VERSION and
# /boot/config-VERSION of the target kernel: both are bind-mounted from the
# extracted kernel in a private mount namespace (an empty /usr/lib/modules is
# created on a host that has none).
lab_image_itools() {
    local config=$1; shift
    local mods=${*:-e1000e} key t0 log conf
    lab_stage
    command -v mkinitramfs > /dev/null || lab_die "mkinitramfs not found (initramfs-tools-core)"
    [ -x "$LAB_ITOOLS/hooks/nestvirt" ] || lab_die "the build did not install the initramfs-tools hook"
    key=$( { echo "itools v2 $K_VER $LAB_STAGE_HASH $mods"; printf '%s\n' "$config";
             dpkg-query -W initramfs-tools-core 2>/dev/null; } | sha256sum | cut -c1-16)
    IMAGE=$LAB_CACHE/images/itools-$K_VER-$key.img
    IMAGE_SECONDS=0
    [ -s "$IMAGE" ] && { touch "$IMAGE"; lab_log "initramfs-tools image (cached) $IMAGE"; return 0; }
    lab_prune
    lab_src "$config"
    conf=$LAB_TMP/itools-conf
    rm -rf "$conf"
    mkdir -p "$conf/hooks" "$conf/scripts/init-top" "$conf/conf.d"
    cat > "$conf/initramfs.conf" <<'EOF'
MODULES=list
BUSYBOX=auto
KEYMAP=n
COMPRESS=gzip
DEVICE=
NFSROOT=auto
RUNSIZE=10%
FSTYPE=auto
EOF
    printf '%s\n' $mods > "$conf/modules.lab"
    : > "$conf/modules"
    cp "$LAB_ITOOLS/hooks/nestvirt" "$conf/hooks/nestvirt"
    cp "$LAB_ITOOLS/scripts/init-top/nestvirt" "$conf/scripts/init-top/nestvirt"
    # Lab hook: put the "GPU" driver in the image without forcing it to load.
    cat > "$conf/hooks/zz-nestvirt-lab" <<EOF
#!/bin/sh
case "\$1" in prereqs) exit 0 ;; esac
. /usr/share/initramfs-tools/hook-functions
manual_add_modules $mods
EOF
    chmod 755 "$conf/hooks/"*
    mkdir -p "$LAB_CACHE/images"
    log=$LAB_CACHE/images/itools-$K_VER-$key.log
    local moddir_parent=${K_MODULES%/*}
    [ -d /usr/lib/modules ] || [ -L /lib/modules ] || mkdir -p /usr/lib/modules
    [ -d /usr/lib/modules ] || lab_die "/lib/modules is not a directory"
    lab_log "mkinitramfs: building the image for $K_VER"
    t0=$(date +%s)
    if ! NESTVIRT_INITRAMFS_SOURCE="$LAB_SRC" unshare -m --propagation private sh -ec '
            mount --bind "$1" /usr/lib/modules
            mount --bind "$2/boot" /boot
            mkinitramfs -d "$3" -o "$4" "$5"' sh \
            "$moddir_parent" "$K_ROOT" "$conf" "$IMAGE.tmp.$$" "$K_VER" > "$log" 2>&1; then
        tail -n 30 "$log" >&2
        lab_die "mkinitramfs failed (log: $log)"
    fi
    mv "$IMAGE.tmp.$$" "$IMAGE"
    IMAGE_SECONDS=$(( $(date +%s) - t0 ))
    lab_log "mkinitramfs: $(du -h "$IMAGE" | cut -f1) in ${IMAGE_SECONDS}s"
}

# lab_rootfs CONFIG: an ext4 image (label nestvirt-root) for boots that switch
# root: a minimal Debian tree from this host's packages (mkrootfs.sh, cached),
# the kernel's modules, the staged nestvirt install, CONFIG as /etc/nestvirt.conf
# and the lab report unit enabled in multi-user.target. LAB_ROOT_FILES=DIR: a
# tree of a scenario's own files, copied over it last (report.sh runs its
# lab/report.d/*.sh). Sets ROOTIMG and ROOT_QEMU (the QEMU arguments of a
# virtio-blk disk at 0000:00:05.0).
lab_rootfs() {
    local config=$1 base key tree size files=
    lab_stage
    lab_probe_bin
    base=$LAB_CACHE/rootfs/base
    "$LAB_HERE/mkrootfs.sh" "$base" || lab_die "mkrootfs.sh failed"
    if [ -n "${LAB_ROOT_FILES:-}" ]; then
        files=$(cd "$LAB_ROOT_FILES" && { find . -printf '%m %y %p\n' | LC_ALL=C sort;
                find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum; } | sha256sum | cut -c1-16)
    fi
    key=$( { echo "root v1 $K_VER $LAB_STAGE_HASH"; cat "$base/.packages"; printf '%s\n' "$config";
             cat "$LAB_HERE"/guest/* "$LAB_PROBE"; [ -z "$files" ] || echo "files $files"; } | sha256sum | cut -c1-16)
    ROOTIMG=$LAB_CACHE/images/root-$K_VER-$key.ext4
    ROOT_QEMU=(-drive "file=$ROOTIMG,format=raw,if=none,id=rootdisk,snapshot=on"
               -device virtio-blk-pci,drive=rootdisk,bus=pcie.0,addr=0x5)
    [ -s "$ROOTIMG" ] && { touch "$ROOTIMG"; lab_log "root image (cached) $ROOTIMG"; return 0; }
    lab_prune
    tree=$LAB_CACHE/rootfs/tree-$$
    rm -rf "$tree"
    cp -a "$base" "$tree"
    mkdir -p "$tree/usr/lib/modules"
    cp -a "$K_MODULES" "$tree/usr/lib/modules/"
    # The staged install; its /lib lands in /usr/lib through the merged-/usr links.
    (cd "$LAB_STAGE" && tar -cf - .) | tar -C "$tree" --keep-directory-symlink -xf -
    if [ -n "$config" ]; then
        printf '%s\n' "$config" > "$tree/etc/nestvirt.conf"
        chmod 0644 "$tree/etc/nestvirt.conf"
    fi
    mkdir -p "$tree/lab/bin" "$tree/etc/systemd/system/multi-user.target.wants"
    cp "$(command -v busybox)" "$tree/lab/bin/busybox"
    for a in $(busybox --list); do
        [ "$a" = busybox ] || ln -sf busybox "$tree/lab/bin/$a"
    done
    install -m 0755 "$LAB_HERE/guest/report.sh" "$tree/lab/report.sh"
    install -m 0755 "$LAB_PROBE" "$tree/lab/vfio-probe"
    sed -e 's/@STAGE@/root/g' -e 's/@AFTER@/nestvirt-vms.target systemd-journald.service/' \
        "$LAB_HERE/guest/nestvirt-lab-report.service" > "$tree/etc/systemd/system/nestvirt-lab-report.service"
    ln -sf ../nestvirt-lab-report.service "$tree/etc/systemd/system/multi-user.target.wants/"
    if [ -n "$files" ]; then
        # --no-overwrite-dir: the tree's directories keep their modes (/ stays 0755).
        (cd "$LAB_ROOT_FILES" && tar -cf - .) | tar -C "$tree" --keep-directory-symlink --no-overwrite-dir -xf -
    fi
    size=$(( $(du -sm "$tree" | cut -f1) + 160 ))
    mkdir -p "$LAB_CACHE/images"
    mkfs.ext4 -q -F -L nestvirt-root -d "$tree" "$ROOTIMG.tmp.$$" "${size}M" > /dev/null || lab_die "mkfs.ext4 -d failed"
    mv "$ROOTIMG.tmp.$$" "$ROOTIMG"
    rm -rf "$tree"
    lab_log "root image ${size} MiB: $ROOTIMG"
}

# ---------------------------------------------------------------- booting

# lab_topology NAME [SED-EXPR]: QEMU arguments of a topology, optionally edited
# (e.g. 's/intremap=on/intremap=off/'). Sets TOPO_ARGS and TOPO_CMDLINE.
# Nodes get LAB_NODE_MEM GiB (default 10; see topology.sh and README.md on why).
lab_topology() {
    local name=$1 edit=${2:-}
    TOPO_NAME=$name
    if [ -n "$edit" ]; then
        mapfile -t TOPO_ARGS < <(TOPOLOGY_NODE_MEM=${LAB_NODE_MEM:-10} "$LAB_HERE/topology.sh" "$name" | sed -e "$edit")
    else
        mapfile -t TOPO_ARGS < <(TOPOLOGY_NODE_MEM=${LAB_NODE_MEM:-10} "$LAB_HERE/topology.sh" "$name")
    fi
    [ ${#TOPO_ARGS[@]} -gt 0 ] || lab_die "unknown topology $name"
    TOPO_CMDLINE=$("$LAB_HERE/topology.sh" --cmdline "$name")
}

# lab_boot NAME IMAGE [CMDLINE WORDS] [-- EXTRA QEMU ARGS]: boots $K_VMLINUZ with
# IMAGE + the lab overlay on TOPO_ARGS (lab_topology first), collects the report
# of the guest into $LAB_RUN/NAME and sets R to it. BOOT_SECONDS: wall time of
# QEMU. Returns 1 when no complete report came back.
lab_boot() {
    local name=$1 image=$2 words=${3:-}
    shift 2; [ $# -gt 0 ] && shift
    [ "${1:-}" = -- ] && shift
    local extra=("$@") initrd cmdline rc t0
    lab_overlay "${LAB_REPORT_IN:-initrd}"
    R=$LAB_RUN/$name
    rm -rf "$R"
    mkdir -p "$R"
    initrd=$LAB_TMP/initrd-$name.img
    # The overlay is appended as a second archive; the kernel unpacks both.
    cat "$image" > "$initrd"
    truncate -s %512 "$initrd"
    cat "$LAB_OVERLAY" >> "$initrd"
    # More archives (run-image.sh --dropin), each on a 512-byte boundary.
    local x
    for x in ${LAB_EXTRA_CPIO[@]+"${LAB_EXTRA_CPIO[@]}"}; do
        truncate -s %512 "$initrd"
        cat "$x" >> "$initrd"
    done
    cmdline="console=ttyS0,115200 panic=-1 rdinit=/lab/rdinit rd.emergency=poweroff rd.shell=0"
    cmdline="$cmdline systemd.show_status=1 lab.boot=$name"
    [ -n "$TOPO_CMDLINE" ] && cmdline="$cmdline $TOPO_CMDLINE"
    [ -n "$words" ] && cmdline="$cmdline $words"
    case " $cmdline " in
        # A real root: keep udev from loading what the lab does not need and
        # what is slow under TCG (its settle is part of every root boot).
        *" root="*) cmdline="$cmdline module_blacklist=bochs,kvm,kvm_amd,kvm_intel,iTCO_wdt,iTCO_vendor_support,pcspkr,i2c_i801,lpc_ich,psmouse,joydev,evdev,snd_hda_intel" ;;
        # No root file system: the report powers the machine off in the initrd;
        # until then the initrd waits for a device that never comes.
        *) cmdline="$cmdline root=LABEL=nestvirt-lab-none" ;;
    esac
    local qemu=(qemu-system-x86_64 -accel "$LAB_ACCEL" "${TOPO_ARGS[@]}" "${extra[@]}"
                -display none -monitor none -no-reboot
                -serial "file:$R/console.log" -serial "file:$R/report.txt"
                -kernel "$K_VMLINUZ" -initrd "$initrd" -append "$cmdline")
    printf '%q ' "${qemu[@]}" > "$R/qemu-command"
    echo >> "$R/qemu-command"
    echo "$K_VER" > "$R/kernel"
    lab_log "boot $name: $K_VER, ${TOPO_NAME:-?}, $words"
    local try
    for try in 1 2; do
        t0=$EPOCHREALTIME
        rc=0
        : > "$R/console.log"; : > "$R/report.txt"
        timeout -k 10 "$LAB_TIMEOUT" "${qemu[@]}" > "$R/qemu.log" 2>&1 &
        local qpid=$! down="" stalled=0
        # QEMU was seen (1 boot in ~15) not to exit after the guest powered off, which cost
        # the whole LAB_TIMEOUT: once the kernel says so, give it 20 s, then stop it.
        # And once in ~100 boots a vCPU of the emulation stopped getting timer interrupts
        # (RCU stall, "Possible timer handling issue", before anything of nestvirt ran): the
        # boot then crawls to LAB_TIMEOUT. Stop it and boot again, as for an early crash.
        while kill -0 "$qpid" 2>/dev/null; do
            sleep 1
            if [ $try = 1 ] && grep -q 'Possible timer handling issue' "$R/console.log" 2>/dev/null; then
                stalled=1
                kill "$qpid" 2>/dev/null
                break
            fi
            if [ -z "$down" ] && grep -q 'reboot: Power down' "$R/console.log" 2>/dev/null; then
                down=$SECONDS
            fi
            if [ -n "$down" ] && [ $((SECONDS - down)) -ge 20 ]; then
                lab_log "boot $name: QEMU did not exit 20 s after the guest powered off; stopping it"
                kill "$qpid" 2>/dev/null
                break
            fi
        done
        wait "$qpid" || rc=$?
        BOOT_SECONDS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
        echo "$BOOT_SECONDS" > "$R/boot-seconds"
        tr -d '\r' < "$R/report.txt" > "$R/report.clean" 2>/dev/null || : > "$R/report.clean"
        grep -q '^LAB-REPORT-END' "$R/report.clean" && break
        if [ $stalled = 1 ]; then
            cp "$R/console.log" "$R/console.stalled.log"
            lab_log "boot $name: a vCPU of the emulation stopped getting timer interrupts (RCU stall); booting again"
            LAB_EARLY_CRASHES=$(( ${LAB_EARLY_CRASHES:-0} + 1 ))
            continue
        fi
        # The guest kernel oopsed before it ran the first process: a fault of the
        # emulation (seen once in ~60 boots under multi-threaded TCG: "Oops: int3"
        # in timer code while the kernel patches its text), not of anything under
        # test. Boot once more; anything later is a failure.
        if [ $try = 1 ] && ! grep -q 'Run /lab/rdinit' "$R/console.log" &&
           grep -qE 'Oops|Kernel panic|BUG:' "$R/console.log"; then
            cp "$R/console.log" "$R/console.crashed-early.log"
            lab_log "boot $name: the guest kernel crashed before userspace ($(grep -m1 -E 'Oops|BUG:|Kernel panic' "$R/console.log" | tr -d '\r')); booting again"
            LAB_EARLY_CRASHES=$(( ${LAB_EARLY_CRASHES:-0} + 1 ))
            continue
        fi
        break
    done
    sed -n '/^status-json-begin$/,/^status-json-end$/{/^status-json-/d;p}' "$R/report.clean" > "$R/status.json"
    if ! grep -q '^LAB-REPORT-END' "$R/report.clean"; then
        lab_log "boot $name: no complete report (QEMU exit $rc after ${BOOT_SECONDS}s); console tail:"
        tail -n 40 "$R/console.log" | sed 's/^/    /' >&2
        LAB_BOOTS_FAILED=$(( ${LAB_BOOTS_FAILED:-0} + 1 ))
        return 1
    fi
    lab_log "boot $name: report received after ${BOOT_SECONDS}s (guest uptime at report $(sed -n 's/^lab uptime-settled //p' "$R/report.clean")s)"
    return 0
}

# ---------------------------------------------------------------- assertions

_lab_check() {   # _lab_check OK DESCRIPTION [DETAIL]
    if [ "$1" = 0 ]; then
        LAB_PASS=$((LAB_PASS + 1))
        echo "ok - ${R##*/}: $2"
    else
        LAB_FAIL=$((LAB_FAIL + 1))
        LAB_FAILED_CHECKS+=("${R##*/}: $2")
        echo "not ok - ${R##*/}: $2${3:+ ($3)}"
    fi
}

report_field() { sed -n "s/^$1 //p" "$R/report.clean"; }

pci_attr() {     # pci_attr ADDR KEY -> value of KEY= on the device's pci line
    awk -v a="$1" -v k="$2" '$1 == "pci" && $2 == a { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$R/report.clean"
}

expect_report() {       # a complete report arrived
    grep -q '^LAB-REPORT-END' "$R/report.clean" 2>/dev/null
    _lab_check $? "report received"
}

expect_driver() {       # expect_driver ADDR DRIVER|none
    local got
    got=$(pci_attr "$1" driver)
    [ "$got" = "$2" ]
    _lab_check $? "$1 driver is $2" "got ${got:-no such device}"
}

expect_pages() {        # expect_pages NODE COUNT
    local got
    got=$(awk -v n="node$1" '$1 == "hugepages" && $2 == n { sub("nr=", "", $3); print $3 }' "$R/report.clean")
    [ "$got" = "$2" ]
    _lab_check $? "node $1 has $2 1 GiB pages" "got ${got:-none}"
}

expect_unsafe() {       # expect_unsafe Y|N|absent
    local got
    got=$(report_field unsafe-interrupts)
    [ "$got" = "$1" ] || { [ "$1" = N ] && [ "$got" = absent ]; }
    _lab_check $? "allow_unsafe_interrupts is $1" "got ${got:-nothing}"
}

expect_probe() {        # expect_probe ok ADDR... | none
    if [ "$1" = none ]; then
        [ "$(report_field probe-rc)" = none ]
        _lab_check $? "no device on vfio-pci to probe" "probe-rc $(report_field probe-rc)"
        return
    fi
    shift
    local a bad=
    for a in "$@"; do
        grep -q "^vfio-probe $a result ok" "$R/report.clean" || bad="$bad $a"
    done
    [ -z "$bad" ]
    _lab_check $? "vfio probe (group, container, VFIO_SET_IOMMU TYPE1v2, device fd) succeeds on $*" \
        "failed:$bad; $(grep -E "^vfio-probe .* FAIL" "$R/report.clean" | grep -v ' result ' | head -n 4 | tr '\n' ';')"
}

expect_status_rc() {    # expect_status_rc N
    local got
    got=$(report_field status-rc)
    [ "$got" = "$1" ]
    _lab_check $? "nestvirt status --json exits $1" "got ${got:-nothing}; $(sed -n 's/^status-stderr //p' "$R/report.clean" | head -n 3 | tr '\n' ';')"
}

# expect_json DESCRIPTION PYTHON-EXPR: EXPR over `s` (status JSON) is true.
expect_json() {
    local desc=$1 expr=$2 out
    out=$(python3 - "$R/status.json" "$expr" 2>&1 <<'PY'
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"status JSON unreadable: {e}")
    sys.exit(1)
def dev(addr):
    return next((d for d in s.get("devices", []) if d.get("address") == addr), {})
def node(n):
    return next((h for h in s.get("hugepages", []) if h.get("node") == n), {})
try:
    ok = eval(sys.argv[2])
except Exception as e:
    print(f"{type(e).__name__}: {e}")
    sys.exit(1)
if not ok:
    print("false")
sys.exit(0 if ok else 1)
PY
)
    _lab_check $? "status: $desc" "$out"
}

# No `grep -q` at the end of a pipe: it exits at the first match, and under pipefail the
# writer's SIGPIPE (a report over 64 KiB, the pipe's size) would fail the check.
expect_grep() {         # expect_grep FILE(console|report) REGEX DESCRIPTION
    local f=$R/console.log
    [ "$1" = report ] && f=$R/report.clean
    tr -d '\r' < "$f" | grep -E -- "$2" > /dev/null
    _lab_check $? "$3" "no match for /$2/ in $1"
}

expect_no_grep() {      # expect_no_grep FILE(console|report) REGEX DESCRIPTION
    local f=$R/console.log
    [ "$1" = report ] && f=$R/report.clean
    ! tr -d '\r' < "$f" | grep -E -- "$2" > /dev/null
    _lab_check $? "$3" "$(tr -d '\r' < "$f" | grep -E -- "$2" | head -n 2 | tr '\n' ';')"
}

lab_finish() {
    local total=$(( $(date +%s) - LAB_T0 ))
    if [ "$LAB_FAIL" -gt 0 ]; then
        printf '%s\n' "failed checks:" "${LAB_FAILED_CHECKS[@]/#/  }"
    fi
    [ "${LAB_EARLY_CRASHES:-0}" = 0 ] || echo "# emulation faults (an early guest kernel crash or a vCPU without timer interrupts), booted again: ${LAB_EARLY_CRASHES} time(s)"
    echo "lab ${LAB_SCENARIO:-}: $LAB_PASS passed, $LAB_FAIL failed, ${total}s (results in $LAB_RUN)"
    [ "$LAB_FAIL" = 0 ]
}
