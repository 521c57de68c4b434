#!/bin/bash
# The generator (every golden case) and `nestvirt check --root` (a complete image, a broken
# config, an image without nestvirt) under valgrind: no invalid access, no uninitialised
# value, no leak of any kind, still-reachable included. A plain build: ASan and valgrind do
# not mix. TAP output: one line per run.
#
# usage: run.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
generator=$build/generator/nestvirt-generator
nestvirt=$build/src/nestvirt/nestvirt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

if ! command -v valgrind >/dev/null; then
        echo "1..1"
        not_ok "valgrind is installed" "install valgrind (tests/packages.txt)"
        exit 1
fi

# vg NAME WANT_RC CMD...: CMD under valgrind exits WANT_RC, and valgrind found nothing (it
# exits 99 on any error or leak). The run's output is kept in $work/out for later checks.
vg() {
        local name=$1 want=$2; shift 2
        local log=$work/valgrind.log rc=0
        valgrind --quiet --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
                --error-exitcode=99 --track-fds=no --log-file="$log" "$@" > "$work/out" 2>&1 || rc=$?
        if [ "$rc" = 99 ] || [ -s "$log" ]; then
                not_ok "$name: valgrind reports errors or leaks" "$(sed -n '1,60p' "$log")"
                return 1
        fi
        if [ "$rc" != "$want" ]; then
                not_ok "$name: exit $rc, wanted $want" "$(head -n 30 "$work/out")"
                return 1
        fi
        ok "$name"
}

# The generator on each golden case, set up as tests/golden/run-case.sh does; its unit tree
# must still be the expected one, so the run took the path the case is about.
for case_dir in "$src"/tests/golden/cases/*/; do
        name=$(basename "$case_dir")
        root=$work/gen/$name/root
        out=$work/gen/$name/out
        mkdir -p "$root" "$out/normal" "$out/early" "$out/late"
        cp -a "$src/tests/fixtures/$(cat "$case_dir/fixture")/." "$root/"
        [ -d "$case_dir/root" ] && cp -a "$case_dir/root/." "$root/"
        # -type f: chmod follows a masking symlink and would make /dev/null 0644.
        find "$root/etc" "$root/run" "$root/usr" -type f -name '*.conf' -exec chmod 0644 {} + 2>/dev/null
        [ -f "$case_dir/mode" ] && while read -r mode file; do chmod "$mode" "$root/$file"; done < "$case_dir/mode"
        cmdline=""
        [ -f "$case_dir/cmdline" ] && cmdline=$(cat "$case_dir/cmdline")
        in_initrd=0
        [ -e "$case_dir/initrd" ] && in_initrd=1

        NESTVIRT_ROOT=$root SYSTEMD_PROC_CMDLINE=$cmdline SYSTEMD_IN_INITRD=$in_initrd SYSTEMD_LOG_TARGET=console \
                vg "generator: $name" 0 "$generator" "$out/normal" "$out/early" "$out/late" || continue
        if [ -d "$case_dir/expected" ] && ! diff -r --no-dereference -q "$case_dir/expected" "$out/normal" > "$work/diff"; then
                not_ok "generator: $name wrote its expected units under valgrind" "$(head -n 20 "$work/diff")"
        fi
done

# An image as tests/cli/test-cli.sh makes it: nestvirt installed, the 8-GPU lab host, a real
# Debian kernel's modules when the lab's cache has or can fetch one (libkmod reads them).
img=$work/image
DESTDIR=$img meson install -C "$build" --quiet --no-rebuild > /dev/null
cp -a "$src/tests/fixtures/intel-8gpu-2node/." "$img/"
mkdir -p "$img/usr/local/bin" "$img/var/lib/cloud-hypervisor" "$img/var/lib/nestvirt/train0" "$img/etc"
printf '#!/bin/sh\n' > "$img/usr/local/bin/cloud-hypervisor"
chmod 0755 "$img/usr/local/bin/cloud-hypervisor"
: > "$img/var/lib/cloud-hypervisor/vmlinux"
truncate -s 8M "$img/var/lib/nestvirt/train0/root.raw"
printf 'label: dos\n,,83\n' | sfdisk -q "$img/var/lib/nestvirt/train0/root.raw" > /dev/null
good='^OK: 0 errors, 0 warnings'
if kernel=$("$src/tests/lab/fetch-kernel.sh" bookworm "${NESTVIRT_LAB_CACHE:-$src/build-lab/cache}" 2> "$work/fetch.log") &&
   eval "$kernel" && [ -d "${MODULES:-}" ]; then
        mkdir -p "$img/lib/modules" "$img/boot"
        cp -a "$MODULES" "$img/lib/modules/"
        cp "$KERNEL_ROOT/boot/config-$KVER" "$img/boot/"
else
        echo "# no Debian kernel (fetch-kernel.sh failed); check runs without modules (libkmod unused):"
        sed 's/^/#   /' "$work/fetch.log"
        good='^OK: 0 errors, 1 warning'
fi
cat > "$img/etc/nestvirt.conf" <<'CONF'
[Host]
Hugepages=auto

[VM train0]
CPUs=2
Memory=1G
Device=8086:10d3*4
Kernel=/var/lib/cloud-hypervisor/vmlinux
Cmdline=console=ttyS0 root=/dev/vda1 rw
Disk=/var/lib/nestvirt/train0/root.raw
Network=tap
CONF
chmod 0644 "$img/etc/nestvirt.conf"

if vg "check --root on a complete image" 0 "$nestvirt" check --root "$img" &&
   ! grep -Eq "$good" "$work/out"; then
        not_ok "check --root on a complete image says /$good/" "$(head -n 20 "$work/out")"
fi
vg "check --root --json on a complete image" 0 "$nestvirt" check --root "$img" --json

# Every kind of config error at once: the error paths free what they allocated too.
cp -a "$img" "$work/bad"
cat > "$work/bad/etc/nestvirt.conf" <<'CONF'
[Host]
Hugepages=0:4,0:5
Passthrough=zzzz:0000 0000:24:00.0*2

[VM train0]
Memory=64GB
Device=8086:10d3*4 8086:10d3*9
Kernel=/var/lib/cloud-hypervisor/vmlinux
Firmware=/usr/share/cloud-hypervisor/missing-fw
Colour=blue
CPUAffinity=7-0
MAC=01:00:00:00:00:00
ExtraArguments="unbalanced
Disk=/var/lib/nestvirt/train0/missing.raw

[VM Bad_Name]
Memory=1G

[vm train1]
[VM train2]
Memory=1G
Firmware=/usr/share/cloud-hypervisor/missing-fw
Device=0000:24:00.0
CONF
if vg "check --root on a broken config" 1 "$nestvirt" check --root "$work/bad" &&
   ! grep -q '^/etc/nestvirt.conf:6: error: Memory=64GB' "$work/out"; then
        not_ok "check --root on a broken config names file and line" "$(head -n 20 "$work/out")"
fi

# An image without nestvirt installed nor /sys: most checks fail early.
mkdir -p "$work/bare/etc"
cp "$img/etc/nestvirt.conf" "$work/bare/etc/"
if vg "check --root on an image without nestvirt" 1 "$nestvirt" check --root "$work/bare" &&
   ! grep -q 'nestvirt-generator is not installed' "$work/out"; then
        not_ok "check --root on an image without nestvirt says so" "$(head -n 20 "$work/out")"
fi

echo "1..$n"
[ "$failed" = 0 ]
