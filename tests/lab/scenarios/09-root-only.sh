# shellcheck shell=bash
# 9. nestvirt only in the real root, not in the initramfs: the initramfs (dracut
#    without the nestvirt module) loads e1000e during coldplug, so all four
#    "GPUs" are bound to e1000e at switch-root. In the real root the generator
#    pulls in the two services again (before the main system's coldplug), and
#    bind-vfio moves the two claimed devices from e1000e to vfio-pci
#    (override, unbind, probe). Pages are reserved there too.

# shellcheck source=01-virtio-claim.sh
. "$LAB_HERE/scenarios/01-virtio-claim.sh"

scenario() {
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab_rootfs "$LAB_CONFIG_1"
    # virtio_iommu is not in a --no-hostonly dracut image by default (a hostonly
    # image on the L1 has it, as it is loaded there): without it every device
    # behind the virtio-iommu (ACPI VIOT) defers its probe, the disk included.
    LAB_DRACUT_NESTVIRT=0 lab_image_dracut "" --add-drivers "virtio_blk virtio_iommu" --filesystems ext4
    LAB_REPORT_IN=root lab_boot boot1 "$IMAGE" "root=LABEL=nestvirt-root rw rd.timeout=120" -- "${ROOT_QEMU[@]}"
    expect_report
    expect_grep report '^lab stage root' "the boot completed into the real root"
    expect_no_grep report '^initrd-record ' "nestvirt did not run in the initramfs (no record)"
    expect_json "status: nestvirt did not run in the initramfs" 's.get("initramfs", {}).get("ran") is False'
    # The journal, not the console: the serial console drops kernel messages in bursts.
    expect_grep report 'kernel: e1000e 0000:21:00.0' "e1000e had taken 0000:21:00.0 in the initramfs"
    expect_grep report 'nestvirt\[[0-9]+\]: 0000:21:00.0: unbound from e1000e' "nestvirt unbound it from e1000e after switch-root"
    expect_scenario1
    expect_json "the VM unit exists in the main system" \
        'any(v.get("name") == "train0" and v.get("load_state") == "loaded" for v in s.get("vms", []))'
}
