# shellcheck shell=bash
# 17. `nestvirt apply` on a running system. Scenario 10's boot (same root image, same
#     initramfs, both cached): its report part guest/vm-lifecycle.sh runs first, then
#     guest/apply.sh (installed by lab10_files as /lab/report.d/17-apply.sh) starts
#     nestvirt-vm@lab0 again (fake-ch), writes a drop-in as cloud-init's write_files would
#     (Hugepages 0:1,1:2 and a new VM lab3, Autostart=yes, on 42:00.0 which e1000e has), and
#     runs `apply --dry-run` (it lists the page, the device and the new unit, and changes
#     nothing), `apply` (42:00.0 on vfio-pci, node 1 topped up to 2 pages, lab3's unit loaded
#     and started, lab0 untouched: same MainPID, no restart), and `apply --dry-run` again
#     (nothing left to change). This scenario checks scenario 10's results too: running it
#     makes lab-10 redundant.

# shellcheck source=10-vm-lifecycle.sh
. "$LAB_HERE/scenarios/10-vm-lifecycle.sh"

apply_field() { sed -n "s/^apply $1 //p" "$R/report.clean" | head -n1; }

expect_apply() {       # expect_apply KEY REGEX DESCRIPTION
    local got
    got=$(apply_field "$1")
    grep -qE -- "$2" <<<"$got"
    _lab_check $? "$3" "apply $1: ${got:-nothing}"
}

# expect_apply_out STEP REGEX DESCRIPTION: a line apply printed at STEP (dry, apply, again).
expect_apply_out() {
    grep -E "^apply-out-$1 " "$R/report.clean" | sed "s/^apply-out-$1 //" | grep -E -- "$2" > /dev/null
    _lab_check $? "$3" "$(grep -E "^apply-out-$1 " "$R/report.clean" | tr '\n' ';')"
}

expect_no_apply_out() {
    ! grep -E "^apply-out-$1 " "$R/report.clean" | sed "s/^apply-out-$1 //" | grep -E -- "$2" > /dev/null
    _lab_check $? "$3" "$(grep -E "^apply-out-$1 " "$R/report.clean" | tr '\n' ';')"
}

expect_scenario17() {
    expect_grep report '^apply-end' "the apply part ran to its end"
    expect_apply lab0-start-rc '^0$' "nestvirt-vm@lab0 started again before the config changed"
    expect_apply lab0-pid-before '^[1-9][0-9]*$' "lab0 has a main PID"
    expect_apply state-before '^node0=1 node1=1 42:00.0=e1000e .*lab3=not-found$' \
        "before: 1 page per node, 42:00.0 on e1000e, no lab3 unit"

    # --dry-run: the differences, nothing done.
    expect_apply dry-rc '^0$' "apply --dry-run exits 0"
    expect_apply_out dry '^node 1: 1 GiB pages: 1 reserved, 2 planned: add 1$' "dry run: node 1 needs one more page"
    expect_apply_out dry '^0000:42:00.0: claim for VM lab3, from e1000e$' "dry run: 42:00.0 to claim from e1000e"
    expect_apply_out dry '^nestvirt-vm@lab3.service: new, Autostart=yes: will start$' "dry run: lab3's unit is new and will start"
    expect_no_apply_out dry '^nestvirt-vm@lab[012]|^node 0|^0000:(21|22|41)' "dry run: nothing about lab0-2, node 0 or the claimed devices"
    expect_apply dry-unchanged '^yes$' "apply --dry-run changed nothing (pools, drivers, units)"

    # apply: everything took effect, the running VM untouched.
    expect_apply apply-rc '^0$' "apply exits 0"
    expect_apply_out apply 'systemd reloaded' "apply reloaded systemd"
    expect_apply_out apply 'Node 1: 2 pages of 1 GiB reserved \(1 before\)' "apply topped node 1 up to 2 pages"
    expect_apply_out apply '0000:42:00.0: on vfio-pci, IOMMU group [0-9]+, /dev/vfio/[0-9]+ present' "apply put 42:00.0 on vfio-pci"
    expect_apply_out apply 'nestvirt-vm@lab3.service: started' "apply started lab3"
    expect_apply state-after '^node0=1 node1=2 42:00.0=vfio-pci .*nestvirt-vm@lab3.service,.*lab3=loaded$' \
        "after: node 1 has 2 pages, 42:00.0 on vfio-pci, lab3's unit loaded"
    expect_apply lab3 'LoadState=loaded ActiveState=active SubState=running FragmentPath=/run/systemd/generator/nestvirt-vm@lab3.service' \
        "lab3 runs from the generated unit"
    expect_journal_apply 'fake-ch: vfio ok: device 0000:42:00.0 \(id dev0\): device fd' "lab3's hypervisor opened 42:00.0 through VFIO"
    local before after
    before=$(apply_field lab0-pid-before) after=$(apply_field lab0-pid-after)
    [ -n "$before" ] && [ "$before" = "$after" ]
    _lab_check $? "lab0 kept running with the same MainPID" "before ${before:-?}, after ${after:-?}"
    expect_apply lab0-active '^active$' "lab0 is still active"
    expect_apply lab0-restarts '^0$' "lab0 was not restarted"

    # Again: nothing left.
    expect_apply again-rc '^0$' "apply --dry-run afterwards exits 0"
    expect_apply_out again '^Nothing to change\.$' "apply --dry-run afterwards: nothing to change"
    expect_apply stop-rc '^0$' "lab3 and lab0 stop"
}

expect_journal_apply() {   # expect_journal_apply REGEX DESCRIPTION: a line of lab3's journal
    grep -E "^apply-journal " "$R/report.clean" | grep -E -- "$1" > /dev/null
    _lab_check $? "$2" "no line of nestvirt-vm@lab3's journal matches /$1/"
}

scenario() {
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab10_files
    lab_rootfs "$LAB_CONFIG_10"
    lab_image_dracut "$LAB_CONFIG_10" --add-drivers virtio_blk --filesystems ext4
    LAB_REPORT_IN=root lab_boot boot1 "$IMAGE" "root=LABEL=nestvirt-root rw rd.timeout=120" -- "${ROOT_QEMU[@]}"
    expect_scenario10
    expect_scenario17
}
