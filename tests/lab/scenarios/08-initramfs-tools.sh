# shellcheck shell=bash
# 8. The initramfs-tools image (real mkinitramfs, the hook and the init-top
#    script) gives the same results as scenario 1. Its init-top ORDER must run
#    nestvirt before udev.

# shellcheck source=01-virtio-claim.sh
. "$LAB_HERE/scenarios/01-virtio-claim.sh"

scenario() {
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab_image_itools "$LAB_CONFIG_1"
    # The generated ORDER: nestvirt before udev.
    local order
    rm -rf "$LAB_TMP/itools-x"
    unmkinitramfs "$IMAGE" "$LAB_TMP/itools-x" 2>/dev/null
    order=$(grep -ho 'init-top/[a-z_-]*' "$LAB_TMP/itools-x/scripts/init-top/ORDER" "$LAB_TMP/itools-x/main/scripts/init-top/ORDER" 2>/dev/null | tr '\n' ' ')
    R=$LAB_RUN/image
    mkdir -p "$R"; : > "$R/report.clean"
    echo "# init-top ORDER: $order"
    case $order in
        *init-top/nestvirt*init-top/udev*) true ;;
        *) false ;;
    esac
    _lab_check $? "init-top ORDER runs nestvirt before udev" "$order"
    lab_boot boot1 "$IMAGE" ""
    expect_scenario1
    expect_json "the initramfs's runs read /etc/nestvirt.conf and recorded what they did" \
        's["initramfs"]["files"] == ["/etc/nestvirt.conf"] and s["initramfs"]["reserve_hugepages"]["exit"] == 0 and s["initramfs"]["bind_vfio"]["exit"] == 0'
}
