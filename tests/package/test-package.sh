#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian package, end to end: built from a copy of the tree with dpkg-buildpackage
# (the unit and golden suites run inside the build; the cli suite runs in tests/run-all.sh),
# checked by lintian, unpacked with dpkg-deb, and its contents asserted. TAP output.
#
# usage: tests/package/test-package.sh [--head]
#   The tree built is, by default, the working tree's files that git tracks or would add
#   (git ls-files --cached --others --exclude-standard: build directories are ignored),
#   as they are on disk now, committed or not. --head builds the committed tree instead.
# Environment: NESTVIRT_PACKAGE_KEEP=1 keeps the temporary directory (its path is printed).
# Needs: dpkg-dev, debhelper, lintian, fakeroot and the Build-Depends (tests/packages.txt).
# Exit status: 0 when every assertion holds, 1 otherwise.
set -uo pipefail

from=worktree
case ${1:-} in
"") ;;
--head) from=head ;;
*) echo "usage: $0 [--head]" >&2; exit 2 ;;
esac

src=$(realpath "$(dirname "$0")/../..")
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
# check NAME CMD...: ok when CMD succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi; }
comment() { sed 's/^/# /'; }
finish() { echo "1..$n"; [ "$failed" = 0 ]; exit $?; }

for tool in dpkg-buildpackage dpkg-deb lintian fakeroot dh git pkg-config; do
        command -v "$tool" >/dev/null ||
                { echo "Bail out! $tool is missing (tests/packages.txt lists its package)"; exit 1; }
done

work=$(mktemp -d /tmp/nestvirt-package.XXXXXX)
if [ "${NESTVIRT_PACKAGE_KEEP:-0}" = 1 ]; then
        echo "# keeping $work"
else
        trap 'rm -rf "$work"' EXIT
fi
tree=$work/nestvirt
mkdir -p "$tree"

# The copy: modes as a fresh clone has them (nestvirt refuses group-writable configs).
umask 022
if [ $from = head ]; then
        git -C "$src" archive HEAD | tar -x --no-same-permissions -C "$tree"
