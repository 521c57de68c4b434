# shellcheck shell=bash
# 1. virtio-iommu (bookworm-backports kernel), 2 NUMA nodes, 4 e1000e "GPUs" (2 per
#    node), a VM that claims 2 of them by id: the two on node 0 go to vfio-pci
#    (the VM's node: the first with two free), the two on node 1 stay on e1000e
#    (loaded by udev coldplug, after nestvirt-vfio.service); 1 page on node 0;
#    unsafe interrupts on (virtio-iommu never remaps); the VFIO probe succeeds;
#    `nestvirt status` says all holds. Image: real dracut.

LAB_CONFIG_1='[Host]
Hugepages=auto
UnsafeInterrupts=auto

[VM train0]
CPUs=1
Memory=1G
Device=8086:10d3*2
Kernel=/var/lib/nestvirt/vmlinux
Autostart=no'

# The assertions shared with scenarios 2 and 8.
expect_scenario1() {
    expect_report
    expect_driver 0000:21:00.0 vfio-pci
    expect_driver 0000:22:00.0 vfio-pci
    expect_driver 0000:41:00.0 e1000e
    expect_driver 0000:42:00.0 e1000e
    expect_pages 0 1
    expect_pages 1 0
    expect_unsafe Y
    expect_probe ok 0000:21:00.0 0000:22:00.0
    expect_status_rc 0
    expect_json "ok is true" 's["ok"] is True'
    expect_json "node 0: requested 1, reserved 1" 'node(0).get("requested") == 1 and node(0).get("reserved") == 1'
    expect_json "21:00.0 and 22:00.0 expected and found on vfio-pci for train0" \
        'all(dev(a).get("vm") == "train0" and dev(a).get("driver") == "vfio-pci" and dev(a).get("expected_driver") == "vfio-pci" and dev(a).get("vfio_device") is True for a in ("0000:21:00.0", "0000:22:00.0"))'
    expect_json "unsafe interrupts wanted and set" 's["unsafe_interrupts"] == {"wanted": True, "actual": True}'
    expect_json "no problems" 's.get("problems") == []'
}

scenario() {
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab_image_dracut "$LAB_CONFIG_1"
    lab_boot boot1 "$IMAGE" ""
    expect_scenario1
    expect_grep report '^unit nestvirt-vfio.service .*ActiveState=active' "nestvirt-vfio.service is active"
    expect_grep report '^unit nestvirt-hugepages.service .*ActiveState=active' "nestvirt-hugepages.service is active"
}
