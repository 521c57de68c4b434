# shellcheck shell=bash
# 15. Fault: the VM's disk image is missing. Real root file system, one VM with
#     Autostart=yes (and Restart=no, so that one failure stays one), everything else in
#     place: its 1 GiB page on node 0, Hypervisor= is the lab's fake-ch (scenario 10), its
#     Kernel= file, and a stand-in /dev/kvm (no KVM under TCG: a tmpfiles.d line makes a
#     character device with /dev/null's numbers; only the preflight looks at it here).
#     At boot the VM unit's preflight (`nestvirt vm preflight`) refuses with one line that
#     names the file:line of Disk= and what to do, "1 problem", the hypervisor never runs,
#     the unit fails and the boot completes (nestvirt-vms.target active). The report runs
#     the preflight by hand and `systemctl start` once more: the same refusal.

LAB_CONFIG_15='[Host]
Hugepages=auto
Hypervisor=/usr/local/bin/cloud-hypervisor

[VM lab0]
Memory=1G
NUMANode=0
Kernel=/var/lib/nestvirt/vmlinux
Cmdline=console=ttyS0 root=/dev/vda1 rw
Disk=/var/lib/nestvirt/lab0/root.raw
Restart=no'

lab15_files() {
    local d=$LAB_TMP/files-15
    rm -rf "$d"
    mkdir -p "$d/usr/local/bin" "$d/lab/report.d" "$d/var/lib/nestvirt/lab0" "$d/etc/tmpfiles.d"
    lab_tool_bin fake-ch
    install -m 0755 "$LAB_TOOL" "$d/usr/local/bin/cloud-hypervisor"
    install -m 0755 "$LAB_HERE/guest/vm-disk-missing.sh" "$d/lab/report.d/15-vm-disk-missing.sh"
    printf 'boot lab: not a kernel; the VM never gets that far\n' > "$d/var/lib/nestvirt/vmlinux"
    printf '# Boot lab: a stand-in /dev/kvm for the VM preflight (no KVM under TCG).\nc /dev/kvm 0666 root root - 1:3\n' \
        > "$d/etc/tmpfiles.d/lab-kvm.conf"
    chmod 0644 "$d/var/lib/nestvirt/vmlinux" "$d/etc/tmpfiles.d/lab-kvm.conf"
    LAB_ROOT_FILES=$d
}

vmdisk_field() { sed -n "s/^vmdisk $1 //p" "$R/report.clean" | head -n1; }

expect_vmdisk() {      # expect_vmdisk KEY REGEX DESCRIPTION
    local got
    got=$(vmdisk_field "$1")
    grep -qE -- "$2" <<<"$got"
    _lab_check $? "$3" "vmdisk $1: ${got:-nothing}"
}

scenario() {
    local line nv='nestvirt\[[0-9]+\]: '
    line=$(grep -n '^Disk=' <<<"$LAB_CONFIG_15" | cut -d: -f1)
    local refusal="VM lab0: /etc/nestvirt.conf:$line: Disk=/var/lib/nestvirt/lab0/root.raw does not exist; put it there or fix Disk="
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab15_files
    lab_rootfs "$LAB_CONFIG_15"
    lab_image_dracut "$LAB_CONFIG_15" --add-drivers virtio_blk --filesystems ext4
    LAB_REPORT_IN=root lab_boot boot1 "$IMAGE" "root=LABEL=nestvirt-root rw rd.timeout=120" -- "${ROOT_QEMU[@]}"

    expect_report
    expect_grep report '^lab stage root' "the boot completed into the real root"
    expect_grep report '^vmdisk-end' "the report's VM part ran to its end"
    expect_vmdisk kvm '^crw' "the stand-in /dev/kvm is a character device"
    expect_vmdisk disk 'No such file' "the disk image is missing"
    expect_vmdisk wants 'nestvirt-vm@lab0.service' "nestvirt-vms.target wants the VM (Autostart=yes)"

    # At boot.
    expect_vmdisk boot-state 'ActiveState=failed .*Result=exit-code' "at boot nestvirt-vm@lab0 failed (its preflight)"
    expect_vmdisk target 'ActiveState=active' "nestvirt-vms.target is active all the same: the boot went on"
    grep -F -- "$refusal" "$R/report.clean" | grep -E "^vmdisk-journal .*${nv}" > /dev/null
    _lab_check $? "the unit's journal: the Disk= line, its file:line and what to do" "no line '$refusal'"
    grep -E "^vmdisk-journal .*${nv}VM lab0: preflight failed: 1 problem \\(above\\)" "$R/report.clean" > /dev/null
    _lab_check $? "the preflight found exactly that 1 problem (pages, /dev/kvm, Hypervisor=, Kernel= passed)"
    ! grep -E '^vmdisk-journal .*(fake-ch|cloud-hypervisor\[)' "$R/report.clean" > /dev/null
    _lab_check $? "the hypervisor never ran"
    expect_vmdisk pages 'node0 free=1$' "node 0's page is still free"

    # By hand, and a second start.
    expect_vmdisk preflight-rc '^1$' "nestvirt vm preflight lab0 exits 1"
    grep -F -- "vmdisk-preflight $refusal" "$R/report.clean" > /dev/null
    _lab_check $? "nestvirt vm preflight lab0 prints the same line"
    expect_vmdisk start-rc '^[1-9]' "systemctl start nestvirt-vm@lab0 fails again"
    expect_vmdisk state-after-start 'ActiveState=failed .*NRestarts=0' "failed, and not restarted (Restart=no)"

    expect_status_rc 1
    expect_json "the failed VM unit is the only problem" \
        "s['problems'] == ['nestvirt-vm@lab0.service is failed; see journalctl -u nestvirt-vm@lab0']"
    expect_json "node 0 has its page" 'node(0).get("requested") == 1 and node(0).get("reserved") == 1'
}
