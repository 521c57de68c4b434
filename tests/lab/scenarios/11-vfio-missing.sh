# shellcheck shell=bash
# 11. Fault: the vfio modules are missing from the initramfs (dracut --omit-drivers drops
#     vfio, vfio_pci, vfio_pci_core and vfio_iommu_type1 that nestvirt's module asks for),
#     scenario 1's configuration, booting into the real root (which has every module). In
#     the initramfs nestvirt-vfio.service writes the devices' driver_override, then cannot
#     load vfio_iommu_type1 or vfio_pci: one line each, naming the module and what to do
#     (rebuild the initramfs), and the unit fails. The boot goes on: coldplug leaves the two
#     claimed devices alone (the override holds them, e1000e never probes them), and after
#     switch-root the main system's nestvirt-vfio.service loads the modules from the root
#     and binds them: the end state equals scenario 1's.

# shellcheck source=01-virtio-claim.sh
. "$LAB_HERE/scenarios/01-virtio-claim.sh"

LAB_VFIO_MODULES="vfio vfio_pci vfio_pci_core vfio_iommu_type1"

# expect_journal_order FIRST SECOND DESCRIPTION: the first journal line matching FIRST
# comes before the first matching SECOND (the report's log part is in journal order).
expect_journal_order() {
    local a b
    a=$(sed -n '/^log-begin$/,/^log-end$/p' "$R/report.clean" | grep -n -m1 -E -- "$1" | cut -d: -f1)
    b=$(sed -n '/^log-begin$/,/^log-end$/p' "$R/report.clean" | grep -n -m1 -E -- "$2" | cut -d: -f1)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
    _lab_check $? "$3" "line ${a:-none} /$1/, line ${b:-none} /$2/"
}

scenario() {
    local m got nv='nestvirt\[[0-9]+\]: ' switch='Switching root'
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab_rootfs "$LAB_CONFIG_1"
    lab_image_dracut "$LAB_CONFIG_1" --add-drivers virtio_blk --filesystems ext4 --omit-drivers "$LAB_VFIO_MODULES"

    # The image really lacks them (and has what nestvirt needs besides).
    R=$LAB_RUN/image
    mkdir -p "$R"; : > "$R/report.clean"
    cpio -it --quiet < "$IMAGE" > "$R/image-files" 2>/dev/null
    got=$(grep -oE '/(vfio|vfio-pci|vfio_pci|vfio-pci-core|vfio_pci_core|vfio_iommu_type1)\.ko[.a-z]*$' "$R/image-files" | tr '\n' ' ')
    [ -z "$got" ]
    _lab_check $? "the initramfs has none of $LAB_VFIO_MODULES" "it has $got"
    grep -E '/virtio[-_]iommu\.ko' "$R/image-files" > /dev/null
    _lab_check $? "the initramfs has virtio_iommu (not omitted)"
    grep -E 'usr/(local/)?bin/nestvirt$' "$R/image-files" > /dev/null
    _lab_check $? "the initramfs has nestvirt"

    LAB_REPORT_IN=root lab_boot boot1 "$IMAGE" "root=LABEL=nestvirt-root rw rd.timeout=120" -- "${ROOT_QEMU[@]}"
    expect_report
    expect_grep report '^lab stage root' "the boot completed into the real root"

    # In the initramfs: which module, where, what to do; one line each.
    expect_grep report "${nv}Cannot load vfio_iommu_type1 \\(to enable allow_unsafe_interrupts\\): it is not in this initramfs; rebuild the initramfs .*\\(dracut -f, or update-initramfs -u\\)" \
        "initramfs: vfio_iommu_type1 is named as missing, with what to do"
    expect_grep report "${nv}Cannot load vfio_pci \\(the driver of the claimed devices\\): it is not in this initramfs; rebuild the initramfs .*after switch-root" \
        "initramfs: vfio_pci is named as missing, with what to do and what happens next"
    expect_journal_order "${nv}Cannot load vfio_pci" "$switch" "that was in the initramfs (before switch-root)"
    expect_journal_order "nestvirt-vfio.service: (Main process exited|Failed with result)" "$switch" \
        "nestvirt-vfio.service failed in the initramfs"
    # No crash, and nothing let the "GPU" driver have the claimed devices meanwhile.
    expect_no_grep report 'dumped core|segfault|SIGSEGV|SIGABRT' "nothing crashed"
    expect_no_grep report 'kernel: e1000e 0000:2[12]:00\.0' "e1000e never probed 21:00.0 or 22:00.0 (the override held them)"

    # After switch-root: the main system's run loads the modules and binds the devices.
    expect_journal_order "$switch" "${nv}0000:21:00\\.0: on vfio-pci, IOMMU group" "after switch-root 21:00.0 went to vfio-pci"
    expect_no_grep report "${nv}Cannot load vfio_pci \\(.*kernel .* has no such module" "the root has vfio_pci"
    expect_grep report '^unit nestvirt-vfio.service .*ActiveState=active' "nestvirt-vfio.service is active in the main system"
    expect_scenario1
    for m in vfio_pci vfio_iommu_type1; do
        expect_grep report "^module $m loaded" "$m is loaded (from the root)"
    done
}
