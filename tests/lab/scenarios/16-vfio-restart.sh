# shellcheck shell=bash
# 16. Fault: nestvirt-vfio.service killed in the middle of its run, then started again.
#     Scenario 1's image, in the initrd after the report's own lines (guest/vfio-restart.sh
#     appended as a report part): with one claimed device back on e1000e, the other left
#     unbound with its override, and allow_unsafe_interrupts off again, the unit is started
#     and SIGKILLed right after its first write; then `systemctl start` must finish the job
#     (end state = the plan), a `systemctl restart` with nothing to do must unbind nothing,
#     and two `nestvirt bind-vfio` at once must both succeed. The VFIO probe and `status`
#     hold at the end.

# shellcheck source=01-virtio-claim.sh
. "$LAB_HERE/scenarios/01-virtio-claim.sh"

restart_field() { sed -n "s/^restart $1 //p" "$R/report.clean" | head -n1; }

expect_restart() {     # expect_restart KEY REGEX DESCRIPTION
    local got
    got=$(restart_field "$1")
    grep -qE -- "$2" <<<"$got"
    _lab_check $? "$3" "restart $1: ${got:-nothing}"
}

# The plan, as guest/vfio-restart.sh prints the state.
PLANNED_16='0000:21:00.0=vfio-pci/vfio-pci 0000:22:00.0=vfio-pci/vfio-pci 0000:41:00.0=e1000e/none 0000:42:00.0=e1000e/none unsafe=Y'

scenario() {
    local d
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab_image_dracut "$LAB_CONFIG_1"
    d=$LAB_TMP/16-files
    mkdir -p "$d/lab/report.d"
    chmod 0755 "$d/lab" "$d/lab/report.d"
    install -m 0755 "$LAB_HERE/guest/vfio-restart.sh" "$d/lab/report.d/16-vfio-restart.sh"
    lab_cpio "$d" "$LAB_TMP/16.cpio.gz"
    LAB_EXTRA_CPIO=("$LAB_TMP/16.cpio.gz")
    lab_boot boot1 "$IMAGE" ""
    LAB_EXTRA_CPIO=()

    expect_report
    expect_scenario1
    expect_grep report '^restart-end' "the restart part ran to its end"
    expect_restart initial "^$PLANNED_16\$" "at first the state is the plan"
    expect_restart before-kill '^0000:21:00.0=e1000e/none 0000:22:00.0=none/vfio-pci .* unsafe=N$' \
        "undone: 21:00.0 on e1000e, 22:00.0 unbound with its override, unsafe interrupts off"

    # The kill: mid-run, and it left the job unfinished.
    expect_restart unit-after-kill 'ActiveState=failed Result=signal ExecMainCode=2 ExecMainStatus=9' \
        "the unit was killed by SIGKILL while running"
    local after
    after=$(restart_field after-kill)
    [ -n "$after" ] && [ "$after" != "$PLANNED_16" ]
    _lab_check $? "the kill left the job unfinished" "after the kill: ${after:-nothing}"
    echo "# killed after $(restart_field kill-after-polls | cut -d' ' -f1) polls; it had reached: ${after:-?}"

    # Started again: the plan, and the unit holds.
    expect_restart start-rc '^0$' "systemctl start after the kill succeeds"
    expect_restart after-start "^$PLANNED_16\$" "then the state is the plan again"
    expect_restart unit-after-start 'ActiveState=active Result=success' "nestvirt-vfio.service is active again"
    expect_grep report '^restart-log-start 0000:21:00.0: on vfio-pci, IOMMU group [0-9]+, /dev/vfio/[0-9]+ present' \
        "the new run verified 21:00.0 on vfio-pci"
    expect_grep report '^restart-log-start 0000:22:00.0: on vfio-pci, IOMMU group [0-9]+, /dev/vfio/[0-9]+ present' \
        "the new run verified 22:00.0 on vfio-pci"

    # Nothing to do: nothing undone or redone.
    expect_restart restart-rc '^0$' "systemctl restart with nothing to do succeeds"
    expect_restart after-restart "^$PLANNED_16\$" "and changes nothing"
    expect_no_grep report '^restart-log-restart .*unbound from' "the restart unbound nothing"

    # Two runs at once.
    expect_restart concurrent-rc '^0 0$' "two nestvirt bind-vfio at once both succeed"
    expect_restart after-concurrent "^$PLANNED_16\$" "and end in the plan"
    expect_no_grep report '^restart-log-concurrent-[ab] .*([Cc]annot|not bound|refus|failed)' "neither run reports a failure"

    expect_restart probe-rc '^0$' "the VFIO probe passes on 21:00.0 and 22:00.0 at the end"
    expect_restart status-rc '^0$' "nestvirt status holds at the end"
    expect_no_grep report 'dumped core|segfault|SIGSEGV|SIGABRT' "nothing crashed"
}
