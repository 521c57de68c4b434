#!/bin/bash
# nestvirt vm preflight against image roots made here: an installed nestvirt, the lab's
# 8-GPU sysfs capture made to look bound (driver links rewritten to a vfio-pci directory in
# the copy, free pages set, /dev/vfio/GROUP and /dev/kvm as plain files), and real disk
# images made by sfdisk, mke2fs, qemu-img and genisoimage. TAP output.
#
# usage: test-vm-preflight.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
nestvirt=$build/src/nestvirt/nestvirt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT


for tool in sfdisk mke2fs qemu-img genisoimage blkid; do
        if ! command -v "$tool" >/dev/null; then
                echo "1..0 # SKIP $tool is not installed (tests/packages.txt)"
                exit 0
        fi
done

. "$(dirname "$0")/tap.sh"

img=$work/image
conf=$img/etc/nestvirt.conf
vmdir=/var/lib/nestvirt/train0
preflight() { "$nestvirt" vm preflight train0 --root "$img"; }
# As root, the permission checks need a process without the capabilities that bypass them.
unprivileged() {
        if [ "$(id -u)" = 0 ]; then
                setpriv --bounding-set=-dac_override,-dac_read_search -- "$@"
        else
                "$@"
        fi
}

# write_conf LINE...: the VM section's variable part after the fixed keys.
write_conf() {
        {
                printf '[Host]\nHugepages=auto\n\n[VM train0]\nCPUs=2\nMemory=2G\nDevice=8086:10d3*2\n'
                printf 'Kernel=/var/lib/cloud-hypervisor/vmlinux\n'
                printf '%s\n' "$@"
        } > "$conf"
        chmod 0644 "$conf"
}
line_of() { grep -n -m1 -- "^$1" "$conf" | cut -d: -f1; }

# ---- the image root ----
DESTDIR=$img meson install -C "$build" --quiet --no-rebuild >/dev/null
cp -a "$src/tests/fixtures/intel-8gpu-2node/." "$img/"
mkdir -p "$img/usr/local/bin" "$img/var/lib/cloud-hypervisor" "$img$vmdir" "$img/etc/nestvirt/train0"
printf '#!/bin/sh\n' > "$img/usr/local/bin/cloud-hypervisor"
chmod 0755 "$img/usr/local/bin/cloud-hypervisor"
: > "$img/var/lib/cloud-hypervisor/vmlinux"
write_conf "Cmdline=console=ttyS0 root=/dev/vda1 rw" "Disk=$vmdir/root.raw"

# ---- real images ----
uuid=6c2d1f0e-5a4b-4c3d-9e8f-0a1b2c3d4e5f
other_uuid=11111111-2222-4333-8444-555555555555
# msdos table, partition 1 (1 MiB .. 9 MiB) with ext4; mke2fs writes into the file at the offset.
raw=$img$vmdir/root.raw
truncate -s 16M "$raw"
printf 'label: dos\nstart=2048, size=16384, type=83\n' | sfdisk -q "$raw" >/dev/null
mke2fs -q -F -t ext4 -E offset=$((2048 * 512)) -U "$uuid" -L trainroot "$raw" 8M
# GPT: partition 1 empty, partition 2 with ext4, named "rootfs".
gpt=$img$vmdir/gpt.raw
truncate -s 16M "$gpt"
printf 'label: gpt\nstart=2048, size=4096, name=empty\nstart=6144, size=16384, name=rootfs\n' | sfdisk -q "$gpt" >/dev/null
mke2fs -q -F -t ext4 -E offset=$((6144 * 512)) -L gptroot "$gpt" 8M
gpt_partuuid=$(sfdisk --part-uuid "$gpt" 2)
# ext4 on the whole disk, no partition table.
whole=$img$vmdir/whole.raw
truncate -s 8M "$whole"
mke2fs -q -F -t ext4 -L wholeroot "$whole"
# qcow2, and a NoCloud-like seed ISO.
qemu-img create -q -f qcow2 "$img$vmdir/root.qcow2" 64M
printf '#cloud-config\n' > "$img/etc/nestvirt/train0/user-data"
printf 'instance-id: train0\n' > "$img/etc/nestvirt/train0/meta-data"
genisoimage -quiet -output "$img$vmdir/seed.iso" -volid cidata -joliet -rock \
        "$img/etc/nestvirt/train0/user-data" "$img/etc/nestvirt/train0/meta-data" 2>/dev/null

