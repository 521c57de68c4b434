# shellcheck shell=bash
# 5. nestvirt=0 on the kernel command line (the escape hatch): the same image as
#    scenario 1, nothing claimed (all four on e1000e), no pages reserved, no
#    nestvirt unit run.

# shellcheck source=01-virtio-claim.sh
. "$LAB_HERE/scenarios/01-virtio-claim.sh"

scenario() {
    local a
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab_image_dracut "$LAB_CONFIG_1"
    lab_boot boot1 "$IMAGE" "nestvirt=0"
    expect_report
    for a in 0000:21:00.0 0000:22:00.0 0000:41:00.0 0000:42:00.0; do
        expect_driver $a e1000e
    done
    expect_pages 0 0
    expect_pages 1 0
    expect_probe none
    expect_no_grep report '^unit nestvirt-(vfio|hugepages).service .*ActiveState=(active|failed)' "no nestvirt unit ran"
    expect_no_grep report 'override=vfio-pci' "no driver_override set"

    lab_boot rd-disabled "$IMAGE" "rd.nestvirt=0"
    expect_report
    for a in 0000:21:00.0 0000:22:00.0 0000:41:00.0 0000:42:00.0; do
        expect_driver $a e1000e
    done
    expect_pages 0 0
    expect_no_grep report '^unit nestvirt-(vfio|hugepages).service .*ActiveState=(active|failed)' "rd.nestvirt=0: no nestvirt unit ran in the initrd"
}
