#!/lab/bin/sh
# Lab scenario 17 (apply), run by report.sh from /lab/report.d/ in scenario 10's root after
# its VM part (guest/vm-lifecycle.sh), so it shares that boot: starts nestvirt-vm@lab0 again
# (fake-ch as the hypervisor), then writes a drop-in as cloud-init's write_files would (one
# more page on node 1, a new VM lab3 with Autostart=yes on 42:00.0, which is on e1000e), runs
# `nestvirt apply --dry-run` (must change nothing), `nestvirt apply`, and `apply --dry-run`
# again (nothing left to change); lab0 must keep running with the same MainPID. Prints
# "apply KEY VALUE" lines, apply's output as "apply-out-STEP" lines and lab3's journal as
# "apply-journal" lines.
nv=
for p in /usr/bin/nestvirt /usr/local/bin/nestvirt; do [ -x $p ] && { nv=$p; break; }; done
run=nestvirt-vm@lab0.service
new=nestvirt-vm@lab3.service
pool() { cat /sys/devices/system/node/node$1/hugepages/hugepages-1048576kB/$2; }
driver() { d=$(readlink /sys/bus/pci/devices/$1/driver); echo "${d##*/}"; }
# What apply may change, in one line: pools, drivers, the loaded units.
snapshot() {
    echo "node0=$(pool 0 nr_hugepages) node1=$(pool 1 nr_hugepages) 42:00.0=$(driver 0000:42:00.0)" \
         "units=$(ls /run/systemd/generator | grep '^nestvirt-vm@' | tr '\n' ',')" \
         "digest=$(cat /run/systemd/generator/nestvirt-vm@*.service | md5sum | cut -d' ' -f1)" \
         "lab3=$(systemctl show -p LoadState --value $new)"
}

echo "apply-begin"
systemctl start $run
echo "apply lab0-start-rc $?"
pid_before=$(systemctl show -p MainPID --value $run)
echo "apply lab0-pid-before $pid_before"

mkdir -p /etc/nestvirt.conf.d
cat > /etc/nestvirt.conf.d/50-apply.conf <<'CONF'
# Written after boot, as cloud-init's write_files would.
[Host]
Hugepages=0:1,1:2

[VM lab3]
Memory=1G
Device=0000:42:00.0
Kernel=/var/lib/nestvirt/vmlinux
Restart=no
CONF
chmod 0644 /etc/nestvirt.conf.d/50-apply.conf

before=$(snapshot)
echo "apply state-before $before"
$nv apply --dry-run > /tmp/apply-dry.out 2>&1
echo "apply dry-rc $?"
sed 's/^/apply-out-dry /' /tmp/apply-dry.out
echo "apply state-after-dry $(snapshot)"
[ "$(snapshot)" = "$before" ] && echo "apply dry-unchanged yes" || echo "apply dry-unchanged no"

$nv apply > /tmp/apply.out 2>&1
echo "apply apply-rc $?"
sed 's/^/apply-out-apply /' /tmp/apply.out
echo "apply state-after $(snapshot)"
echo "apply lab3 $(systemctl show -p LoadState -p ActiveState -p SubState -p FragmentPath $new | tr '\n' ' ')"
echo "apply lab0-pid-after $(systemctl show -p MainPID --value $run)"
echo "apply lab0-active $(systemctl is-active $run)"
echo "apply lab0-restarts $(systemctl show -p NRestarts --value $run)"
echo "apply node1 nr=$(pool 1 nr_hugepages) free=$(pool 1 free_hugepages)"

$nv apply --dry-run > /tmp/apply-again.out 2>&1
echo "apply again-rc $?"
sed 's/^/apply-out-again /' /tmp/apply-again.out

systemctl stop $new $run
echo "apply stop-rc $?"
journalctl --sync 2>/dev/null
journalctl -b -u $new -o short-monotonic --no-pager 2>&1 | sed 's/^/apply-journal /'
echo "apply-end"