if blkid -p -o value -s UUID -O $((2048 * 512)) "$raw" | grep -qx "$uuid" && [ -n "$gpt_partuuid" ]; then
        ok "test images made: dos+ext4 (UUID $uuid), gpt+ext4 (PARTUUID $gpt_partuuid), whole-disk ext4, qcow2, iso"
else
        not_ok "test images made" "blkid does not see the ext4 written into $raw, or sfdisk gave no PARTUUID"
fi

# ---- the fake bound sysfs ----
# bind_to DEVICE [DRIVER]: point the device's driver link in the copy at DRIVER (none: unbind).
bind_to() {
        local dir
        dir=$(readlink -f "$img/sys/bus/pci/devices/$1")
        rm -f "$dir/driver"
        [ -n "${2:-}" ] || return 0
        mkdir -p "$img/sys/bus/pci/drivers/$2"
        ln -s "$(realpath --relative-to="$dir" "$img/sys/bus/pci/drivers/$2")" "$dir/driver"
}
group_of() { basename "$(readlink "$img/sys/bus/pci/devices/$1/iommu_group")"; }

# The VM's devices as the generated command line passes them.
mapfile -t devices < <("$nestvirt" vm argv train0 --root "$img" | sed -n 's|^path=/sys/bus/pci/devices/\([^,]*\),.*|\1|p')
if [ "${#devices[@]}" = 2 ]; then
        ok "vm argv passes 2 devices: ${devices[*]}"
else
        not_ok "vm argv passes 2 devices" "got: ${devices[*]:-none}"
        echo "1..$n"
        exit 1
fi
dev=${devices[0]}
group=$(group_of "$dev")
node=$(cat "$img/sys/bus/pci/devices/$dev/numa_node")
sibling=""
for m in "$img/sys/kernel/iommu_groups/$group/devices/"*; do
        [ "$(basename "$m")" != "$dev" ] && sibling=$(basename "$m")
done
free_pages=$img/sys/devices/system/node/node$node/hugepages/hugepages-1048576kB/free_hugepages

expect "unbound fixture: devices on e1000e, no pages, no /dev/kvm" 1 \
        "^VM train0: /etc/nestvirt.conf:6: 0 free 1 GiB pages on node $node, but Memory=2G needs 2: raise Hugepages=" \
        "^VM train0: /etc/nestvirt.conf:7: device $dev is on e1000e, not vfio-pci: run 'nestvirt bind-vfio'" \
        "device ${devices[1]} is on e1000e, not vfio-pci" "^VM train0: /dev/kvm is missing" \
        "^VM train0: preflight failed: 4 problems" -- preflight

for d in "${devices[@]}"; do
        g=$(group_of "$d")
        for m in "$img/sys/kernel/iommu_groups/$g/devices/"*; do
                bind_to "$(basename "$m")" vfio-pci
        done
        mkdir -p "$img/dev/vfio"
        : > "$img/dev/vfio/$g"
done
: > "$img/dev/kvm"
echo 2 > "$free_pages"

pass="^VM train0: preflight passed: 2 free 1 GiB pages on node $node, 2 devices on vfio-pci, root=/dev/vda1 is ext4 on disk 1$"
expect "bound: preflight passes with one summary line" 0 "$pass" '!problem|not checked' -- preflight
lines=$(preflight 2>&1 | wc -l)
[ "$lines" = 1 ] && ok "the success is one line" || not_ok "the success is one line" "$lines lines"

