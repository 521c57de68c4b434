#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# dracut module: nestvirt in the initramfs.
#
# Installs nestvirt-generator, /usr/bin/nestvirt (with its libraries), the static
# units, the configuration (/etc/nestvirt.conf, /etc/nestvirt.conf.d/*.conf,
# /usr/lib/nestvirt.conf.d/*.conf, each at its own path) and the vfio modules.
# In the initrd the generator pulls nestvirt-hugepages.service and
# nestvirt-vfio.service into sysinit.target, so 1 GiB pages are reserved and the
# devices claimed before systemd-udev-trigger.service (coldplug) loads their drivers.
#
# check(): 0 whenever nestvirt is installed (the binary and the generator exist),
# also without a configuration: an image built before the configuration was written
# then carries an empty manifest, and `nestvirt check`/`status` can tell that the
# initramfs copy differs. 1 (not included) when nestvirt is not installed.
#
# The configuration goes into the image as is, at its own path, and a manifest
# /usr/lib/nestvirt/initrd-config.sha256 (sha256sum format, one line per file,
# logical path) records what was copied, so the running system can compare.
#
# Test hook: NESTVIRT_DRACUT_SOURCE=DIR takes nestvirt's own files (binary,
# generator, units, configuration) from DIR instead of / (e.g. a
# `meson install --destdir DIR` staging tree). Everything else (systemd, libraries,
# kernel modules) comes from where dracut takes it. Meant for an empty
# $dracutsysrootdir; without the hook, $dracutsysrootdir is honoured.

# Where nestvirt's files are read from: the test hook, else the sysroot.
_nv_src() {
    if [[ -n ${NESTVIRT_DRACUT_SOURCE-} ]]; then
        printf '%s' "${NESTVIRT_DRACUT_SOURCE%/}"
    else
        printf '%s' "${dracutsysrootdir-}"
    fi
}

# _nv_find NAME DIR... : the first logical DIR/NAME that exists under the source.
_nv_find() {
    local name=$1 d src
    src=$(_nv_src)
    shift
    for d in "$@"; do
        [[ -n $d ]] || continue
        if [[ -e $src$d/$name ]]; then
            printf '%s' "$d/$name"
            return 0
        fi
    done
    return 1
}

_nv_bin() {
    _nv_find nestvirt /usr/bin /usr/local/bin /bin /usr/sbin /usr/local/sbin
}

_nv_generator() {
    _nv_find nestvirt-generator "${systemdutildir-}/system-generators" \
        /usr/lib/systemd/system-generators /lib/systemd/system-generators \
        /usr/local/lib/systemd/system-generators
}

_nv_unitdir() {
    local d src
    src=$(_nv_src)
    for d in "${systemdsystemunitdir-}" /usr/lib/systemd/system /lib/systemd/system \
             /usr/local/lib/systemd/system; do
        [[ -n $d && -e $src$d/nestvirt-vfio.service ]] && { printf '%s' "$d"; return 0; }
    done
    return 1
}

# called by dracut
check() {
    _nv_bin > /dev/null || return 1
    _nv_generator > /dev/null || return 1
    return 0
}

# called by dracut
depends() {
    echo systemd
    return 0
}

# called by dracut
installkernel() {
    # Also in hostonly mode: the devices are claimed before their drivers load, so
    # the host's loaded modules say nothing about what the image needs. Modules the
    # kernel does not have (virtio_iommu in Debian 12's 6.1) or has built in are
    # skipped by instmods.
    hostonly='' instmods vfio vfio_pci vfio_pci_core vfio_iommu_type1 irqbypass \
        virtio_iommu virtio_pci iommufd
    return 0
}

# called by dracut
install() {
    local src bin gen unitdir u f sum manifest_tmp
    src=$(_nv_src)
    bin=$(_nv_bin) || { derror "nestvirt: no nestvirt binary under '${src:-/}'"; return 1; }
    gen=$(_nv_generator) || { derror "nestvirt: no nestvirt-generator under '${src:-/}'"; return 1; }

    # The binary at the path the units' ExecStart= names; dracut-install resolves
    # its libraries (libkmod, libblkid, libsystemd) with ldd.
    inst_binary "$src$bin" "$bin" || return 1
    inst_binary "$src$gen" "$systemdutildir/system-generators/nestvirt-generator" || return 1

    if unitdir=$(_nv_unitdir); then
        for u in nestvirt-hugepages.service nestvirt-vfio.service nestvirt-vms.target; do
            [[ -e $src$unitdir/$u ]] || continue
            inst_simple "$src$unitdir/$u" "$systemdsystemunitdir/$u"
        done
    else
        derror "nestvirt: no nestvirt units under '${src:-/}'"
        return 1
    fi

    # The configuration, each file at its own path, and the manifest.
    manifest_tmp=$(mktemp "${DRACUT_TMPDIR:-/tmp}/nestvirt-manifest.XXXXXX") || return 1
    (
        shopt -s nullglob
        cd "${src:-/}" 2> /dev/null || exit 0
        for f in usr/lib/nestvirt.conf.d/*.conf etc/nestvirt.conf etc/nestvirt.conf.d/*.conf; do
            [[ -e $f || -L $f ]] || continue
            printf '%s\n' "/$f"
        done
    ) > "$manifest_tmp.list"
    : > "$manifest_tmp"
    while IFS= read -r f; do
        if [[ -L $src$f && $(readlink "$src$f") == /dev/null ]]; then
            # A drop-in masked by a link to /dev/null stays masked in the image.
            mkdir -p "$initdir${f%/*}"
            ln -sfn /dev/null "$initdir$f"
            printf '%s  %s\n' masked "$f" >> "$manifest_tmp"
            continue
        fi
        [[ -f $src$f ]] || continue
        inst_simple "$src$f" "$f" || { derror "nestvirt: cannot install $f"; continue; }
        # nestvirt refuses a config writable by group or others; never widen it.
        chmod go-w "$initdir$f"
        sum=$(sha256sum < "$src$f") && sum=${sum%% *}
        printf '%s  %s\n' "$sum" "$f" >> "$manifest_tmp"
    done < "$manifest_tmp.list"
    mkdir -p "$initdir/usr/lib/nestvirt"
    cp "$manifest_tmp" "$initdir/usr/lib/nestvirt/initrd-config.sha256"
    chmod 0644 "$initdir/usr/lib/nestvirt/initrd-config.sha256"
    rm -f "$manifest_tmp" "$manifest_tmp.list"
    [[ -s $initdir/usr/lib/nestvirt/initrd-config.sha256 ]] ||
        dwarning "nestvirt: no configuration found; nestvirt will do nothing in the initramfs"

    # Which configuration this kernel's initramfs carries, so 'nestvirt check' notices
    # an edit made without rebuilding it. Not for staged test builds (the test hook).
    if [[ -z ${NESTVIRT_DRACUT_SOURCE-} ]]; then
        mkdir -p "${dracutsysrootdir-}/var/lib/nestvirt/initramfs"
        "$src$bin" config-digest --root "${dracutsysrootdir:-/}" \
            > "${dracutsysrootdir-}/var/lib/nestvirt/initramfs/$kernel" 2> /dev/null ||
            rm -f "${dracutsysrootdir-}/var/lib/nestvirt/initramfs/$kernel"
    fi
    return 0
}
