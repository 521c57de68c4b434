# shellcheck shell=bash
# 6. The configuration names the disk controller that holds the root file system
#    (a virtio-blk disk at 0000:00:05.0 with an ext4 root, root=LABEL=...):
#    nestvirt refuses it with a clear message (in the initramfs it leaves a
#    storage controller to the main system, there it refuses it), the boot
#    completes into the real root (the report comes from there), the root disk
#    stays on virtio-pci, and the other claims still hold.

# shellcheck source=01-virtio-claim.sh
. "$LAB_HERE/scenarios/01-virtio-claim.sh"

LAB_CONFIG_6="$LAB_CONFIG_1

[Host]
Passthrough=0000:00:05.0"

scenario() {
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab_rootfs "$LAB_CONFIG_6"
    lab_image_dracut "$LAB_CONFIG_6" --add-drivers virtio_blk --filesystems ext4
    LAB_REPORT_IN=root lab_boot boot1 "$IMAGE" "root=LABEL=nestvirt-root rw rd.timeout=120" -- "${ROOT_QEMU[@]}"
    expect_report
    expect_grep report '^lab stage root' "the boot completed into the real root"
    expect_grep report '^mount /dev/vda / ext4' "the root file system is the virtio disk"
    expect_driver 0000:00:05.0 virtio-pci
    expect_driver 0000:21:00.0 vfio-pci
    expect_driver 0000:22:00.0 vfio-pci
    expect_driver 0000:41:00.0 e1000e
    expect_grep report 'nestvirt\[[0-9]+\]: .*0000:00:05\.0.*(root|/dev/vda)' "the journal says why 0000:00:05.0 is refused"
    expect_json "status names 0000:00:05.0 among the problems" \
        "any('0000:00:05.0' in p for p in s.get('problems', []))"
    expect_status_rc 1
}