# ---- a. pages ----
echo 1 > "$free_pages"
expect "pages short: free vs needed, where to act" 1 \
        "^VM train0: /etc/nestvirt.conf:6: 1 free 1 GiB pages on node $node, but Memory=2G needs 2: raise Hugepages= or HugepagesExtra= in \[Host\], or stop the other VMs .*'nestvirt status'" \
        "preflight failed: 1 problem \(above\)" -- preflight
echo 2 > "$free_pages"

# A VM on both nodes needs each node's share from that node's pool, not all of it from one.
saved_conf=$(cat "$conf")
write_conf "NUMANode=0,1" "Cmdline=console=ttyS0 root=/dev/vda1 rw" "Disk=$vmdir/root.raw"
sed -i 's/^Memory=2G$/Memory=4G/' "$conf"
pages_of() { echo "$img/sys/devices/system/node/node$1/hugepages/hugepages-1048576kB/free_hugepages"; }
saved0=$(cat "$(pages_of 0)"); saved1=$(cat "$(pages_of 1)")
echo 2 > "$(pages_of 0)"; echo 1 > "$(pages_of 1)"
expect "two nodes: the short node named, with its share" 1 \
        "^VM train0: /etc/nestvirt.conf:6: 1 free 1 GiB pages on node 1, but its share of Memory=4G there needs 2: raise" \
        '!pages on node 0, but' -- preflight
echo 2 > "$(pages_of 1)"
expect "two nodes: 2 + 2 free pages are enough for Memory=4G" 0 \
        "preflight passed: 2 free 1 GiB pages on node 0, 2 free 1 GiB pages on node 1, " -- preflight
echo "$saved0" > "$(pages_of 0)"; echo "$saved1" > "$(pages_of 1)"
printf '%s\n' "$saved_conf" > "$conf"

# ---- b. devices ----
bind_to "$dev" e1000e
expect "device not on vfio-pci" 1 "^VM train0: /etc/nestvirt.conf:7: device $dev is on e1000e, not vfio-pci" \
        "!/dev/vfio/$group" -- preflight
bind_to "$dev" vfio-pci
if [ -n "$sibling" ]; then
        bind_to "$sibling" snd_hda_intel
        expect "group not viable: a sibling on another driver" 1 \
                "^VM train0: /etc/nestvirt.conf:7: IOMMU group $group of device $dev is not viable: $sibling in the same group is bound to snd_hda_intel; .*run 'nestvirt bind-vfio'" \
                "preflight failed: 1 problem" -- preflight
        bind_to "$sibling" pci-stub
        expect "group viable: a sibling on pci-stub" 0 "$pass" -- preflight
        bind_to "$sibling"
        expect "group viable: a sibling without driver" 0 "$pass" -- preflight
        bind_to "$sibling" vfio-pci
else
        not_ok "the device's group has another endpoint to test viability with" "group $group"
fi
rm "$img/dev/vfio/$group"
expect "no /dev/vfio/GROUP" 1 "^VM train0: /etc/nestvirt.conf:7: /dev/vfio/$group is missing under --root .*vfio-pci has not registered the IOMMU group of device $dev" \
        -- preflight
: > "$img/dev/vfio/$group"

# ---- c. /dev/kvm, hypervisor ----
rm "$img/dev/kvm"
expect "no /dev/kvm" 1 "^VM train0: /dev/kvm is missing under --root .*nested virtualization" -- preflight
: > "$img/dev/kvm"
chmod 0644 "$img/usr/local/bin/cloud-hypervisor"
expect "hypervisor not executable" 1 \
        "^VM train0: Hypervisor=/usr/local/bin/cloud-hypervisor \(the default\) is not executable .*install Cloud Hypervisor there or point Hypervisor= at it" \
        -- preflight
chmod 0755 "$img/usr/local/bin/cloud-hypervisor"
sed -i 's|^Hugepages=auto$|Hugepages=auto\nHypervisor=/opt/ch/cloud-hypervisor|' "$conf"
expect "Hypervisor= missing, with its line" 1 \
        "^VM train0: /etc/nestvirt.conf:3: Hypervisor=/opt/ch/cloud-hypervisor does not exist under --root" -- preflight

