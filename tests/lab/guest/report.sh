#!/lab/bin/sh
# Runs in the lab guest (busybox sh from the lab overlay), after nestvirt's units
# (or initramfs-tools' init-top) and udev coldplug: writes what the host asserts on
# to the second serial port (ttyS1) between LAB-REPORT-BEGIN and LAB-REPORT-END,
# then powers the machine off (unless lab.report.poweroff=0).
#
#   report.sh STAGE      STAGE: initrd | root (where it runs; printed)
export PATH=/lab/bin:/usr/bin:/usr/sbin:/bin:/sbin
stage=${1:-initrd}
out=/dev/ttyS1
[ -c $out ] || out=/dev/console

settle_timeout=60
poweroff=1
for w in $(cat /proc/cmdline); do
    case $w in
        lab.settle=*) settle_timeout=${w#lab.settle=} ;;
        lab.report.poweroff=0) poweroff=0 ;;
    esac
done

log() { echo "lab-report: $*" > /dev/kmsg 2>/dev/null || echo "lab-report: $*"; }
log "collecting ($stage)"
t0=$(cut -d' ' -f1 /proc/uptime)

# Let coldplug finish: udev's queue, then every device that has a driver for it
# (an e1000e "GPU" that is not claimed must have been probed by e1000e).
if command -v udevadm > /dev/null 2>&1; then
    udevadm settle --timeout="$settle_timeout" 2> /dev/null
fi
i=0
while [ $i -lt "$settle_timeout" ]; do
    pending=
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat $d/vendor 2>/dev/null):$(cat $d/device 2>/dev/null)" = 0x8086:0x10d3 ] || continue
        [ -e $d/driver ] || pending="$pending ${d##*/}"
    done
    [ -z "$pending" ] && break
    # A claimed device with driver_override=vfio-pci and no vfio-pci loaded stays
    # unbound forever: wait only a while for those.
    sleep 1
    i=$((i + 1))
done
[ -n "$pending" ] && log "devices still without a driver after ${settle_timeout}s:$pending"
t1=$(cut -d' ' -f1 /proc/uptime)

ttyconf() { stty -F $out raw -echo 115200 2> /dev/null; }
ttyconf

{
echo "LAB-REPORT-BEGIN"
echo "lab stage $stage"
echo "lab kernel $(uname -r)"
echo "lab cmdline $(cat /proc/cmdline)"
echo "lab uptime-start $t0"
echo "lab uptime-settled $t1"
echo "lab unbound-e1000e ${pending:-none}"
for d in /sys/bus/pci/devices/*; do
    a=${d##*/}
    drv=none; [ -e $d/driver ] && drv=$(basename "$(readlink $d/driver)")
    grp=none; [ -e $d/iommu_group ] && grp=$(basename "$(readlink $d/iommu_group)")
    ovr=$(cat $d/driver_override 2>/dev/null); [ -n "$ovr" ] || ovr=none
    echo "pci $a id=$(cat $d/vendor | sed 's/^0x//'):$(cat $d/device | sed 's/^0x//') class=$(cat $d/class) driver=$drv group=$grp node=$(cat $d/numa_node 2>/dev/null) override=$ovr"
done
for n in /sys/devices/system/node/node*; do
    h=$n/hugepages/hugepages-1048576kB
    [ -d $h ] || continue
    echo "hugepages ${n##*/} nr=$(cat $h/nr_hugepages) free=$(cat $h/free_hugepages) surplus=$(cat $h/surplus_hugepages)"
done
echo "meminfo $(grep -E '^(MemTotal|MemFree|HugePages_Total|Hugetlb):' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
if [ -e /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts ]; then
    echo "unsafe-interrupts $(cat /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts)"
else
    echo "unsafe-interrupts absent"
fi
for m in vfio vfio_pci vfio_pci_core vfio_iommu_type1 virtio_iommu e1000e iommufd; do
    if [ -d /sys/module/$m ]; then echo "module $m loaded"; else echo "module $m absent"; fi
