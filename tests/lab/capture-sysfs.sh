#!/bin/sh
# capture-sysfs.sh DEST [TOPOLOGY]
#
# Runs inside a (lab or real) Linux system, POSIX sh (busybox is enough).
# Copies the parts of /sys and /proc that nestvirt's host inventory reads
# into DEST, keeping the real layout: directories as directories, symbolic
# links as links with the exact relative target readlink shows (so
# DEST/sys/bus/pci/devices/X -> ../../../devices/pci.../X resolves inside
# DEST), and only an allowlist of regular files (their contents at capture
# time). Links that point outside the captured set stay dangling.
#
# The result is a fixture for `nestvirt --root DEST` / NESTVIRT_ROOT=DEST.
# Nothing here is typed by hand: to change a fixture, capture it again.
set -u

[ $# -ge 1 ] || { echo "usage: $0 DEST [TOPOLOGY]" >&2; exit 2; }
dest=$1
topology=${2:-unknown}

# Regular files kept in PCI device directories (and anywhere under /sys/devices/pci*).
PCI_FILES="vendor device class subsystem_vendor subsystem_device revision numa_node local_cpulist driver_override boot_vga enable modalias irq"
# Directories skipped under /sys/devices/pci*: none of them carries a file or
# link the inventory reads, and together they are most of the tree
# (power management, per-vector MSI attributes, ASPM link state, network
# queue and counter directories of bound NIC drivers, wakeup sources).
PRUNE_DIRS="power msi_irqs link queues statistics wakeup"

mkdir -p "$dest" || exit 1

# copy_file SRC: a readable regular file, content as read now.
copy_file() {
    [ -f "$1" ] && [ -r "$1" ] || return 0
    mkdir -p "$dest${1%/*}"
    if ! cat "$1" > "$dest$1" 2>/dev/null; then
        rm -f "$dest$1"
        echo "capture-sysfs: cannot read $1, skipped" >&2
    fi
}

# copy_link SRC: the link itself, target exactly as readlink shows it.
copy_link() {
    [ -L "$1" ] || return 0
    mkdir -p "$dest${1%/*}"
    ln -sfn "$(readlink "$1")" "$dest$1"
}

in_list() { # WORD LIST...
    w=$1; shift
    for x in "$@"; do [ "$x" = "$w" ] && return 0; done
    return 1
}

# walk ROOT FILES: copy ROOT recursively (directories, links, and regular
# files whose base name is in FILES; FILES='*' means every readable regular
# file, '' means none), skipping PRUNE_DIRS. Does not follow links.
walk() {
    [ -d "$1" ] || return 0
    files=$2
    prune=
    for p in $PRUNE_DIRS; do
        prune="$prune${prune:+ -o} -name $p"
    done
    # shellcheck disable=SC2086
    find "$1" \( -type d \( $prune \) \) -prune -o -print |
    while IFS= read -r p; do
        if [ -L "$p" ]; then
            copy_link "$p"
        elif [ -d "$p" ]; then
            mkdir -p "$dest$p"
        elif [ -f "$p" ]; then
            case $files in
                '*') copy_file "$p" ;;
                '') ;;
                *) # shellcheck disable=SC2086
                   in_list "${p##*/}" $files && copy_file "$p" ;;
            esac
        fi
    done
}

# PCI device trees (all host bridges, expander bridges included).
for d in /sys/devices/pci*; do
    walk "$d" "$PCI_FILES"
done

# IOMMU devices: the class links, and whatever they point to (intel-iommu:
# /sys/devices/virtual/iommu/dmarN; virtio-iommu: under its virtio device in
# the PCI tree; Arm SMMU: /sys/devices/platform/...), with all their files.
walk /sys/devices/virtual/iommu '*'
for l in /sys/class/iommu/*; do
    [ -L "$l" ] || continue
    copy_link "$l"
    t=$(readlink -f "$l")
    case $t in
        /sys/devices/*) walk "$t" '*' ;;
    esac
done

# PCI bus: device links; drivers as directories with their links.
for l in /sys/bus/pci/devices/*; do
    copy_link "$l"
done
for d in /sys/bus/pci/drivers/* /sys/bus/virtio/drivers/*; do
    [ -d "$d" ] || continue
    mkdir -p "$dest$d"
    for l in "$d"/*; do
        [ -L "$l" ] && copy_link "$l"
    done
done
for l in /sys/bus/virtio/devices/*; do
    copy_link "$l"
done

# IOMMU groups: directories, type, reserved regions, device links.
for g in /sys/kernel/iommu_groups/*; do
    [ -d "$g" ] || continue
    mkdir -p "$dest$g/devices"
    copy_file "$g/type"
    copy_file "$g/reserved_regions"
    for l in "$g"/devices/*; do
        copy_link "$l"
    done
done

# Interrupts: the chip name tells remapped ("IR-PCI-MSI...") from not.
for i in /sys/kernel/irq/*; do
    [ -d "$i" ] || continue
    copy_file "$i/chip_name"
    copy_file "$i/name"
    copy_file "$i/actions"
done

# NUMA nodes, CPUs, hugepages.
n=/sys/devices/system/node
for f in online possible has_memory has_cpu has_normal_memory; do
    copy_file "$n/$f"
done
for d in "$n"/node[0-9]*; do
    [ -d "$d" ] || continue
    mkdir -p "$dest$d"
    copy_file "$d/cpulist"
    copy_file "$d/meminfo"
    copy_file "$d/distance"
    for h in "$d"/hugepages/hugepages-*; do
        [ -d "$h" ] || continue
        mkdir -p "$dest$h"
        for f in nr_hugepages free_hugepages surplus_hugepages; do
            copy_file "$h/$f"
        done
    done
done
for f in online possible present; do
    copy_file "/sys/devices/system/cpu/$f"
done
for h in /sys/kernel/mm/hugepages/hugepages-*; do
    [ -d "$h" ] || continue
    mkdir -p "$dest$h"
    for f in nr_hugepages free_hugepages resv_hugepages surplus_hugepages nr_overcommit_hugepages; do
        copy_file "$h/$f"
    done
done

copy_file /proc/cmdline
copy_file /proc/meminfo

{
    echo "kernel: $(uname -r)"
    echo "kernel-build: $(uname -v)"
    echo "machine: $(uname -m)"
    echo "topology: $topology"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "captured-by: tests/lab/capture-sysfs.sh"
} > "$dest/CAPTURE-INFO"
