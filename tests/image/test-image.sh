#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The image pipeline end to end (build-image.sh), three times, with TAP output:
#   1. a bad configuration: the pipeline must stop at `nestvirt check` with exit 1, name
#      FILE:LINE of the error, and build no initramfs;
#   2. dracut and 3. initramfs-tools: a minimal Debian 12 root with the package built
#      from this tree, its initramfs built in the root by the image's own tool, booted in
#      the boot lab (intel-8gpu-2node, Debian 12's 6.1 kernel) to the real root, where
#      `nestvirt status --json` must hold.
#
# usage: tests/image/test-image.sh
# Environment: NESTVIRT_LAB_CACHE (default build-lab/cache: the debootstrap and package
# layers go to its image/ directory, kept between runs), NESTVIRT_BUILD_DIR (meson's
# build directory: results in BUILD/image-runs, else build-lab/image-runs),
# NESTVIRT_IMAGE_KEEP=1 keeps the root trees and disks (about 2.5 GB).
# Needs: root, debootstrap, zstd, dpkg-dev and the Build-Depends, the boot lab's packages.
# Exit status: 0 when every assertion holds, 1 otherwise.
set -uo pipefail

src=$(realpath "$(dirname "$0")/../..")
here=$src/tests/image
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
# check NAME CMD...: ok when CMD succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi; }
comment() { sed 's/^/# /'; }
t_start=$SECONDS
finish() {
        [ "${NESTVIRT_IMAGE_KEEP:-0}" = 1 ] || rm -rf "$out"/*/root "$out"/*/lab-root "$out"/*/lab-root.ext4
        echo "# total $((SECONDS - t_start)) s"
        echo "1..$n"
        [ "$failed" = 0 ]
        exit $?
}

[ "$(id -u)" = 0 ] || { echo "Bail out! must run as root (debootstrap, chroot, mounts)"; exit 1; }
for tool in debootstrap zstd dpkg-buildpackage mkfs.ext4 qemu-system-x86_64 busybox cpio python3 unshare; do
        command -v "$tool" > /dev/null ||
                { echo "Bail out! $tool is missing (debootstrap, tests/packages.txt, tests/lab/packages.txt)"; exit 1; }
done

if [ -n "${NESTVIRT_BUILD_DIR:-}" ]; then
        out=$NESTVIRT_BUILD_DIR/image-runs
else
        out=$src/build-lab/image-runs
fi
export NESTVIRT_LAB_CACHE=${NESTVIRT_LAB_CACHE:-$src/build-lab/cache}
rm -rf "$out"
mkdir -p "$out/input/files/usr/local/bin" "$out/input/files/var/lib/nestvirt"
out=$(cd "$out" && pwd)
echo "# results in $out, layers in $NESTVIRT_LAB_CACHE/image"

# The image's configuration: one VM with two of the lab's "GPUs" (e1000e 8086:10d3; on
# intel-8gpu-2node each is a GPU+audio slot, so the audio function comes along) and a 1 GiB
# page on their node. Autostart=no: Cloud Hypervisor is a stand-in that `check` only
# requires to be executable.
cat > "$out/input/good.conf" <<'EOF'
# The image test's configuration (tests/image/test-image.sh)
[Host]
Hugepages=auto
UnsafeInterrupts=auto

[VM train0]
CPUs=1
Memory=1G
Device=8086:10d3*2
Kernel=/var/lib/nestvirt/vmlinux
Autostart=no
EOF
# The bad one: a typo in one key.
sed 's/^Memory=/Memroy=/' "$out/input/good.conf" > "$out/input/bad.conf"
bad_line=$(grep -n '^Memroy=' "$out/input/bad.conf" | cut -d: -f1)
printf '#!/bin/sh\necho "cloud-hypervisor: a stand-in of the image test" >&2\nexit 1\n' \
        > "$out/input/files/usr/local/bin/cloud-hypervisor"
chmod 0755 "$out/input/files/usr/local/bin/cloud-hypervisor"
echo "not a kernel: the image test boots no VM" > "$out/input/files/var/lib/nestvirt/vmlinux"

# pipeline NAME ARGS...: build-image.sh into $out/NAME; its output in $out/NAME.log. Sets rc.
pipeline() {
        local name=$1 t0=$SECONDS; shift
        rc=0
        "$here/build-image.sh" --files "$out/input/files" "$@" "$out/$name" > "$out/$name.log" 2>&1 || rc=$?
        echo "# $name: build-image.sh exit $rc after $((SECONDS - t0)) s"
        grep -E '^build-image: |^lab: ' "$out/$name.log" | comment
}

installed() {   # installed ROOT PACKAGE: dpkg in ROOT has PACKAGE installed
        [ "$(dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${Status}' "$2" 2>/dev/null)" = "install ok installed" ]
}

# ---------------------------------------------------------------- 1. bad configuration

pipeline bad --config "$out/input/bad.conf" --initramfs initramfs-tools --boot
b=$out/bad
check "bad config: build-image.sh exits 1 (nestvirt check refused the image)" test "$rc" = 1
check "bad config: the pipeline names /etc/nestvirt.conf:$bad_line and the unknown key" \
        grep -Eq "^ +/etc/nestvirt\.conf:$bad_line: error: unknown key Memroy=" "$out/bad.log"
check "bad config: the pipeline says it stopped before the initramfs" \
        grep -q 'failed (exit 1): fix the errors above; no initramfs was built' "$out/bad.log"
check "bad config: check ran on an installed image (nestvirt installed, no 'not installed' error)" \
        bash -c 'grep -q "^FAILED: " "$1/check.txt" && ! grep -q "not installed" "$1/check.txt" &&
                 [ "$(dpkg-query --admindir="$1/root/var/lib/dpkg" -W -f="\${Status}" nestvirt)" = "install ok installed" ]' _ "$b"
initrds=$(find "$b/root/boot" -name 'initrd.img-*' 2>/dev/null)
check "bad config: no initramfs was built, nothing was booted" \
        test -d "$b/root/boot" -a -z "$initrds" -a ! -e "$b/initramfs.txt" -a ! -e "$b/boot"
deb=$(find "$b/deb" -maxdepth 1 -name 'nestvirt_*.deb' 2>/dev/null | head -n1)
check "the package was built from this tree ($(basename "${deb:-none}"))" test -f "$deb"
[ -f "$deb" ] || { echo "Bail out! no package to install"; finish; }

# ---------------------------------------------------------------- 2./3. dracut, initramfs-tools

# expect_boot TOOL: what the guest reported from the real root of the TOOL image.
expect_boot() {
        local t=$1 r=$out/$1/boot
        local rep=$r/report.clean
        check "$t: the guest reported from the real root" grep -qx 'lab stage root' "$rep"
        check "$t: the root file system is the image's ext4 disk" grep -Eq '^mount /dev/vda / ext4 ' "$rep"
        check "$t: nestvirt status --json exits 0" grep -qx 'status-rc 0' "$rep"
        local py
        py=$(python3 - "$r/status.json" <<'PY' 2>&1
import json, sys
s = json.load(open(sys.argv[1]))
dev = {d["address"]: d for d in s.get("devices", [])}
node = {h["node"]: h for h in s.get("hugepages", [])}
checks = [
    ("ok is true, no problems", s.get("ok") is True and s.get("problems") == []),
    ("the initramfs carries the root's configuration", s.get("initramfs_config") == "same"),
    # What the initramfs did, from its record in /run (its own log lines can be lost).
    ("the initramfs reserved the page (0 before)",
     s.get("initramfs", {}).get("reserve_hugepages", {}).get("nodes") == [{"node": 0, "planned": 1, "before": 0, "after": 1}]),
    ("the initramfs bound 21:00.0 and 22:00.0 to vfio-pci",
     {d["address"] for d in s.get("initramfs", {}).get("bind_vfio", {}).get("devices", []) if d.get("bound")}
     >= {"0000:21:00.0", "0000:22:00.0"} and s["initramfs"]["bind_vfio"]["exit"] == 0),
    ("21:00.0, 22:00.0 and their audio functions on vfio-pci for train0",
     all(dev.get(a, {}).get("vm") == "train0" and dev[a].get("driver") == "vfio-pci" and dev[a].get("vfio_device") is True
         for a in ("0000:21:00.0", "0000:21:00.1", "0000:22:00.0", "0000:22:00.1"))),
    ("node 0: 1 page requested, 1 reserved", node.get(0, {}).get("requested") == 1 and node.get(0, {}).get("reserved") == 1),
    ("the VM unit is loaded", any(v.get("name") == "train0" and v.get("load_state") == "loaded" for v in s.get("vms", []))),
]
for name, good in checks:
    print(("ok " if good else "FAIL ") + name)
PY
)
        while IFS= read -r l; do
                case $l in
                "ok "*) ok "$t: status: ${l#ok }" ;;
                "FAIL "*) not_ok "$t: status: ${l#FAIL }" "status.json: $(head -c 600 "$r/status.json")" ;;
                *) not_ok "$t: status.json readable" "$l" ;;
                esac
        done <<< "$py"
        check "$t: the VFIO probe passes on the devices on vfio-pci" grep -qx 'probe-rc 0' "$rep"
        # Claimed in the initramfs, before udev's coldplug could load e1000e for them: the
        # kernel log (console) and the journal (report) show e1000e taking the unclaimed
        # slots, never the claimed ones.
        local all=$r/console-and-report.txt
        tr -d '\r' < "$r/console.log" | cat - "$rep" > "$all"
        check "$t: e1000e took an unclaimed device (23:00.0): the logs cover e1000e" grep -q 'e1000e 0000:23:00.0' "$all"
        check "$t: e1000e never had a claimed device (21:00.0, 22:00.0)" \
                bash -c '! grep -E "e1000e 0000:2[12]:00\.0" "$1" > /dev/null' _ "$all"
        check "$t: the root's run logged what the initramfs did" \
                grep -q 'In the initramfs: node 0: 1 page of 1 GiB reserved (0 before), 1 planned' "$rep"
        check "$t: the root found it reserved" grep -q 'Node 0: 1 pages of 1 GiB already reserved' "$rep"
}

for t in dracut initramfs-tools; do
        pipeline "$t" --config "$out/input/good.conf" --initramfs "$t" --deb "$deb" --boot
        d=$out/$t
        check "$t: build-image.sh exits 0" test "$rc" = 0
        other=dracut
        [ $t = dracut ] && other=initramfs-tools
        if installed "$d/root" "$t" && ! installed "$d/root" "$other"; then
                ok "$t: the image has $t installed and not $other"
        else
                not_ok "$t: the image has $t installed and not $other"
        fi
        check "$t: nestvirt check passed before the initramfs" grep -q '^OK: 0 errors' "$d/check.txt"
        kver=$(find "$d/root/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' 2>/dev/null | sed 's/^vmlinuz-//' | head -n1)
        check "$t: /boot/initrd.img-${kver:-?} was built" test -s "$d/root/boot/initrd.img-$kver"
        if [ $t = dracut ]; then
                marks='usr/lib/dracut/modules.txt usr/lib/systemd/system-generators/nestvirt-generator usr/lib/systemd/system/nestvirt-vfio.service'
        else
                marks='conf/initramfs.conf scripts/init-top/nestvirt'
        fi
        for f in usr/bin/nestvirt etc/nestvirt.conf $marks; do
                check "$t: the initramfs holds $f" grep -Eq "(^|/)$f\$" "$d/initramfs.txt"
        done
        check "$t: nestvirt check read the initramfs (no 'cannot read')" \
                bash -c '! grep -q "cannot read /boot/initr" "$1"' _ "$d/check-initramfs.txt"
        check "$t: nestvirt check after the initramfs: no error (it carries this configuration)" \
                grep -q '^OK: 0 errors' "$d/check-initramfs.txt"
        check "$t: the image has no file of the lab" test ! -e "$d/root/lab"
        if [ -f "$d/boot/report.clean" ]; then
                expect_boot "$t"
        else
                not_ok "$t: the guest reported" "no report; the end of $out/$t.log:" "$(tail -n 20 "$out/$t.log" | comment)"
        fi
done

finish
