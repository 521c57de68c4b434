#!/bin/bash
# check-fixture.sh FIXTURE
#
# Checks a captured sysfs fixture (capture.sh output) and prints its PCI
# devices: address, vendor:device, class, numa_node, iommu_group, driver.
# Fails when a link the inventory follows does not resolve inside FIXTURE:
#   sys/bus/pci/devices/*, <device>/iommu_group, <device>/driver,
#   sys/class/iommu/*, sys/kernel/iommu_groups/*/devices/*
# or when a file or directory has a mode other than 0644 / 0755.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 FIXTURE" >&2; exit 2; }
fx=$(cd "$1" && pwd)
bad=0
problem() { echo "check-fixture: $*" >&2; bad=1; }

# resolves LINK: the link resolves to an existing path inside the fixture.
resolves() {
    local t
    t=$(readlink -f "$1" 2>/dev/null) || return 1
    [ -e "$t" ] && case $t in "$fx"/*) return 0 ;; *) return 1 ;; esac
}

for f in sys/bus/pci/devices proc/cmdline CAPTURE-INFO; do
    [ -e "$fx/$f" ] || problem "missing $f"
done

for l in "$fx"/sys/bus/pci/devices/* "$fx"/sys/class/iommu/* "$fx"/sys/kernel/iommu_groups/*/devices/*; do
    [ -e "$l" ] || [ -L "$l" ] || continue
    [ -L "$l" ] || { problem "${l#"$fx"/} is not a link"; continue; }
    resolves "$l" || problem "${l#"$fx"/} -> $(readlink "$l") does not resolve in the fixture"
done
for d in "$fx"/sys/bus/pci/devices/*; do
    [ -L "$d" ] || continue
    for n in iommu_group driver; do
        if [ -L "$d/$n" ]; then
            resolves "$d/$n" || problem "${d#"$fx"/}/$n -> $(readlink "$d/$n") does not resolve in the fixture"
        fi
    done
done

while IFS= read -r p; do problem "mode of ${p#"$fx"/} is not 0644"; done \
    < <(find "$fx" -type f ! -perm 0644)
while IFS= read -r p; do problem "mode of ${p#"$fx"/} is not 0755"; done \
    < <(find "$fx" -type d ! -perm 0755)

rd() { [ -f "$1" ] && tr -d '\n' < "$1" || echo -; }
printf '%-14s %-11s %-8s %-4s %-5s %s\n' ADDRESS VENDOR:DEV CLASS NODE GROUP DRIVER
for d in "$fx"/sys/bus/pci/devices/*; do
    [ -L "$d" ] || continue
    a=${d##*/}
    v=$(rd "$d/vendor"); dv=$(rd "$d/device")
    g=-; [ -L "$d/iommu_group" ] && g=$(basename "$(readlink "$d/iommu_group")")
    drv=-; [ -L "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
    printf '%-14s %-11s %-8s %-4s %-5s %s\n' "$a" "${v#0x}:${dv#0x}" "$(rd "$d/class")" \
        "$(rd "$d/numa_node")" "$g" "$drv"
done
for l in "$fx"/sys/class/iommu/*; do
    [ -L "$l" ] && echo "class/iommu/${l##*/} -> $(readlink "$l")"
done
echo "files: $(find "$fx" -type f | wc -l), links: $(find "$fx" -type l | wc -l), dirs: $(find "$fx" -type d | wc -l), bytes: $(du -sb --apparent-size "$fx" | cut -f1)"
[ $bad = 0 ] || { echo "check-fixture: $fx has problems" >&2; exit 1; }
