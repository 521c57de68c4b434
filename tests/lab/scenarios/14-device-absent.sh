# shellcheck shell=bash
# 14. Fault: configured devices this machine type does not have. Scenario 1's image, with a
#     drop-in appended (the kernel unpacks it over the image) as written for another machine:
#     [VM gpu0] Device=10de:2330*4 (an H100 id), [VM gone] Device=0000:63:00.0 (no such
#     address), [Host] Passthrough=10de:2330. Each is one line that names the match, its
#     file and line, and says nothing matched; the boot completes; train0 (scenario 1's VM)
#     is unaffected: its two devices on vfio-pci, its page reserved, the others on e1000e.

# shellcheck source=01-virtio-claim.sh
. "$LAB_HERE/scenarios/01-virtio-claim.sh"

LAB_DROPIN_14='# Written for a machine type with four H100s.
[Host]
Passthrough=10de:2330

[VM gpu0]
Memory=1G
Device=10de:2330*4
Kernel=/var/lib/nestvirt/vmlinux
Autostart=no

[VM gone]
Memory=1G
Device=0000:63:00.0
Kernel=/var/lib/nestvirt/vmlinux
Autostart=no'

scenario() {
    local d f=/etc/nestvirt.conf.d/50-h100.conf gen='nestvirt-generator\[[0-9]+\]: ' l_id l_addr l_pass
    l_id=$(grep -n '^Device=10de' <<<"$LAB_DROPIN_14" | cut -d: -f1)
    l_addr=$(grep -n '^Device=0000' <<<"$LAB_DROPIN_14" | cut -d: -f1)
    l_pass=$(grep -n '^Passthrough=' <<<"$LAB_DROPIN_14" | cut -d: -f1)
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab_image_dracut "$LAB_CONFIG_1"
    d=$LAB_TMP/14-files
    mkdir -p "$d/etc/nestvirt.conf.d"
    printf '%s\n' "$LAB_DROPIN_14" > "$d$f"
    chmod 0644 "$d$f"
    lab_cpio "$d" "$LAB_TMP/14.cpio.gz"
    LAB_EXTRA_CPIO=("$LAB_TMP/14.cpio.gz")
    lab_boot boot1 "$IMAGE" ""
    LAB_EXTRA_CPIO=()

    expect_report
    expect_grep report "${gen}$f:$l_id: Device=10de:2330\\*4: nothing on this machine matches 10de:2330 \\(4 wanted\\); see 'nestvirt devices'" \
        "gpu0: the match, its file:line, nothing matched"
    expect_grep report "${gen}$f:$l_addr: Device=0000:63:00.0: no such PCI device on this machine" \
        "gone: the address, its file:line, no such device"
    expect_grep report "${gen}$f:$l_pass: Passthrough=10de:2330 matches no device on this machine" \
        "Passthrough=: the match, its file:line, nothing matched"
    expect_no_grep report 'dumped core|segfault|SIGSEGV|SIGABRT' "nothing crashed"

    # train0, from /etc/nestvirt.conf, as in scenario 1.
    expect_driver 0000:21:00.0 vfio-pci
    expect_driver 0000:22:00.0 vfio-pci
    expect_driver 0000:41:00.0 e1000e
    expect_driver 0000:42:00.0 e1000e
    expect_pages 0 1
    expect_pages 1 0
    expect_unsafe Y
    expect_probe ok 0000:21:00.0 0000:22:00.0
    expect_grep report '^unit nestvirt-vfio.service .*ActiveState=active' "nestvirt-vfio.service is active"
    expect_grep report '^unit nestvirt-hugepages.service .*ActiveState=active' "nestvirt-hugepages.service is active"
    expect_json "train0's devices hold, nothing else is claimed" \
        '[d["address"] for d in s["devices"]] == ["0000:21:00.0", "0000:22:00.0"] and all(dev(a).get("vm") == "train0" and dev(a).get("driver") == "vfio-pci" for a in ("0000:21:00.0", "0000:22:00.0"))'
    expect_json "node 0 requested 1 (train0 only), reserved 1" 'node(0).get("requested") == 1 and node(0).get("reserved") == 1'
    # The two VMs' errors make status exit 1; a Passthrough= that matches nothing is a warning only.
    expect_status_rc 1
    expect_json "names both VMs' matches with file:line, and nothing else" \
        "len(s['problems']) == 2 and any(p.startswith('$f:$l_id: Device=10de:2330*4: nothing on this machine matches') for p in s['problems']) and any(p.startswith('$f:$l_addr: Device=0000:63:00.0: no such PCI device') for p in s['problems'])"
}