# Root runs Hypervisor= for every VM: whoever could write it, or a directory on its way, could
# swap it. Judged like the configuration files: owned by root, not writable by group or others.
mkdir -p "$img/opt/ch"
chmod 0755 "$img/opt" "$img/opt/ch"
printf '#!/bin/sh\n' > "$img/opt/ch/cloud-hypervisor"
chmod 0755 "$img/opt/ch/cloud-hypervisor"
hv="^VM train0: /etc/nestvirt.conf:3: Hypervisor=/opt/ch/cloud-hypervisor: root runs it for every VM, but"
expect "Hypervisor= owned by root, 0755: passes" 0 "preflight passed" "!Hypervisor=" -- preflight
if [ "$(id -u)" = 0 ]; then
        chown 1000 "$img/opt/ch/cloud-hypervisor"
        expect "Hypervisor= owned by a user" 1 \
                "$hv /opt/ch/cloud-hypervisor is owned by uid 1000, not root; run chown root:root /opt/ch/cloud-hypervisor$" \
                -- preflight
        expect "Hypervisor= owned by the --allow-owner uid: passes" 0 "preflight passed" \
                -- "$nestvirt" vm preflight train0 --root "$img" --allow-owner 1000
        chown 0:0 "$img/opt/ch/cloud-hypervisor"
else
        ok "Hypervisor= owned by a user # SKIP not root: cannot chown"
        ok "Hypervisor= owned by the --allow-owner uid # SKIP not root: cannot chown"
fi
chmod 0775 "$img/opt/ch/cloud-hypervisor"
expect "Hypervisor= writable by its group" 1 \
        "$hv /opt/ch/cloud-hypervisor is writable by its group \(mode 0775\); run chmod go-w /opt/ch/cloud-hypervisor$" \
        -- preflight
chmod 0755 "$img/opt/ch/cloud-hypervisor"
chmod 0777 "$img/opt/ch"
expect "Hypervisor= in a world-writable directory" 1 \
        "$hv directory /opt/ch is writable by everyone \(mode 0777\); run chmod go-w /opt/ch$" -- preflight
chmod 1777 "$img/opt"
chmod 0755 "$img/opt/ch"
expect "Hypervisor= under a sticky world-writable directory: refused too" 1 \
        "$hv directory /opt is writable by everyone \(mode 1777\); run chmod go-w /opt$" -- preflight
chmod 0755 "$img/opt"
# A link is followed inside the root: its target is judged, and so is the link's directory.
ln -s /opt/ch/cloud-hypervisor "$img/usr/local/bin/ch-link"
sed -i 's|^Hypervisor=.*|Hypervisor=/usr/local/bin/ch-link|' "$conf"
expect "Hypervisor= through a link: passes" 0 "preflight passed" -- preflight
chmod 0775 "$img/opt/ch/cloud-hypervisor"
expect "Hypervisor= through a link: the target is judged" 1 \
        "Hypervisor=/usr/local/bin/ch-link: root runs it for every VM, but /opt/ch/cloud-hypervisor is writable by its group" \
        -- preflight
chmod 0755 "$img/opt/ch/cloud-hypervisor"
chmod 0775 "$img/usr/local/bin"
expect "Hypervisor= through a link: the link's directory is judged" 1 \
        "Hypervisor=/usr/local/bin/ch-link: root runs it for every VM, but directory /usr/local/bin is writable by its group" \
        -- preflight
chmod 0755 "$img/usr/local/bin"
rm "$img/usr/local/bin/ch-link"

# ---- d. files ----
write_conf "Cmdline=console=ttyS0 root=/dev/vda1 rw" "Disk=$vmdir/root.raw"
chmod 0000 "$img/var/lib/cloud-hypervisor/vmlinux"
expect "kernel unreadable" 1 \
        "^VM train0: /etc/nestvirt.conf:8: Kernel=/var/lib/cloud-hypervisor/vmlinux cannot be read \(Permission denied\); make it readable" \
        -- unprivileged "$nestvirt" vm preflight train0 --root "$img"
