#!/bin/bash
# nestvirt apply --dry-run --root on copies of a captured fixture: the state after a boot with
# one config (the generator's units in ROOT/run/systemd/generator, the claimed device on
# vfio-pci, the pages reserved), then an edited config: the exact lines apply prints, its exit
# code, and that nothing under the root changed. TAP output.
#
# usage: test-apply.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
nestvirt=$build/src/nestvirt/nestvirt
generator=$build/generator/nestvirt-generator
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$(dirname "$0")/tap.sh"

# The generator accepts only root-owned config; as another user, run it as root in a user
# namespace (the files are then root's there).
as_root=()
[ "$(id -u)" = 0 ] || as_root=(unshare -r)

BOOT_CONFIG='[Host]
Hugepages=auto

[VM lab0]
Memory=1G
Device=0000:21:00.0
Kernel=/k

[VM lab1]
Memory=1G
NUMANode=1
Kernel=/k
Autostart=no
'

pages() { echo "$1/sys/devices/system/node/node$2/hugepages/hugepages-1048576kB/nr_hugepages"; }

# booted ROOT: the fixture as the boot with BOOT_CONFIG left it.
booted() {
        local root=$1 dev=sys/devices/pci0000:20/0000:20:00.0/0000:21:00.0
        rm -rf "$root"
        mkdir -p "$root/etc" "$root/run/systemd/generator"
        cp -a "$src/tests/fixtures/virtio-2node-4dev/." "$root/"
        printf '%s' "$BOOT_CONFIG" > "$root/etc/nestvirt.conf"
        chmod 0644 "$root/etc/nestvirt.conf"
        mkdir -p "$root/sys/bus/pci/drivers/vfio-pci"
        ln -sfn ../../../../bus/pci/drivers/vfio-pci "$root/$dev/driver"
        echo 1 > "$(pages "$root" 0)"
        echo 1 > "$(pages "$root" 1)"
        "${as_root[@]}" env NESTVIRT_ROOT="$root" SYSTEMD_PROC_CMDLINE= SYSTEMD_LOG_TARGET=console \
                "$generator" "$root/run/systemd/generator" 2> "$work/generator.log" ||
                { echo "# generator failed:"; sed 's/^/# /' "$work/generator.log"; }
}

# A digest of everything under ROOT: paths, types, modes, sizes, times, link targets, contents.
tree_sum() {
        (cd "$1" && find . -printf '%p %y %m %s %T@ %l\n' | LC_ALL=C sort &&
                find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

# apply_is NAME RC EXPECTED [ARGS...]: apply --dry-run --root on $root prints exactly EXPECTED
# on stdout, exits RC, and leaves the tree as it was.
apply_is() {
        local name=$1 want=$2 expected=$3; shift 3
        local before after out rc=0
        before=$(tree_sum "$root")
        out=$("$nestvirt" apply --dry-run --root "$root" "$@" 2> "$work/stderr") || rc=$?
        after=$(tree_sum "$root")
        if [ "$rc" != "$want" ]; then
                not_ok "$name" "exit $rc, wanted $want" "$out" "$(cat "$work/stderr")"
        elif [ "$out" != "$expected" ]; then
                not_ok "$name" "got:" "$out" "wanted:" "$expected" "$(diff <(echo "$expected") <(echo "$out"))"
        elif [ "$before" != "$after" ]; then
                not_ok "$name" "the tree under the root changed"
        else
                ok "$name"
        fi
}

root=$work/root
edit() { booted "$root"; printf '%s' "$1" > "$root/etc/nestvirt.conf"; }

booted "$root"
check "the generator wrote the boot's units" test -f "$root/run/systemd/generator/nestvirt-vm@lab0.service"
apply_is "the boot's config: nothing to change" 0 'Nothing to change.'

edit "$BOOT_CONFIG
[VM lab2]
Memory=1G
Device=0000:41:00.0
Kernel=/k
"
apply_is "a new VM: its page, its device, its unit, started" 0 \
'node 1: 1 GiB pages: 1 reserved, 2 planned: add 1
0000:41:00.0: claim for VM lab2, from e1000e
nestvirt-vm@lab2.service: new, Autostart=yes: will start'

edit "${BOOT_CONFIG/Device=0000:21:00.0/Device=0000:21:00.0
Device=0000:22:00.0}"
apply_is "a new device for a VM: claimed, the VM's unit changed" 0 \
'0000:22:00.0: claim for VM lab0, from e1000e
nestvirt-vm@lab0.service: changed'

# A process holding one of the device's nodes: a class device under it whose numbers are
# /dev/null's, and a process under ROOT/proc with /dev/null open.
edit "${BOOT_CONFIG/Device=0000:21:00.0/Device=0000:21:00.0
Device=0000:22:00.0}"
mkdir -p "$root/sys/devices/pci0000:20/0000:20:01.0/0000:22:00.0/lab/lab0" "$root/proc/4242/fd"
printf '%d:%d\n' "$(stat -c %t /dev/null | sed 's/^/0x/')" "$(stat -c %T /dev/null | sed 's/^/0x/')" \
        > "$root/sys/devices/pci0000:20/0000:20:01.0/0000:22:00.0/lab/lab0/dev"
