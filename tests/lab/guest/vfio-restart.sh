#!/lab/bin/sh
# Lab scenario 16 (vfio-restart), run by report.sh from /lab/report.d/ in the initrd, after
# the report's own lines: nestvirt-vfio.service killed in the middle of its run, then started
# again, must end where the plan says (21:00.0 and 22:00.0 on vfio-pci, 41:00.0 and 42:00.0
# on e1000e, allow_unsafe_interrupts Y), whatever the kill left behind; a restart with
# nothing to do must change nothing; two runs at once must not trip over each other.
# Prints "restart KEY VALUE" lines and "restart-log-STEP LINE" lines (the runs' journal).
svc=nestvirt-vfio.service
dev=/sys/bus/pci/devices
all="0000:21:00.0 0000:22:00.0 0000:41:00.0 0000:42:00.0"
param=/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts
# Where meson installed it: /usr/bin with --prefix=/usr, /usr/local/bin by default.
for nv in /usr/bin/nestvirt /usr/local/bin/nestvirt; do [ -x $nv ] && break; done

drv() { if [ -e $dev/$1/driver ]; then basename "$(readlink $dev/$1/driver)"; else echo none; fi; }
# (An unset override reads "(null)" on 6.12, nothing on older kernels.)
ovr() { o=$(cat $dev/$1/driver_override); [ "$o" = "(null)" ] && o=; echo "${o:-none}"; }
# "ADDR=DRIVER/OVERRIDE ..." and the interrupt parameter.
state() { for a in $all; do printf '%s=%s/%s ' $a "$(drv $a)" "$(ovr $a)"; done; echo "unsafe=$(cat $param)"; }
# In this order (systemctl show has its own).
unit() { for p in ActiveState Result ExecMainCode ExecMainStatus; do printf '%s=%s ' $p "$(systemctl show -p $p --value $svc)"; done; echo; }
cursor() { journalctl -q -n 0 --show-cursor 2>/dev/null | sed -n 's/^-- cursor: //p'; }
# log STEP CURSOR: the service's journal since CURSOR.
log() {
    journalctl --sync 2>/dev/null
    journalctl -q --no-pager -o cat --after-cursor="$2" -u $svc 2>/dev/null | sed "s/^/restart-log-$1 /"
}

# Back to what a run finds when an earlier one was killed early: 21:00.0 on its own driver,
# no override (untouched, or a driver bound first, as in a late run); 22:00.0 with the
# override but unbound (killed between unbind and probe); unsafe interrupts off again.
undo() {
    echo 0000:21:00.0 > $dev/0000:21:00.0/driver/unbind
    echo > $dev/0000:21:00.0/driver_override
    echo 0000:21:00.0 > /sys/bus/pci/drivers_probe
    echo 0000:22:00.0 > $dev/0000:22:00.0/driver/unbind
    echo N > $param
}

echo "restart-begin"
echo "restart initial $(state)"
echo "restart unit-initial $(unit)"

# 1. The kill. A oneshot with RemainAfterExit= and no ExecStop=: stop only forgets it ran.
systemctl stop $svc
undo
echo "restart before-kill $(state)"
c=$(cursor)
systemctl start --no-block $svc
# Its first write is allow_unsafe_interrupts; the devices come after. Read with the shell's
# own `read` (no fork), so the kill follows that write within a few milliseconds.
i=0
while [ $i -lt 200000 ]; do
    read -r v < $param
    [ "$v" = Y ] && break
    i=$((i + 1))
done
pid=$(pidof nestvirt)
[ -n "$pid" ] && kill -KILL $pid
echo "restart kill-after-polls $i pid ${pid:-none}"
# Let systemd see the process end.
j=0
while [ $j -lt 50 ] && [ "$(systemctl show -p ActiveState --value $svc)" = activating ]; do
    sleep 0.1
    j=$((j + 1))
done
echo "restart after-kill $(state)"
echo "restart unit-after-kill $(unit)"
log killed "$c"

# 2. Started again: it must finish the job from wherever the kill left it.
c=$(cursor)
systemctl start $svc
echo "restart start-rc $?"
echo "restart after-start $(state)"
echo "restart unit-after-start $(unit)"
log start "$c"

# 3. A restart with nothing left to do: nothing is unbound or rebound.
c=$(cursor)
systemctl restart $svc
echo "restart restart-rc $?"
echo "restart after-restart $(state)"
echo "restart unit-after-restart $(unit)"
log restart "$c"

# 4. Two runs at once (an admin's `nestvirt bind-vfio` while the unit runs): both succeed.
undo
echo "restart before-concurrent $(state)"
$nv bind-vfio > /tmp/restart-a.log 2>&1 &
a=$!
$nv bind-vfio > /tmp/restart-b.log 2>&1 &
b=$!
wait $a
ra=$?
wait $b
rb=$?
echo "restart concurrent-rc $ra $rb"
echo "restart after-concurrent $(state)"
sed 's/^/restart-log-concurrent-a /' /tmp/restart-a.log
sed 's/^/restart-log-concurrent-b /' /tmp/restart-b.log

# The end: usable by a VMM, and `status` holds.
/lab/vfio-probe 0000:21:00.0 0000:22:00.0 > /tmp/restart-probe.log 2>&1
echo "restart probe-rc $?"
$nv status > /tmp/restart-status.log 2>&1
echo "restart status-rc $?"
sed 's/^/restart-status /' /tmp/restart-status.log
echo "restart-end"