chmod 0644 "$img/var/lib/cloud-hypervisor/vmlinux"
write_conf "Initramfs=/var/lib/cloud-hypervisor" "Cmdline=console=ttyS0 root=/dev/vda1 rw" "Disk=$vmdir/root.raw"
expect "initramfs a directory" 1 "^VM train0: /etc/nestvirt.conf:9: Initramfs=/var/lib/cloud-hypervisor is a directory, not a file; fix Initramfs=" \
        -- preflight
write_conf "Cmdline=console=ttyS0 root=/dev/vda1 rw" "Disk=$vmdir/root.raw" "Disk=$vmdir/missing.raw"
expect "disk missing, with its line" 1 \
        "^VM train0: /etc/nestvirt.conf:$(line_of "Disk=$vmdir/missing.raw"): Disk=$vmdir/missing.raw does not exist under --root; put it there or fix Disk=" \
        -- preflight
chmod 0444 "$raw"
write_conf "Cmdline=console=ttyS0 root=/dev/vda1 rw" "Disk=$vmdir/root.raw"
expect "read-only file as a writable disk" 1 \
        "^VM train0: /etc/nestvirt.conf:10: Disk=$vmdir/root.raw cannot be opened for writing \(Permission denied\); make it writable, or add ,readonly" \
        -- unprivileged "$nestvirt" vm preflight train0 --root "$img"
write_conf "Cmdline=console=ttyS0 root=/dev/vda1 rw" "Disk=$vmdir/root.raw,readonly"
expect "read-only file as a ,readonly disk" 0 "$pass" -- unprivileged "$nestvirt" vm preflight train0 --root "$img"
chmod 0644 "$raw"

# The image type is read at the start ('vm prepare'): one Cloud Hypervisor is not given is refused.
qemu-img create -q -f vhdx "$img$vmdir/data.vhdx" 8M
write_conf "Cmdline=console=ttyS0 root=/dev/vda1 rw" "Disk=$vmdir/root.raw" "Disk=$vmdir/data.vhdx"
expect "a vhdx disk is refused, with its line" 1 \
        "^VM train0: /etc/nestvirt.conf:$(line_of "Disk=$vmdir/data.vhdx"): Disk=$vmdir/data.vhdx is a vhdx image; nestvirt gives Cloud Hypervisor raw or qcow2 only" \
        -- preflight
rm "$img$vmdir/data.vhdx"

# ---- every check runs ----
echo 0 > "$free_pages"
rm "$img/dev/kvm"
write_conf "Cmdline=console=ttyS0 root=/dev/vda3 rw" "Disk=$vmdir/root.raw" "Disk=$vmdir/missing.raw"
expect "all checks run: pages, kvm, disk and root= in one go" 1 "0 free 1 GiB pages" "/dev/kvm is missing" \
        "Disk=$vmdir/missing.raw does not exist" "root=/dev/vda3 needs partition 3" "preflight failed: 4 problems" -- preflight
problem_lines=$(preflight 2>&1 | grep -c '^VM train0: ')
[ "$problem_lines" = 5 ] && ok "each problem is one line (4 + the closing line)" || not_ok "each problem is one line" "$problem_lines lines"
echo 2 > "$free_pages"
: > "$img/dev/kvm"

# ---- e. root= ----
cmdline_line=9
root_case() { # NAME RC CMDLINE-ROOT DISKS... -- PATTERNS...
        local name=$1 rc=$2 root=$3; shift 3
        local disks=()
        while [ "$1" != "--" ]; do disks+=("Disk=$vmdir/$1"); shift; done
        shift
        write_conf "Cmdline=console=ttyS0 $root rw" "${disks[@]}"
        expect "$name" "$rc" "$@" -- preflight
}
root_case "root=/dev/vda2 when only partition 1 exists" 1 root=/dev/vda2 root.raw -- \
        "^VM train0: /etc/nestvirt.conf:$cmdline_line: root=/dev/vda2 needs partition 2 of disk 1 \($vmdir/root.raw\), which has only partition 1 \(dos table\); use root=/dev/vda1 \(ext4\)"
