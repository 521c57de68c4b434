# shellcheck shell=bash
# 4. More 1 GiB pages asked of node 0 than it can give (12 on a 10 GiB node, of
#    which the kernel finds about 6 free aligned GiB at run time): the boot
#    completes, nestvirt-hugepages.service fails, the journal and `status` name
#    the node and the numbers, `status` exits 1; the devices are claimed all the same.

LAB_CONFIG_4='[Host]
Hugepages=0:12

[VM train0]
Memory=1G
Device=8086:10d3*2
Kernel=/var/lib/nestvirt/vmlinux
Autostart=no'

scenario() {
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab_image_dracut "$LAB_CONFIG_4"
    lab_boot boot1 "$IMAGE" ""
    expect_report
    expect_driver 0000:21:00.0 vfio-pci
    expect_driver 0000:22:00.0 vfio-pci
    expect_driver 0000:41:00.0 e1000e
    local got
    got=$(awk '$1 == "hugepages" && $2 == "node0" { sub("nr=", "", $3); print $3 }' "$R/report.clean")
    [ -n "$got" ] && [ "$got" -lt 12 ]
    _lab_check $? "node 0 got fewer than 12 pages" "got ${got:-?}"
    expect_status_rc 1
    expect_json "ok is false" 's["ok"] is False'
    expect_json "node 0: requested 12, reserved < 12" 'node(0).get("requested") == 12 and node(0).get("reserved", 12) < 12'
    expect_json "a problem names node 0 and the numbers" \
        "any('node 0' in p and '12' in p and str(node(0).get('reserved')) in p for p in s.get('problems', []))"
    expect_grep report '^unit nestvirt-hugepages.service .*ActiveState=failed' "nestvirt-hugepages.service failed"
    expect_grep report "nestvirt\\[[0-9]+\\]: .*[Nn]ode 0.*12" "the journal names node 0 and the count"
    echo "# node 0: 12 asked, $got reserved"
}
