# shellcheck shell=bash
# 3. intel-iommu (bookworm 6.1 kernel), 8 GPU slots (e1000e + HDMI audio function)
#    on 2 nodes. With intremap=on the IOMMU remaps interrupts: auto leaves
#    allow_unsafe_interrupts off, and the VFIO probe still succeeds
#    (VFIO_SET_IOMMU needs no unsafe interrupts). With intremap=off (QEMU's
#    intel-iommu without interrupt remapping) auto turns them on, and the probe
#    succeeds. The audio functions of the claimed slots share their group and
#    are claimed with them.

LAB_CONFIG_3='[Host]
UnsafeInterrupts=auto

[VM train0]
Memory=1G
Device=8086:10d3*2
Kernel=/var/lib/nestvirt/vmlinux
Autostart=no'

expect_scenario3() {
    local a
    expect_report
    for a in 0000:21:00.0 0000:21:00.1 0000:22:00.0 0000:22:00.1; do
        expect_driver $a vfio-pci
    done
    for a in 0000:23:00.0 0000:24:00.0 0000:41:00.0 0000:42:00.0 0000:43:00.0 0000:44:00.0; do
        expect_driver $a e1000e
    done
    expect_pages 0 1
    expect_probe ok 0000:21:00.0 0000:22:00.0
    expect_status_rc 0
    expect_json "ok is true, no problems" 's["ok"] is True and s.get("problems") == []'
    expect_json "audio functions claimed as group siblings" \
        'all(dev(a).get("driver") == "vfio-pci" for a in ("0000:21:00.1", "0000:22:00.1"))'
}

scenario() {
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel intel-8gpu-2node)"
    lab_image_dracut "$LAB_CONFIG_3"

    lab_topology intel-8gpu-2node
    lab_boot intremap-on "$IMAGE" ""
    expect_scenario3
    expect_grep report '^irqchips .*IR-' "interrupt remapping is active (IR- chips)"
    expect_unsafe N
    expect_json "unsafe interrupts neither wanted nor set" 's["unsafe_interrupts"] == {"wanted": False, "actual": False}'

    lab_topology intel-8gpu-2node 's/intel-iommu,intremap=on/intel-iommu,intremap=off/'
    lab_boot intremap-off "$IMAGE" ""
    expect_scenario3
    expect_no_grep report '^irqchips .*IR-' "no interrupt remapping (no IR- chips)"
    expect_unsafe Y
    expect_json "unsafe interrupts wanted and set" 's["unsafe_interrupts"] == {"wanted": True, "actual": True}'
}
