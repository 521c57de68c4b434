#!/lab/bin/sh
# Lab scenario 10 (vm-lifecycle), run by report.sh from /lab/report.d/ in the lab's real
# root, after nestvirt's units: starts the generated nestvirt-vm@lab0.service under the
# real systemd with its whole sandbox (Cloud Hypervisor is the lab's fake-ch.c), checks it
# runs, scores it with systemd-analyze security, starts lab1 whose preflight must fail,
# stops lab0 gracefully, starts lab2 (a control whose drop-in takes CAP_IPC_LOCK and the
# memlock limit away) and prints what happened as "vm KEY VALUE" lines, the unit and
# the journals as "vm-unit", "vm-security", "vm-journal-NAME" lines.
ok=lab0
bad=lab1
u=nestvirt-vm@$ok.service
ubad=nestvirt-vm@$bad.service
ctl=lab2
uctl=nestvirt-vm@$ctl.service

now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
free_pages() { cat /sys/devices/system/node/node$1/hugepages/hugepages-1048576kB/free_hugepages; }
state() { systemctl show -p ActiveState -p SubState -p Result -p ExecMainCode -p ExecMainStatus -p NRestarts "$1" | tr '\n' ' '; }

echo "vm-begin"
# The lab has no KVM (TCG): a stand-in character device where Cloud Hypervisor opens
# /dev/kvm, made before the start (the unit's DeviceAllow=/dev/kvm becomes the node's
# numbers when the unit starts). The numbers of /dev/cpu_dma_latency: a misc device
# anyone may open read-write, and not one DevicePolicy=closed lets through by itself
# (/dev/null's would be), so the open proves the unit's own rule. The control: a
# transient unit with DevicePolicy=closed and no rule must be refused.
if [ ! -e /dev/kvm ]; then
    nums=$(cat /sys/class/misc/cpu_dma_latency/dev 2>/dev/null)
    [ -n "$nums" ] || nums=1:3
    mknod -m 0660 /dev/kvm c "${nums%:*}" "${nums#*:}"
fi
echo "vm kvm $(ls -l /dev/kvm 2>&1)"
# (No D-Bus in the lab root: systemd-run cannot --wait or --pipe, but waits for a
# oneshot's start job through systemd's private socket.)
systemd-run -q --unit=lab-kvm-control -p Type=oneshot -p DevicePolicy=closed /lab/bin/sh -c 'exec 3<>/dev/kvm' 2> /dev/null
rc=$?
journalctl --sync 2> /dev/null
echo "vm kvm-acl-control rc=$rc $(journalctl -b -u lab-kvm-control.service -o cat --no-pager 2>&1 | grep -v '^$' | tr '\n' ' ')"
systemctl reset-failed lab-kvm-control.service 2> /dev/null
echo "vm load $(systemctl show -p LoadState -p FragmentPath $u | tr '\n' ' ')"
systemctl cat $u 2>&1 | sed 's/^/vm-unit /'
echo "vm pages-before node0 free=$(free_pages 0) node1 free=$(free_pages 1)"

t=$(now)
systemctl start $u
echo "vm start-rc $?"
echo "vm start-seconds $(since "$t")"
echo "vm is-active $(systemctl is-active $u)"
echo "vm state-started $(state $u)"
pid=$(systemctl show -p MainPID --value $u)
echo "vm main-pid ${pid:-none}"
if [ -n "$pid" ] && [ "$pid" != 0 ]; then
    echo "vm main-exe $(readlink /proc/$pid/exe)"
    echo "vm main-memlock $(grep 'Max locked memory' /proc/$pid/limits | tr -s ' ')"
fi
echo "vm pages-running node0 free=$(free_pages 0)"
echo "vm runtime-dir $(ls /run/nestvirt/vm/$ok 2>&1 | tr '\n' ' ')"

t=$(now)
systemd-analyze security --no-pager $u > /tmp/vm-security.txt 2>&1
echo "vm security-rc $?"
echo "vm security-seconds $(since "$t")"
sed 's/^/vm-security /' /tmp/vm-security.txt

# The negative case while lab0 holds node 0's page: lab1 asks for more than is free.
t=$(now)
systemctl start $ubad
echo "vm bad-start-rc $?"
echo "vm bad-start-seconds $(since "$t")"
echo "vm bad-state $(state $ubad)"

t=$(now)
systemctl stop $u
echo "vm stop-rc $?"
echo "vm stop-seconds $(since "$t")"
echo "vm is-active-stopped $(systemctl is-active $u)"
echo "vm is-failed-stopped $(systemctl is-failed $u)"
echo "vm state-stopped $(state $u)"
echo "vm pages-after node0 free=$(free_pages 0)"
echo "vm serial-log $(head -c 200 /var/log/nestvirt/$ok.serial.log 2>&1 | tr '\n' ' ')"

# lab1 may be waiting to be started again (Restart=): what it did, then stop it.
echo "vm bad-state-later $(state $ubad)"
systemctl stop $ubad

# The control: lab2 with a drop-in that takes away what pinning memory for VFIO needs.
t=$(now)
systemctl start $uctl
echo "vm control-start-rc $?"
echo "vm control-start-seconds $(since "$t")"
echo "vm control-state $(state $uctl)"
systemctl stop $uctl

journalctl --sync 2>/dev/null
journalctl -b -u $u -o short-monotonic --no-pager 2>&1 | sed "s/^/vm-journal-$ok /"
journalctl -b -u $ubad -o short-monotonic --no-pager 2>&1 | sed "s/^/vm-journal-$bad /"
journalctl -b -u $uctl -o short-monotonic --no-pager 2>&1 | sed "s/^/vm-journal-$ctl /"
echo "vm-end"
