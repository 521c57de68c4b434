# shellcheck shell=bash
# 2. As 1, with the "GPU" driver in the initramfs and loaded before nestvirt runs
#    (the nvidia-in-initramfs race): /etc/modules-load.d/lab-e1000e.conf in the
#    image, so systemd-modules-load.service loads e1000e, and nestvirt-vfio.service
#    (After=systemd-modules-load.service) comes later.
#    - virtio-iommu (LAB_BOOTS boots, default 10, zero lost): the devices behind
#      the virtio-iommu defer their probe until virtio_iommu is loaded, which
#      nestvirt does itself; the deferred probes (e1000e) then race with the
#      driver_override writes.
#    - intel-iommu (built in, 1 boot): e1000e binds the devices at once; nestvirt
#      must override, unbind and reprobe them (libvirt's order).

# shellcheck source=01-virtio-claim.sh
. "$LAB_HERE/scenarios/01-virtio-claim.sh"
# shellcheck source=03-intel-intremap.sh
. "$LAB_HERE/scenarios/03-intel-intremap.sh"

scenario() {
    local n=${LAB_BOOTS:-10} i lost=0 early=0 times=() inc
    # A stable path: it is part of the image's cache key.
    inc=$LAB_CACHE/inputs/modules-load-e1000e
    mkdir -p "$inc/etc/modules-load.d"
    echo e1000e > "$inc/etc/modules-load.d/lab-e1000e.conf"

    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab_image_dracut "$LAB_CONFIG_1" --include "$inc" /
    for i in $(seq 1 "$n"); do
        if ! lab_boot "boot$i" "$IMAGE" ""; then
            lost=$((lost + 1))
            expect_report
            continue
        fi
        times+=("$BOOT_SECONDS")
        expect_scenario1
        # Lost: a claimed device that did not end on vfio-pci usable by a VMM
        # (any other failed check counts as a failure all the same).
        if [ "$(pci_attr 0000:21:00.0 driver)" != vfio-pci ] || [ "$(pci_attr 0000:22:00.0 driver)" != vfio-pci ] ||
           [ "$(report_field probe-rc)" != 0 ]; then
            lost=$((lost + 1))
            echo "# boot$i: a claimed device was lost"
        fi
        if grep -qE 'kernel: e1000e 0000:2[12]:00.0' "$R/report.clean"; then
            early=$((early + 1))
            echo "# boot$i: e1000e probed a claimed device first; nestvirt moved it"
        fi
    done
    echo "# virtio-iommu: $n boots, $lost lost, e1000e first on a claimed device in $early; boot seconds: ${times[*]}"
    R=$LAB_RUN/boot1
    [ "$lost" = 0 ]
    _lab_check $? "virtio-iommu: $n boots in a row, none lost" "$lost lost"

    lab_kernel "$("$LAB_HERE/topology.sh" --kernel intel-8gpu-2node)"
    lab_topology intel-8gpu-2node
    lab_image_dracut "$LAB_CONFIG_3" --include "$inc" /
    lab_boot intel "$IMAGE" ""
    expect_grep report 'kernel: e1000e 0000:21:00.0' "intel-iommu: e1000e had bound 0000:21:00.0 before nestvirt ran"
    expect_grep report 'nestvirt\[[0-9]+\]: 0000:21:00.0: unbound from e1000e' "intel-iommu: nestvirt unbound it from e1000e"
    expect_scenario3
}
