# shellcheck shell=bash
# 7. A two-function device in one IOMMU group (a GPU slot: e1000e at .0, an HDMI
#    audio function at .1), under virtio-iommu, where an unbound function has no
#    iommu_group link until a driver probes it: the VM names only function 0
#    (by address); the audio function joins the claim. snd_hda_intel is in the
#    initramfs so that coldplug would take the audio function if nestvirt did not.

LAB_CONFIG_7='[VM gpu1]
Memory=1G
Device=0000:41:00.0
Kernel=/var/lib/nestvirt/vmlinux
Autostart=no'

scenario() {
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-8gpu-2node)"
    lab_topology virtio-8gpu-2node
    lab_image_dracut "$LAB_CONFIG_7" --add-drivers snd_hda_intel
    lab_boot boot1 "$IMAGE" ""
    expect_report
    expect_driver 0000:41:00.0 vfio-pci
    expect_driver 0000:41:00.1 vfio-pci
    expect_driver 0000:42:00.0 e1000e
    expect_driver 0000:21:00.0 e1000e
    [ -n "$(pci_attr 0000:41:00.0 group)" ] && [ "$(pci_attr 0000:41:00.0 group)" = "$(pci_attr 0000:41:00.1 group)" ]
    _lab_check $? "both functions in one IOMMU group" "$(pci_attr 0000:41:00.0 group) / $(pci_attr 0000:41:00.1 group)"
    expect_pages 1 1
    expect_probe ok 0000:41:00.0 0000:41:00.1
    expect_status_rc 0
    expect_json "41:00.1 claimed as a group sibling of 41:00.0" \
        'dev("0000:41:00.1").get("reason") == "group-sibling" and dev("0000:41:00.1").get("driver") == "vfio-pci"'
}