done
echo "iommu $(ls /sys/class/iommu 2>/dev/null | tr '\n' ' ')"
echo "irqchips $(cat /sys/kernel/irq/*/chip_name 2>/dev/null | sort -u | tr '\n' ' ')"
echo "vfio-dev $(ls /dev/vfio 2>/dev/null | tr '\n' ' ')"
echo "root-mounted $(grep -c ' /sysroot ' /proc/mounts)"
grep -E ' (/|/sysroot) ' /proc/mounts | sed 's/^/mount /'
# What nestvirt recorded of its runs in the initramfs (/run survives switch-root):
# "initrd-record KEY=VALUE" lines; status --json shows the same under "initramfs".
if [ -f /run/nestvirt/initrd-record ]; then
    sed 's/^/initrd-record /' /run/nestvirt/initrd-record
fi
if command -v systemctl > /dev/null 2>&1; then
    for u in nestvirt-hugepages.service nestvirt-vfio.service systemd-udev-trigger.service; do
        echo "unit $u $(systemctl show -p LoadState -p ActiveState -p Result -p ExecMainStatus $u 2>/dev/null | tr '\n' ' ')"
    done
    for u in $(systemctl list-units --all --plain --no-legend 'nestvirt-vm@*' 2>/dev/null | cut -d' ' -f1); do
        echo "unit $u $(systemctl show -p LoadState -p ActiveState -p Result $u 2>/dev/null | tr '\n' ' ')"
    done
    echo "generated $(ls /run/systemd/generator/sysinit.target.wants /run/systemd/generator.late 2>/dev/null | tr '\n' ' ')"
fi

# nestvirt itself.
nv=
for p in /usr/bin/nestvirt /usr/local/bin/nestvirt; do [ -x $p ] && { nv=$p; break; }; done
if [ -n "$nv" ]; then
    echo "status-text-begin"
    $nv status 2>&1
    echo "status-text-rc $?"
    echo "status-text-end"
    echo "status-json-begin"
    $nv status --json 2> /tmp/lab-status.err
    rc=$?
    echo
    echo "status-json-end"
    echo "status-rc $rc"
    sed 's/^/status-stderr /' /tmp/lab-status.err
else
    echo "status-rc absent"
fi

echo "probe-begin"
claimed=
for d in /sys/bus/pci/devices/*; do
    [ -e $d/driver ] && [ "$(basename "$(readlink $d/driver)")" = vfio-pci ] && claimed="$claimed ${d##*/}"
done
if [ -n "$claimed" ]; then
    /lab/vfio-probe $claimed 2>&1
    echo "probe-rc $?"
else
    echo "probe-rc none"
fi
echo "probe-end"

# Additions of a scenario (lab_rootfs LAB_ROOT_FILES): each writes its own lines.
for s in /lab/report.d/*.sh; do
    [ -f "$s" ] && /lab/bin/sh "$s" 2>&1
done

# Diagnostic for a shortfall: would writing the count again have given the pages?
# (nr_hugepages is written once more for each short node, after everything above
# was measured; the result is only reported.)
if [ -n "$nv" ]; then
    $nv status --json 2>/dev/null | grep -o '"node":[0-9]*,"requested":[0-9]*,"reserved":[0-9]*' |
    while IFS=, read -r n q r; do
        n=${n#*:}; q=${q#*:}; r=${r#*:}
        [ "$r" -lt "$q" ] || continue
        f=/sys/devices/system/node/node$n/hugepages/hugepages-1048576kB/nr_hugepages
        echo "$q" > $f 2>/dev/null
        echo "hugepages-retry node$n requested=$q before=$r after=$(cat $f)"
    done
fi

echo "log-begin"
if command -v journalctl > /dev/null 2>&1; then
    journalctl -b -o short-monotonic --no-pager 2>/dev/null |
        grep -iE 'nestvirt|vfio|e1000e 0000|Switching root|udev-trigger' | grep -v 'Kernel command line\|Command line:' | tail -n 300
else
    dmesg | grep -iE 'nestvirt|vfio|hugepage|e1000e 0000' | tail -n 200
fi
echo "log-end"
echo "LAB-REPORT-END"
} > $out 2>&1
sync
log "report written"
if [ $poweroff = 1 ]; then
    log "powering off"
    sleep 1
    echo o > /proc/sysrq-trigger 2>/dev/null
    poweroff -f
fi
exit 0
