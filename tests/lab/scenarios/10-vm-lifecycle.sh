# shellcheck shell=bash
# 10. The generated VM unit under the real systemd, whole sandbox included, from start
#     to graceful stop. Cloud Hypervisor cannot run here, so fake-ch.c stands in for it
#     as Hypervisor=: it does CH's system calls with the generated command line (API
#     socket, /dev/kvm, disks with locks, the serial file, a 1 GiB hugetlb memfd bound
#     to node 0, CPU affinity, VFIO container/groups/TYPE1v2/DMA map that pins the
#     memory, the device fds, seccomp) and serves CH's API. In the real root
#     (virtio-iommu, 2 nodes, 1 page reserved on node 0) the report's
#     guest/vm-lifecycle.sh puts a stand-in /dev/kvm node in place (no KVM under TCG),
#     then: `systemctl start nestvirt-vm@lab0` (preflight, prepare with the cloud-init
#     seed, ExecStart under the sandbox, wait-running) must succeed and hold node 0's
#     page; `systemd-analyze security` scores it; nestvirt-vm@lab1 (2 GiB on a node with
#     none free) must fail in its preflight with the reason in the journal; `systemctl
#     stop` must press the power button, the stand-in exits 0 by itself, the unit ends
#     inactive (not failed) and the page is free again. A control, nestvirt-vm@lab2
#     (41:00.0, node 1) with a drop-in that takes CAP_IPC_LOCK away and sets
#     LimitMEMLOCK=64K, must be refused where it pins its memory for VFIO.

LAB_CONFIG_10='[Host]
Hugepages=0:1,1:1
Hypervisor=/usr/local/bin/cloud-hypervisor

[VM lab0]
CPUs=2
Memory=1G
Device=8086:10d3*2
Kernel=/var/lib/nestvirt/vmlinux
Cmdline=console=ttyS0 root=/dev/vda1 rw
Disk=/var/lib/nestvirt/lab0/root.raw
CloudInit=/etc/nestvirt/lab0
Serial=file
Autostart=no

[VM lab1]
Memory=2G
NUMANode=0
Kernel=/var/lib/nestvirt/vmlinux
Autostart=no

[VM lab2]
Memory=1G
Device=0000:41:00.0
Kernel=/var/lib/nestvirt/vmlinux
Autostart=no'

# The scenario's files in the root (LAB_ROOT_FILES): the stand-in hypervisor, the
# report's VM part, a "kernel" (fake-ch only opens it), the cloud-init input, and a
# raw disk with a partition table and ext4, so that preflight resolves root=/dev/vda1
# for real. The disk is made reproducibly (fixed ids and time): the root image is
# cached by the contents of these files.
lab10_files() {
    local d=$LAB_TMP/files-10 disk uuid=6e657374-7669-7274-6c61-623030726f6f
    rm -rf "$d"
    mkdir -p "$d/usr/local/bin" "$d/lab/report.d" "$d/etc/nestvirt/lab0" "$d/var/lib/nestvirt/lab0"
    lab_tool_bin fake-ch
    install -m 0755 "$LAB_TOOL" "$d/usr/local/bin/cloud-hypervisor"
    install -m 0755 "$LAB_HERE/guest/vm-lifecycle.sh" "$d/lab/report.d/10-vm-lifecycle.sh"
    # Scenario 17 (apply) shares this boot: its part runs after the VM part.
    install -m 0755 "$LAB_HERE/guest/apply.sh" "$d/lab/report.d/17-apply.sh"
    printf 'boot lab: not a kernel; the stand-in hypervisor only opens it\n' > "$d/var/lib/nestvirt/vmlinux"
    printf '#cloud-config\nhostname: lab0\nssh_authorized_keys:\n  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGxhYjBsYWIwbGFiMGxhYjBsYWIwbGFiMGxhYjBsYWIw lab\n' \
        > "$d/etc/nestvirt/lab0/user-data"
    printf 'instance-id: lab0\nlocal-hostname: lab0\n' > "$d/etc/nestvirt/lab0/meta-data"
    # The control VM: its unit as generated, less what pinning guest memory needs.
    mkdir -p "$d/etc/systemd/system/nestvirt-vm@lab2.service.d"
    printf '%s\n' '# Lab control: without CAP_IPC_LOCK and with 64 KiB of lockable memory, pinning' \
        '# the guest memory for VFIO must be refused (ENOMEM).' '[Service]' 'CapabilityBoundingSet=' \
        'LimitMEMLOCK=64K' 'Restart=no' > "$d/etc/systemd/system/nestvirt-vm@lab2.service.d/50-lab-control.conf"
    disk=$d/var/lib/nestvirt/lab0/root.raw
    truncate -s 32M "$disk"
    printf 'label: dos\nlabel-id: 0x6e766c30\nstart=2048, type=83\n' | sfdisk -q "$disk" > /dev/null ||
        lab_die "sfdisk failed on $disk"
    E2FSPROGS_FAKE_TIME=1700000000 mkfs.ext4 -q -F -L lab0-root -U "$uuid" -T small \
        -E "offset=1048576,hash_seed=$uuid" "$disk" 31M || lab_die "mkfs.ext4 failed on $disk"
    LAB_ROOT_FILES=$d
}

