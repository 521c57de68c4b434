#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# mkrootfs.sh OUTDIR
#
# A minimal Debian root file system tree for lab boots that switch root (scenarios
# 6, 9 and 10), made from this host's own installed packages (no download): the
# files of systemd-sysv, systemd, udev, kmod, util-linux, mount, bash, coreutils,
# genisoimage (scenario 10's cloud-init seed), libnftables1 (nestvirt links it for Network=nat;
# libkmod, libblkid and libsystemd come with kmod, util-linux and systemd) and their installed
# Depends/Pre-Depends, as `dpkg -L` lists them, plus a minimal
# /etc (passwd, group, hostname, empty machine-id and fstab). No maintainer script
# runs: systemd boots it to multi-user.target with only its static units.
# Kernel modules, nestvirt and the lab's files are added by the caller.
#
# Cache: OUTDIR/.packages lists the package versions the tree was made from; the
# tree is made again when the host's versions differ.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
roots="systemd-sysv systemd udev kmod util-linux mount bash coreutils libc-bin genisoimage libnftables1"

log() { echo "mkrootfs: $*" >&2; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

# The installed closure of $roots over Depends and Pre-Depends (the first
# installed alternative; virtual packages through their installed provider).
declare -A seen=()
queue=($roots)
while [ ${#queue[@]} -gt 0 ]; do
    p=${queue[0]}
    queue=("${queue[@]:1}")
    p=${p%%:*}
    [ -n "${seen[$p]:-}" ] && continue
    if ! installed "$p"; then
        prov=$(dpkg-query -W -f='${Package} ${Provides}\n' 2>/dev/null |
               awk -v v="$p" '{ for (i = 2; i <= NF; i++) { g = $i; sub(/,$/, "", g); if (g == v && !found) { print $1; found = 1 } } }')
        [ -n "$prov" ] && queue+=("$prov")
        continue
    fi
    seen[$p]=1
    IFS=',' read -ra parts <<<"$(dpkg-query -W -f='${Pre-Depends}, ${Depends}' "$p")"
    for d in "${parts[@]}"; do
        d=$(sed 's/([^)]*)//g; s/:any//g; s/^ *//; s/ *$//' <<<"$d")
        [ -n "$d" ] || continue
        chosen=
        IFS='|' read -ra alts <<<"$d"
        for a in "${alts[@]}"; do
            a=$(echo $a)
            if installed "$a"; then chosen=$a; break; fi
        done
        [ -n "$chosen" ] || chosen=$(echo ${alts[0]})
        queue+=("$chosen")
    done
done
mapfile -t pkgs < <(printf '%s\n' "${!seen[@]}" | LC_ALL=C sort)
versions=$(for p in "${pkgs[@]}"; do dpkg-query -W -f='${Package} ${Version}\n' "$p"; done)

if [ -f "$out/.packages" ] && [ "$(cat "$out/.packages")" = "$versions" ]; then
    log "cached tree $out"
    exit 0
fi

rm -rf "$out"
mkdir -p "$out"
# Debian 12's merged /usr.
for d in bin sbin lib lib64; do
    if [ -L /$d ]; then ln -s "$(readlink /$d)" "$out/$d"; fi
done
mkdir -p "$out"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,run,tmp,root,var/tmp,var/log,home,mnt}
chmod 1777 "$out/tmp" "$out/var/tmp"

list=$(mktemp)
trap 'rm -f "$list"' EXIT
for p in "${pkgs[@]}"; do
    dpkg -L "$p" 2>/dev/null
done | grep '^/' | LC_ALL=C sort -u | while IFS= read -r f; do
    if [ -L "$f" ] || [ -f "$f" ]; then
        printf '%s\n' "${f#/}"
    elif [ -d "$f" ] && [ ! -L "$f" ]; then
        printf '%s\n' "${f#/}"
    fi
done > "$list"
tar -C / --no-recursion -cf - -T "$list" 2>/dev/null | tar -C "$out" --keep-directory-symlink -xf -
log "${#pkgs[@]} packages, $(wc -l < "$list") paths, $(du -sh "$out" | cut -f1)"
[ -e "$out/sbin/init" ] && [ -e "$out/lib/systemd/systemd" ] ||
    { echo "mkrootfs: error: no /sbin/init or systemd in the tree (install systemd-sysv)" >&2; rm -rf "$out"; exit 1; }

cat > "$out/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
messagebus:x:100:101::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat > "$out/etc/group" <<'EOF'
root:x:0:
tty:x:5:
disk:x:6:
kmem:x:15:
dialout:x:20:
cdrom:x:24:
tape:x:26:
audio:x:29:
video:x:44:
utmp:x:43:
input:x:105:
kvm:x:106:
render:x:107:
sgx:x:108:
systemd-journal:x:101:
nogroup:x:65534:
EOF
printf 'root:*:19000:0:99999:7:::\n' > "$out/etc/shadow"
chmod 0640 "$out/etc/shadow"
echo nestvirt-lab > "$out/etc/hostname"
: > "$out/etc/machine-id"
: > "$out/etc/fstab"
ln -sf /proc/self/mounts "$out/etc/mtab"
ln -sf /lib/systemd/system/multi-user.target "$out/etc/systemd/system/default.target" 2>/dev/null ||
    { mkdir -p "$out/etc/systemd/system"; ln -sf /lib/systemd/system/multi-user.target "$out/etc/systemd/system/default.target"; }
printf '%s\n' "$versions" > "$out/.packages"