else
        (cd "$src" && git ls-files -z --cached --others --exclude-standard |
                while IFS= read -r -d '' f; do
                        [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
                done | tar --null -T - -cf -) | tar -x --no-same-permissions -C "$tree"
fi
[ -x "$tree/debian/rules" ] || { echo "Bail out! no debian/rules in the $from tree"; exit 1; }

# The build. cli is left to run-all.sh: debian/rules runs it only with a kernel cache.
start=$SECONDS
if (cd "$tree" && env -u NESTVIRT_LAB_CACHE DEB_BUILD_OPTIONS="parallel=$(nproc)" \
                dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1; then
        ok "dpkg-buildpackage -us -uc -b builds ($((SECONDS - start)) s, unit and golden suites passed)"
else
        not_ok "dpkg-buildpackage -us -uc -b builds" "build log, last lines:"
        tail -40 "$work/build.log" | comment
        finish
fi
grep -E '^Ok: |^Fail: |^Skipped: ' "$work/build.log" | comment

version=$(cd "$tree" && dpkg-parsechangelog -S Version)
arch=$(dpkg --print-architecture)
deb=$work/nestvirt_${version}_$arch.deb
changes=$work/nestvirt_${version}_$arch.changes
check "the .deb is nestvirt_${version}_$arch.deb" test -f "$deb"
[ -f "$deb" ] || finish

# lintian, with the explanations of anything it says.
if lintian --fail-on error,warning --info --display-info "$changes" > "$work/lintian.log" 2>&1; then
        ok "lintian --fail-on error,warning: no error, no warning"
else
        not_ok "lintian --fail-on error,warning: no error, no warning"
fi
comment < "$work/lintian.log"

# The contents, unpacked as dpkg would lay them out.
root=$work/root
dpkg-deb -x "$deb" "$root"
dpkg-deb -c "$deb" > "$work/contents"
generatordir=$(pkg-config --variable=systemdsystemgeneratordir systemd)
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
completionsdir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null ||
                 echo /usr/share/bash-completion/completions)

for f in /usr/bin/nestvirt \
         "$generatordir/nestvirt-generator" \
         /usr/lib/dracut/modules.d/90nestvirt/module-setup.sh \
         /usr/share/initramfs-tools/hooks/nestvirt \
         /usr/share/initramfs-tools/scripts/init-top/nestvirt; do
        check "$f is an executable file" test -f "$root$f" -a -x "$root$f"
done
for f in "$unitdir/nestvirt-hugepages.service" "$unitdir/nestvirt-vfio.service" "$unitdir/nestvirt-vms.target" \
         /etc/nestvirt.conf /usr/share/doc/nestvirt/examples/nestvirt.conf \
         /usr/share/man/man8/nestvirt.8.gz /usr/share/man/man8/nestvirt-generator.8.gz \
         /usr/share/man/man5/nestvirt.conf.5.gz \
         "$completionsdir/nestvirt" \
         /usr/share/doc/nestvirt/copyright; do
        check "$f is a file" test -f "$root$f"
done
check "README.Debian is installed" bash -c 'test -f "$1" || test -f "$1.gz"' _ "$root/usr/share/doc/nestvirt/README.Debian"
# Nothing from the build or the tests leaks in: every file under a directory we expect.
unexpected=$(awk '{ print $6 }' "$work/contents" | sed 's|^\./|/|' | grep -v '/$' |
        grep -Ev "^(/usr/bin/nestvirt|$generatordir/nestvirt-generator|$unitdir/nestvirt-[a-z]+\.(service|target)|/usr/lib/dracut/modules\.d/90nestvirt/.*|/usr/share/initramfs-tools/.*/nestvirt|/etc/nestvirt\.conf|/usr/share/man/man[58]/nestvirt.*|$completionsdir/nestvirt|/usr/share/doc/nestvirt/.*|/usr/share/lintian/overrides/nestvirt)$")
check "no file outside the expected places" test -z "$unexpected"
[ -n "$unexpected" ] && comment <<< "$unexpected"

# Metadata: the conffile, the trigger, no unit started by the maintainer scripts.
dpkg-deb -e "$deb" "$work/control"
check "/etc/nestvirt.conf is a conffile" grep -qx /etc/nestvirt.conf "$work/control/conffiles"
check "installing rebuilds the initramfs (activate-noawait update-initramfs)" \
        grep -qx 'activate-noawait update-initramfs' "$work/control/triggers"
# A stop would be worst: the VM units require nestvirt-vfio.service and are PartOf
# nestvirt-vms.target, so an upgrade would power off every running VM.
check "no maintainer script starts, stops or enables a nestvirt unit" \
        bash -c '! cat "$1"/preinst "$1"/postinst "$1"/prerm "$1"/postrm 2>/dev/null |
                 grep -E "deb-systemd-invoke|deb-systemd-helper (enable|unmask)|systemctl (start|stop|restart|enable)"' _ "$work/control"
check "purge removes /var/lib/nestvirt/initramfs only" \
        grep -q 'rm -rf /var/lib/nestvirt/initramfs$' "$work/control/postrm"
depends=$(dpkg-deb -f "$deb" Depends)
check "Depends has the shared libraries (libkmod, libblkid, libsystemd)" \
        bash -c '[[ $1 == *libkmod* && $1 == *libblkid* && $1 == *libsystemd* ]]' _ "$depends"
check "Recommends genisoimage" bash -c '[[ $(dpkg-deb -f "$1" Recommends) == *genisoimage* ]]' _ "$deb"

# The installed binaries run (their libraries are the system's).
out=$("$root/usr/bin/nestvirt" --version 2>&1)
check "nestvirt --version prints ${version%-*} ($out)" grep -qw -- "${version%-*}" <<< "$out"
check "the units run the installed binary" \
        grep -qx 'ExecStart=/usr/bin/nestvirt bind-vfio' "$root$unitdir/nestvirt-vfio.service"

# The shipped /etc/nestvirt.conf does nothing: no active line, and the generator writes
# no unit from it; the example it was made from does (so it is the commenting that counts).
active=$(grep -Ev '^[[:space:]]*([#;]|$)' "$root/etc/nestvirt.conf")
check "/etc/nestvirt.conf has no active line" test -z "$active"
[ -n "$active" ] && comment <<< "$active"
check "/etc/nestvirt.conf says it is inert and how to enable it" \
        grep -q 'every setting below is commented out' "$root/etc/nestvirt.conf"
# generate CONFIG: the units the installed generator writes for CONFIG on a captured host.
generate() {
        local host=$work/host out=$work/gen
        rm -rf "$host" "$out"
        mkdir -p "$host/etc" "$out"
        cp -a "$tree/tests/fixtures/intel-8gpu-2node/." "$host/"
        install -m 0644 "$1" "$host/etc/nestvirt.conf"
        NESTVIRT_ROOT=$host SYSTEMD_PROC_CMDLINE="" SYSTEMD_IN_INITRD=0 \
                "$root$generatordir/nestvirt-generator" "$out" "$out" "$out" 2>/dev/null || return 1
        (cd "$out" && find . -mindepth 1 | sort)
}
if units=$(generate "$root/etc/nestvirt.conf") && [ -z "$units" ]; then
        ok "the generator writes nothing for the shipped /etc/nestvirt.conf"
else
        not_ok "the generator writes nothing for the shipped /etc/nestvirt.conf" "it wrote:" $units
fi
units=$(generate "$root/usr/share/doc/nestvirt/examples/nestvirt.conf")
check "the generator writes nestvirt-vm@train0.service for the example" \
        grep -qx './nestvirt-vm@train0.service' <<< "$units"
check "nestvirt.conf(5) is a rendered man page that documents Autostart=" \
        bash -c 'zcat "$1" | grep -q "^\\.TH" && zcat "$1" | grep -q "Autostart"' _ "$root/usr/share/man/man5/nestvirt.conf.5.gz"

finish
