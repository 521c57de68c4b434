#!/lab/bin/sh
# Lab scenario 15 (vm-disk-missing), run by report.sh from /lab/report.d/ in the lab's real
# root: nestvirt-vm@lab0 (Autostart=yes, Restart=no) has tried to start at boot, and its
# Disk= does not exist. Prints how that went, `nestvirt vm preflight lab0` by hand, a
# second `systemctl start`, and the unit's journal, as "vmdisk KEY VALUE" and
# "vmdisk-journal LINE" lines.
u=nestvirt-vm@lab0.service
# In this order (systemctl show has its own).
state() { for p in ActiveState SubState Result NRestarts; do printf '%s=%s ' $p "$(systemctl show -p $p --value "$1")"; done; echo; }

echo "vmdisk-begin"
echo "vmdisk kvm $(ls -l /dev/kvm 2>&1)"
echo "vmdisk disk $(ls -l /var/lib/nestvirt/lab0/root.raw 2>&1)"
echo "vmdisk boot-state $(state $u)"
echo "vmdisk target $(systemctl show -p ActiveState nestvirt-vms.target | tr '\n' ' ')"
echo "vmdisk wants $(ls /run/systemd/generator/nestvirt-vms.target.wants 2>&1 | tr '\n' ' ')"
echo "vmdisk pages node0 free=$(cat /sys/devices/system/node/node0/hugepages/hugepages-1048576kB/free_hugepages)"

# Where meson installed it: /usr/bin with --prefix=/usr, /usr/local/bin by default.
for nv in /usr/bin/nestvirt /usr/local/bin/nestvirt; do [ -x $nv ] && break; done
$nv vm preflight lab0 > /tmp/vmdisk-preflight.log 2>&1
echo "vmdisk preflight-rc $?"
sed 's/^/vmdisk-preflight /' /tmp/vmdisk-preflight.log

systemctl start $u
echo "vmdisk start-rc $?"
echo "vmdisk state-after-start $(state $u)"
journalctl --sync 2>/dev/null
journalctl -b -q --no-pager -o short-monotonic -u $u 2>&1 | sed 's/^/vmdisk-journal /'
echo "vmdisk-end"