# vm_field KEY: the value of "vm KEY VALUE" in the report.
vm_field() { sed -n "s/^vm $1 //p" "$R/report.clean" | head -n1; }

expect_vm() {           # expect_vm KEY REGEX DESCRIPTION
    local got
    got=$(vm_field "$1")
    grep -qE -- "$2" <<<"$got"
    _lab_check $? "$3" "vm $1: ${got:-nothing}"
}

# expect_journal VM REGEX DESCRIPTION: a line of the unit's journal matches. (No grep -q
# after a pipe: see expect_grep.)
expect_journal() {
    grep -E "^vm-journal-$1 " "$R/report.clean" | grep -E -- "$2" > /dev/null
    _lab_check $? "$3" "no line of nestvirt-vm@$1's journal matches /$2/"
}

expect_no_journal() {
    ! grep -E "^vm-journal-$1 " "$R/report.clean" | grep -E -- "$2" > /dev/null
    _lab_check $? "$3" "$(grep -E "^vm-journal-$1 " "$R/report.clean" | grep -E -- "$2" | head -n 2 | tr '\n' ';')"
}

scenario() {
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab10_files
    lab_rootfs "$LAB_CONFIG_10"
    lab_image_dracut "$LAB_CONFIG_10" --add-drivers virtio_blk --filesystems ext4
    LAB_REPORT_IN=root lab_boot boot1 "$IMAGE" "root=LABEL=nestvirt-root rw rd.timeout=120" -- "${ROOT_QEMU[@]}"
    expect_scenario10
}