echo holder > "$root/proc/4242/comm"
ln -s /dev/null "$root/proc/4242/fd/3"
apply_is "a device a process holds: named, with the holder" 0 \
'0000:22:00.0: claim for VM lab0, from e1000e
0000:22:00.0: in use, left alone: 4242 (holder) has /dev/null open
nestvirt-vm@lab0.service: changed'

edit "${BOOT_CONFIG/Hugepages=auto/Hugepages=auto
HugepagesExtra=2}"
apply_is "more pages: per node, what to add" 0 \
'node 0: 1 GiB pages: 1 reserved, 2 planned: add 1
node 1: 1 GiB pages: 1 reserved, 2 planned: add 1'

edit "${BOOT_CONFIG/Hugepages=auto/Hugepages=0:0,1:0}"
apply_is "fewer pages: pools are never shrunk" 0 'Nothing to change.'

edit "${BOOT_CONFIG%%\[VM lab1\]*}"
apply_is "a removed VM: its unit removed, its page kept" 0 'nestvirt-vm@lab1.service: removed'

edit "${BOOT_CONFIG/Memory=1G
Device/CPUs=2
Memory=1G
Device}"
apply_is "a changed VM (CPUs=2): its unit changed" 0 'nestvirt-vm@lab0.service: changed'
apply_is "--restart says it would restart only running VMs (none under --root)" 0 \
        'nestvirt-vm@lab0.service: changed' --restart

edit "${BOOT_CONFIG/Device=0000:21:00.0
/}"
apply_is "a device no longer named stays on vfio-pci" 0 \
'0000:21:00.0: no longer named; stays on vfio-pci until reboot
nestvirt-vm@lab0.service: changed'

edit "$BOOT_CONFIG
[VM lab2]
Memory=1G
NUMANode=1
Kernel=/k
"
printf 'console=ttyS0 nestvirt.autostart=0\n' > "$root/proc/cmdline"
apply_is "nestvirt.autostart=0: the new VM would not start" 0 \
'node 1: 1 GiB pages: 1 reserved, 2 planned: add 1
nestvirt-vm@lab2.service: new, Autostart=yes: will not start (nestvirt.autostart=0)'

edit "$BOOT_CONFIG
[VM lab3]
Memory=1G
Device=0000:63:00.0
Kernel=/k
"
apply_is "a VM with an error: exit 1, no unit for it" 1 'Nothing to change.'
expect "the error is on stderr with its file and line" 1 '/etc/nestvirt.conf:1[0-9]: error: Device=0000:63:00.0: no such PCI device' \
        -- "$nestvirt" apply --dry-run --root "$root"

# The running kernel's initramfs (ROOT/proc/sys/kernel/osrelease under --root), read for its
# copies of the configuration: the same files, then one edited since.
booted "$root"
mkdir -p "$root/proc/sys/kernel" "$root/boot"
echo 6.1.0-lab > "$root/proc/sys/kernel/osrelease"
initramfs_of() {   # a gzip'd newc archive holding nestvirt and ROOT's config files, as the hook packs it
        local t=$work/initramfs-tree
        rm -rf "$t" && mkdir -p "$t/usr/bin" "$t/etc"
        cp "$nestvirt" "$t/usr/bin/nestvirt"
        cp -a "$root/etc/nestvirt.conf" "$t/etc/"
        [ ! -d "$root/etc/nestvirt.conf.d" ] || cp -a "$root/etc/nestvirt.conf.d" "$t/etc/"
        (cd "$t" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) > "$root/boot/initrd.img-6.1.0-lab"
}
initramfs_of
apply_is "the initramfs carries this config: nothing to change" 0 'Nothing to change.'
cp -a "$root/etc/nestvirt.conf" "$work/conf.saved"
echo "# edited after the initramfs was built" >> "$root/etc/nestvirt.conf"
apply_is "the initramfs carries another config: said" 0 \
        'initramfs of 6.1.0-lab: carries another configuration (--initramfs rebuilds it)'
cp -a "$work/conf.saved" "$root/etc/nestvirt.conf"
rm -f "$root/boot/initrd.img-6.1.0-lab"

expect "--root without --dry-run is a usage error" 2 '--root works with --dry-run only' \
        -- "$nestvirt" apply --root "$root"
expect "apply takes no arguments" 2 "unexpected argument 'x'" -- "$nestvirt" apply --dry-run --root "$root" x
expect "apply --help names its options" 0 'apply \[--root DIR\] \[--config FILE\] \[--dry-run\] \[--restart\] \[--initramfs\]' \
        -- "$nestvirt" apply --help

echo "1..$n"
[ "$failed" = 0 ]