root_case "root=/dev/vdb with one disk" 1 root=/dev/vdb root.raw -- \
        "^VM train0: /etc/nestvirt.conf:$cmdline_line: root=/dev/vdb names disk 2 \(vdb\), but the VM has only 1 disk \(vda\); fix root= or add the disk"
root_case "root=/dev/vda on a partitioned disk" 1 root=/dev/vda root.raw -- \
        "root=/dev/vda names the whole of disk 1 \($vmdir/root.raw\), which holds a dos partition table, not a file system; use root=/dev/vda1 \(ext4\)"
root_case "root=/dev/vda1 on a disk without partition table" 1 root=/dev/vda1 whole.raw -- \
        "root=/dev/vda1 needs partition 1 of disk 1 \($vmdir/whole.raw\), but that disk has no partition table: it holds ext4 directly, so use root=/dev/vda"
root_case "root=/dev/vda on a whole-disk file system" 0 root=/dev/vda whole.raw -- \
        "preflight passed: .*root=/dev/vda is ext4 on disk 1$"
root_case "root=/dev/vdb1 on a GPT partition without file system" 1 root=/dev/vdb1 root.raw gpt.raw -- \
        "root=/dev/vdb1 needs partition 1 of disk 2 \($vmdir/gpt.raw\), but that partition holds no file system; use root=/dev/vdb2 \(ext4\)"
root_case "root=/dev/vdb2 on GPT" 0 root=/dev/vdb2 root.raw gpt.raw -- "root=/dev/vdb2 is ext4 on disk 2$"
root_case "UUID not found: the disks' UUIDs are listed" 1 "root=UUID=$other_uuid" root.raw -- \
        "^VM train0: /etc/nestvirt.conf:$cmdline_line: root=UUID=$other_uuid is on none of the VM's disks \(they carry UUID=$uuid on vda1"
root_case "UUID found" 0 "root=UUID=${uuid^^}" root.raw -- "root=UUID=${uuid^^} is ext4 on disk 1 \(vda1\)$"
root_case "LABEL found -> pass (with a notice: no initramfs)" 0 root=LABEL=trainroot gpt.raw root.raw -- \
        "preflight passed: .*root=LABEL=trainroot is ext4 on disk 2 \(vdb1\)$" \
        "^VM train0: /etc/nestvirt.conf:$cmdline_line: root=LABEL=trainroot is resolved by an initramfs, and Initramfs= is not set"
root_case "LABEL not found" 1 root=LABEL=nosuch root.raw -- "root=LABEL=nosuch is on none of the VM's disks \(they carry LABEL=trainroot on vda1\)"
root_case "PARTUUID found" 0 "root=PARTUUID=$gpt_partuuid" gpt.raw -- "root=PARTUUID=$gpt_partuuid is ext4 on disk 1 \(vda2\)$" \
        "!resolved by an initramfs"
root_case "PARTLABEL found" 0 root=PARTLABEL=rootfs gpt.raw -- "root=PARTLABEL=rootfs is ext4 on disk 1 \(vda2\)$"
root_case "PARTLABEL on msdos" 1 root=PARTLABEL=rootfs root.raw -- "none of them carries a PARTLABEL: only GPT partitions have one"
root_case "PARTLABEL of a partition without file system" 1 root=PARTLABEL=empty gpt.raw -- \
        "root=PARTLABEL=empty is on disk 1 \(vda1\), which holds no file system; point root= at the root file system"
root_case "the same UUID on two disks" 0 "root=UUID=$uuid" root.raw root.raw -- \
        "root=UUID=$uuid is on vda1 and on vdb1 .*which one the guest mounts is undefined"
root_case "the last root= wins" 1 "root=/dev/vda1 root=/dev/vda2" root.raw -- "root=/dev/vda2 needs partition 2" '!root=/dev/vda1 is'
root_case "root= after -- is for init" 0 "root=/dev/vda1 -- root=/dev/vda2" root.raw -- "root=/dev/vda1 is ext4 on disk 1$"

