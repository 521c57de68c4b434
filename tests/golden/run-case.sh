#!/bin/bash
# Golden test of nestvirt-generator, zram-generator style: an input tree goes in (config,
# kernel command line, a captured sysfs fixture), the output tree comes out and is diffed
# with the expected one, symlinks included. Every unit written is then checked by
# systemd-analyze verify against the real unit search path, and every VM unit by
# systemd-analyze security (exposure at most 5.0).
#
# usage: run-case.sh GENERATOR UNIT_BUILD_DIR CASE_DIR
# UPDATE_GOLDEN=1 rewrites expected/ and expected.log instead of comparing.
#
# A case directory holds:
#   fixture       name of a directory under tests/fixtures (the host's /sys and /proc)
#   root/         files laid over the fixture (etc/nestvirt.conf, drop-ins ...)
#   cmdline       kernel command line (optional)
#   initrd        present: run as in the initrd
#   expected/     the output tree
#   expected.log  what the generator logs
set -euo pipefail

generator=$(realpath "$1")
unit_build_dir=$(realpath "$2")
case_dir=$(realpath "$3")
src_dir=$(realpath "$(dirname "$0")/../..")
name=$(basename "$case_dir")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
out=$work/out
mkdir -p "$root" "$out/normal" "$out/early" "$out/late"

fixture=$(cat "$case_dir/fixture")
cp -a "$src_dir/tests/fixtures/$fixture/." "$root/"
[ -d "$case_dir/root" ] && cp -a "$case_dir/root/." "$root/"
# git does not keep ownership or group/other write bits: make them what an image has.
# -type f: chmod follows a masking symlink and would make /dev/null 0644.
find "$root/etc" "$root/run" "$root/usr" -type f -name '*.conf' -exec chmod 0644 {} + 2>/dev/null || true
[ -f "$case_dir/mode" ] && while read -r mode file; do chmod "$mode" "$root/$file"; done < "$case_dir/mode"

cmdline=""
[ -f "$case_dir/cmdline" ] && cmdline=$(cat "$case_dir/cmdline")
in_initrd=0
[ -e "$case_dir/initrd" ] && in_initrd=1

rc=0
NESTVIRT_ROOT=$root SYSTEMD_PROC_CMDLINE=$cmdline SYSTEMD_IN_INITRD=$in_initrd SYSTEMD_LOG_TARGET=console \
        "$generator" "$out/normal" "$out/early" "$out/late" 2> "$work/log" || rc=$?
mkdir -p "$out/normal"
# Paths in messages name the temporary root; make them stable.
sed -i "s|$root|ROOT|g" "$work/log"
# The VM units name nestvirt where this build installs it; expected/ holds meson's
# default prefix, so that a --prefix=/usr build (the Debian package) compares too.
bindir=$(sed -n 's|^ExecStart=\(/.*\)/nestvirt bind-vfio$|\1|p' "$unit_build_dir/nestvirt-vfio.service")
if [ -n "$bindir" ] && [ "$bindir" != /usr/local/bin ]; then
        find "$out/normal" -maxdepth 1 -name 'nestvirt-vm@*.service' -type f \
                -exec sed -i "s|^\(Exec[A-Za-z]*=[-@:+!]*\)$bindir/nestvirt |\1/usr/local/bin/nestvirt |" {} +
fi

if [ "$rc" != 0 ]; then
        echo "FAIL $name: generator exited with $rc"; cat "$work/log"; exit 1
fi

if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
        rm -rf "$case_dir/expected"
        cp -a "$out/normal" "$case_dir/expected"
        cp "$work/log" "$case_dir/expected.log"
        echo "updated $name"
        exit 0
fi

status=0
mkdir -p "$case_dir/expected"
if ! diff -r --no-dereference -u "$case_dir/expected" "$out/normal"; then
        echo "FAIL $name: output tree differs from expected/"; status=1
fi
if ! diff -u "$case_dir/expected.log" "$work/log"; then
        echo "FAIL $name: log differs from expected.log"; status=1
fi

# systemd-analyze verify in a root holding the distribution's units, ours, the generated
# ones, and an executable at each ExecStart= path (Cloud Hypervisor cannot be installed here).
units=$(find "$out/normal" -maxdepth 1 -name '*.service' -type f | sort)
if [ -n "$units" ]; then
        vroot=$work/vroot
        mkdir -p "$vroot/etc/systemd/system" "$vroot/usr/lib/systemd" "$vroot/usr/bin" "$vroot/usr/sbin"
        cp -a /lib/systemd/system "$vroot/usr/lib/systemd/system"
        ln -s usr/lib "$vroot/lib"
        cp "$unit_build_dir"/nestvirt-*.service "$unit_build_dir"/nestvirt-vms.target "$vroot/usr/lib/systemd/system/"
        cp -a "$out/normal/." "$vroot/etc/systemd/system/"
        for u in $units; do
                # The first word of every Exec*= line as systemd splits it (quotes, then %% and $$ unescaped).
                python3 -c 'import re, shlex, sys
for l in open(sys.argv[1]):
    m = re.match(r"Exec[A-Za-z]*=[-@:+!]*(.*)", l)
    if m:
        print(shlex.split(m.group(1))[0].replace("%%", "%").replace("$$", "$"))' "$u" |
                while read -r exe; do
                        mkdir -p "$vroot$(dirname "$exe")"
                        printf '#!/bin/sh\nexit 0\n' > "$vroot$exe"
                        chmod 0755 "$vroot$exe"
                done
        done
        for u in $units; do
                if ! systemd-analyze verify --man=no --root="$vroot" "/etc/systemd/system/$(basename "$u")" \
                                > "$work/verify" 2>&1 || [ -s "$work/verify" ]; then
                        echo "FAIL $name: systemd-analyze verify $(basename "$u"):"; cat "$work/verify"; status=1
                fi
                # The VM units' sandbox: exposure at most 5.0 (issue 4's goal; README "Hardening").
                case $(basename "$u") in nestvirt-vm@*)
                        if ! systemd-analyze security --offline=yes --threshold=50 --no-pager --root="$vroot" \
                                        "/etc/systemd/system/$(basename "$u")" > "$work/security" 2>&1; then
                                echo "FAIL $name: systemd-analyze security $(basename "$u") is above 5.0:"
                                grep -E '✗|Overall|rror' "$work/security"; status=1
                        else
                                grep -o 'Overall exposure level.*' "$work/security"
                        fi
                esac
        done
fi

[ $status = 0 ] && echo "ok $name"
exit $status
