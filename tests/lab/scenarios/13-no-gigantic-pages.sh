# shellcheck shell=bash
# 13. Fault: a CPU without 1 GiB page support (QEMU `-cpu max,pdpe1gb=off`, the topology
#     edited as scenario 3 edits intremap), so the kernel has no hugepages-1048576kB at all.
#     Scenario 1's image and configuration (1 page planned on node 0): the generator logs
#     the plan's error, nestvirt-hugepages.service fails with one line that says the CPU
#     lacks pdpe1gb and what to do, nothing crashes, the boot completes, the devices are
#     claimed all the same, and `status` gives the reason.

# shellcheck source=01-virtio-claim.sh
. "$LAB_HERE/scenarios/01-virtio-claim.sh"

scenario() {
    local d nv='nestvirt\[[0-9]+\]: ' gen='nestvirt-generator\[[0-9]+\]: '
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev 's/^max$/max,pdpe1gb=off/'
    printf '%s\n' "${TOPO_ARGS[@]}" | grep -x 'max,pdpe1gb=off' > /dev/null ||
        lab_die "topology.sh no longer gives -cpu max on a line of its own"
    lab_image_dracut "$LAB_CONFIG_1"

    # What the guest's CPU and kernel offer, in the report.
    d=$LAB_TMP/13-files
    mkdir -p "$d/lab/report.d"
    cat > "$d/lab/report.d/13-cpu.sh" <<'EOF'
if grep -qw pdpe1gb /proc/cpuinfo; then echo "cpu pdpe1gb yes"; else echo "cpu pdpe1gb no"; fi
echo "cpu hugepage-sizes $(ls /sys/kernel/mm/hugepages 2>&1 | tr '\n' ' ')"
EOF
    chmod 0755 "$d/lab" "$d/lab/report.d" "$d/lab/report.d/13-cpu.sh"
    lab_cpio "$d" "$LAB_TMP/13.cpio.gz"
    LAB_EXTRA_CPIO=("$LAB_TMP/13.cpio.gz")
    lab_boot boot1 "$IMAGE" ""
    LAB_EXTRA_CPIO=()

    expect_report
    expect_grep report '^cpu pdpe1gb no$' "the guest CPU has no pdpe1gb"
    expect_no_grep report '^cpu hugepage-sizes .*hugepages-1048576kB' "the kernel offers no 1 GiB pages"
    expect_grep report '^cpu hugepage-sizes .*hugepages-2048kB' "(it does offer 2 MiB pages)"
    expect_no_grep report '^hugepages node' "no node has a 1 GiB pool"

    expect_grep report "${gen}/etc/nestvirt.conf:2: 1 page of 1 GiB is wanted, but this kernel offers no 1 GiB pages .*pdpe1gb" \
        "the generator logs the plan's error"
    expect_grep report "${nv}The kernel offers no 1 GiB pages \\(/sys/kernel/mm/hugepages/hugepages-1048576kB is missing\\): the CPU lacks pdpe1gb .*; give the VM a CPU model with 1 GiB page support" \
        "reserve-hugepages says the CPU lacks pdpe1gb and what to do"
    expect_grep report '^unit nestvirt-hugepages.service Result=exit-code ExecMainStatus=1 .*ActiveState=failed' \
        "nestvirt-hugepages.service failed with exit status 1 (a refusal, not a crash)"
    expect_no_grep report 'dumped core|segfault|SIGSEGV|SIGABRT' "nothing crashed"

    # The rest of the plan holds.
    expect_driver 0000:21:00.0 vfio-pci
    expect_driver 0000:22:00.0 vfio-pci
    expect_driver 0000:41:00.0 e1000e
    expect_driver 0000:42:00.0 e1000e
    expect_probe ok 0000:21:00.0 0000:22:00.0
    expect_grep report '^unit nestvirt-vfio.service .*ActiveState=active' "nestvirt-vfio.service is active"
    expect_status_rc 1
    expect_json "node 0 planned 1, reserved 0" 'node(0).get("requested") == 1 and node(0).get("reserved") == 0'
    expect_json "names the missing 1 GiB pages and pdpe1gb" \
        "any('no 1 GiB pages' in p and 'pdpe1gb' in p for p in s['problems'])"
    expect_json "the devices hold" \
        'all(dev(a).get("driver") == "vfio-pci" for a in ("0000:21:00.0", "0000:22:00.0"))'
}