# The checks on the report in $R (apart from the boot, to check a kept report again).
expect_scenario10() {
    local fake='cloud-hypervisor\[[0-9]+\]: fake-ch: ' nv='nestvirt\[[0-9]+\]: '
    expect_report
    expect_grep report '^lab stage root' "the boot completed into the real root"
    expect_grep report '^vm-end' "the VM part of the report ran to its end"
    expect_driver 0000:21:00.0 vfio-pci
    expect_driver 0000:22:00.0 vfio-pci
    expect_driver 0000:41:00.0 vfio-pci
    expect_driver 0000:42:00.0 e1000e
    expect_vm pages-before 'node0 free=1 node1 free=1$' "node 0 and node 1 have their free page before the start"

    # Start: preflight, prepare, the stand-in under the sandbox, readiness.
    expect_vm load 'LoadState=loaded' "the generator wrote nestvirt-vm@lab0.service in the root"
    expect_vm start-rc '^0$' "systemctl start nestvirt-vm@lab0 succeeds"
    expect_vm is-active '^active$' "nestvirt-vm@lab0 is active"
    expect_vm state-started 'SubState=running' "nestvirt-vm@lab0 is running"
    expect_journal lab0 "${nv}VM lab0: preflight passed" "preflight passed"
    expect_journal lab0 "${fake}argv\\[[0-9]+\\] id=mem0,size=1G,hugepages=on,hugepage_size=1G,host_numa_node=0" \
        "the stand-in got the memory zone on node 0"
    expect_journal lab0 "${fake}argv ok: 1 memory zone\\(s\\), 2 disk\\(s\\), 2 device\\(s\\), serial file=/var/log/nestvirt/lab0.serial.log" \
        "the stand-in parsed the command line (1 zone, 2 disks, 2 devices, serial file)"
    expect_journal lab0 "${fake}credentials ok: .*\\(CAP_IPC_LOCK yes\\), RLIMIT_MEMLOCK infinity, NoNewPrivs 1" \
        "CH runs with CAP_IPC_LOCK, LimitMEMLOCK=infinity and NoNewPrivileges"
    expect_vm main-memlock 'unlimited +unlimited' "the main process's locked-memory limit is unlimited"
    expect_vm kvm-acl-control '^rc=[1-9] .*/dev/kvm: Operation not permitted' "control: without a DeviceAllow= rule the stand-in /dev/kvm is refused"
    expect_journal lab0 "${fake}kvm ok: /dev/kvm opened read-write \\(char 10:" "/dev/kvm opens read-write (DeviceAllow=/dev/kvm)"
    expect_journal lab0 "${fake}disk ok: /var/lib/nestvirt/lab0/root.raw opened read-write and locked" \
        "the writable disk opens read-write under ProtectSystem=strict (ReadWritePaths=)"
    expect_journal lab0 "${fake}disk ok: /run/nestvirt/vm/lab0/cidata.iso opened read-only and locked, [0-9]+ bytes, ISO 9660 volume 'cidata'" \
        "vm prepare built the cloud-init seed (ISO 9660, volume cidata) and it opens read-only"
    expect_journal lab0 "${fake}serial ok: /var/log/nestvirt/lab0.serial.log created" "the serial file is created (LogsDirectory=)"
    expect_vm serial-log 'serial console of the lab' "the serial log holds what the stand-in wrote"
    expect_journal lab0 "${fake}memory ok: zone mem0, 1024 MiB of 1024 MiB pages .*bound to node 0, touched, first page on node 0" \
        "guest memory: a 1 GiB hugetlb memfd, mbind to node 0, on node 0"
    expect_vm pages-running 'node0 free=0$' "the running VM holds node 0's page (free 0)"
    expect_journal lab0 "${fake}affinity ok: 2 vCPUs on host CPUs 0,1" "sched_setaffinity to node 0's CPUs 0-1"
    expect_journal lab0 "${fake}vfio ok: VFIO_SET_IOMMU\\(TYPE1v2\\), zone mem0 mapped for DMA: 1024 MiB pinned" \
        "VFIO_IOMMU_MAP_DMA pins the 1 GiB of guest memory"
    expect_journal lab0 "${fake}vfio ok: device 0000:21:00.0 \\(id dev0\\): device fd" "device fd of 0000:21:00.0 (DeviceAllow=char-vfio)"
    expect_journal lab0 "${fake}vfio ok: device 0000:22:00.0 \\(id dev1\\): device fd" "device fd of 0000:22:00.0"
    expect_journal lab0 "${fake}seccomp ok" "CH's own seccomp filter can be installed (SystemCallFilter= allows seccomp)"
    expect_journal lab0 "${fake}api: GET /api/v1/vm.info -> 200" "vm wait-running asked vm.info"
    expect_journal lab0 "${nv}VM lab0 is running" "vm wait-running saw the VM running"
    expect_no_journal lab0 "FAILED" "no step of the stand-in was refused"

    # systemd-analyze security of the running unit.
    local exposure
    exposure=$(sed -n 's/^vm-security .*Overall exposure level for nestvirt-vm@lab0.service: \([0-9.]*\).*/\1/p' "$R/report.clean")
    [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 5.0) }'
    _lab_check $? "systemd-analyze security: overall exposure at most 5.0" "got ${exposure:-no figure}"

    # The negative case: lab1 wants 2 pages on node 0, which has none free.
    expect_vm bad-start-rc '^[1-9]' "systemctl start nestvirt-vm@lab1 fails"
    expect_journal lab1 "${nv}VM lab1: .*free 1 GiB pages on node 0, but Memory=2G needs 2" \
        "lab1's journal has the one-line reason (free pages on node 0, Memory=2G)"
    expect_journal lab1 "${nv}VM lab1: preflight failed" "lab1's preflight says it failed"
    expect_no_journal lab1 "cloud-hypervisor\\[" "the hypervisor never ran for lab1"

    # Stop: the power button, the stand-in's own exit, a clean inactive unit.
    expect_vm stop-rc '^0$' "systemctl stop nestvirt-vm@lab0 succeeds"
    expect_journal lab0 "${fake}api: PUT /api/v1/vm.power-button -> 204" "vm stop pressed the power button"
    expect_journal lab0 "${fake}guest shut down .*exiting 0" "the stand-in exited by itself"
    expect_journal lab0 "${nv}VM lab0 shut down after" "vm stop saw it shut down"
    expect_no_journal lab0 "SIGTERM" "no SIGTERM (hard power-off) reached the hypervisor"
    expect_vm is-active-stopped '^inactive$' "nestvirt-vm@lab0 is inactive after the stop"
    expect_vm is-failed-stopped '^inactive$' "nestvirt-vm@lab0 is not failed"
    expect_vm state-stopped 'Result=success .*ExecMainStatus=0' "the unit's result is success, exit status 0"
    expect_vm pages-after 'node0 free=1$' "node 0's page is free again"

    # The control: lab2 without CAP_IPC_LOCK and with LimitMEMLOCK=64K (a drop-in).
    expect_vm control-start-rc '^[1-9]' "control: systemctl start nestvirt-vm@lab2 fails"
    expect_journal lab2 "${fake}credentials ok: .*\\(CAP_IPC_LOCK no\\), RLIMIT_MEMLOCK 65536" \
        "control: the stand-in runs without CAP_IPC_LOCK, 64 KiB lockable"
    expect_journal lab2 "${fake}memory ok: zone mem0, .*bound to node 1, touched, first page on node 1" \
        "control: guest memory on node 1, the node of 41:00.0"
    expect_journal lab2 "${fake}vfio FAILED: VFIO_IOMMU_MAP_DMA zone mem0.*\\(ENOMEM\\)" \
        "control: pinning the guest memory for VFIO is refused (ENOMEM)"

    echo "# start $(vm_field start-seconds) s, stop $(vm_field stop-seconds) s, lab1's failed start $(vm_field bad-start-seconds) s," \
         "systemd-analyze security $(vm_field security-seconds) s; exposure ${exposure:-?}"
    echo "# lab1 after its failed start: $(vm_field bad-state); later: $(vm_field bad-state-later)"
}