# qcow2 cannot be looked into: a notice, never a failure.
root_case "qcow2: notice, not a failure" 0 root=/dev/vda1 root.qcow2 -- \
        "^VM train0: /etc/nestvirt.conf:$cmdline_line: root=/dev/vda1 is not checked: disk 1 \($vmdir/root.qcow2\) is qcow2" \
        "preflight passed: 2 free 1 GiB pages on node $node, 2 devices on vfio-pci$"
root_case "qcow2: a UUID not on the raw disks is not a failure" 0 "root=UUID=$other_uuid" root.raw root.qcow2 -- \
        "root=UUID=$other_uuid is not checked: .*disk 2 \($vmdir/root.qcow2\) is qcow2"
expect "qcow2 goes to Cloud Hypervisor as qcow2" 0 "^path=$vmdir/root.qcow2,image_type=qcow2$" \
        -- "$nestvirt" vm argv train0 --root "$img"

# Forms not resolved here, or none: notices.
root_case "root=/dev/sda1: not checked" 0 root=/dev/sda1 root.raw -- "root=/dev/sda1 is not checked: only /dev/vdX\[N\]"
root_case "root=/dev/disk/by-uuid: not checked" 0 "root=/dev/disk/by-uuid/$uuid" root.raw -- "is not checked"
write_conf "Cmdline=console=ttyS0 rw" "Disk=$vmdir/root.raw"
expect "no root=: not checked" 0 "^VM train0: /etc/nestvirt.conf:9: Cmdline= has no root=: not checked" -- preflight

# The seed-like ISO as a disk: an iso9660 file system labelled cidata.
root_case "root=/dev/vdb on an ISO" 0 root=/dev/vdb root.raw seed.iso -- "root=/dev/vdb is iso9660 on disk 2$"
root_case "LABEL=cidata on an ISO" 0 root=LABEL=cidata root.raw seed.iso -- "root=LABEL=cidata is iso9660 on disk 2 \(vdb\)$"

# ---- CloudInit= ----
write_conf "Cmdline=console=ttyS0 root=/dev/vda1 rw" "Disk=$vmdir/root.raw" "CloudInit=/etc/nestvirt/train0"
expect "CloudInit= without genisoimage in the image" 1 \
        "^VM train0: /etc/nestvirt.conf:11: CloudInit=/etc/nestvirt/train0 needs genisoimage to build the seed disk, and it is not installed under --root; install the genisoimage package" \
        -- preflight
mkdir -p "$img/usr/bin"
cp "$(command -v genisoimage)" "$img/usr/bin/genisoimage"
expect "CloudInit= with user-data, meta-data and genisoimage" 0 "$pass" -- preflight
rm "$img/etc/nestvirt/train0/meta-data"
expect "CloudInit= without meta-data" 1 \
        "^VM train0: /etc/nestvirt.conf:11: CloudInit=/etc/nestvirt/train0: meta-data does not exist under --root; put it there or fix CloudInit=" \
        "!CloudInit=[^ ]*: user-data" "!CloudInit=[^ ]*: network-config" -- preflight
printf 'instance-id: train0\n' > "$img/etc/nestvirt/train0/meta-data"
mkdir "$img/etc/nestvirt/train0/network-config"
expect "CloudInit= network-config is optional, but must be a file" 1 "network-config is a directory" -- preflight
rmdir "$img/etc/nestvirt/train0/network-config"
write_conf "Cmdline=console=ttyS0 root=/dev/vdb rw" "Disk=$vmdir/root.raw" "CloudInit=/etc/nestvirt/train0"
expect "root= on the cloud-init seed" 1 "root=/dev/vdb is the cloud-init seed \(vdb, attached after the Disk= images\), not a root file system" \
        -- preflight

# ---- the VM must exist and be valid ----
expect "unknown VM" 1 "No VM named 'nosuch'" -- "$nestvirt" vm preflight nosuch --root "$img"

echo "1..$n"
[ "$failed" = 0 ]
