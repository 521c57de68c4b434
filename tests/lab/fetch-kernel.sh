#!/bin/bash
# fetch-kernel.sh FLAVOUR CACHE_DIR
#
# Downloads a Debian kernel package (never installs it on the host) and
# extracts it into CACHE_DIR/FLAVOUR/root.
#
#   FLAVOUR   bookworm    linux-image-amd64's dependency from the host's own
#                         apt configuration (6.1)
#             backports   the same from bookworm-backports (6.12), through a
#                         private apt configuration kept in CACHE_DIR/backports/apt
#                         (sources derived from the host's Debian entry; the host's
#                         apt configuration and lists are left alone)
#
# Prints KEY=VALUE lines on stdout (progress goes to stderr):
#   KVER=6.1.0-56-amd64
#   VMLINUZ=/abs/path/vmlinuz-...
#   MODULES=/abs/path/lib/modules/KVER
#   KERNEL_ROOT=/abs/path/root          (the extracted package)
#   VIRTIO_IOMMU=module|builtin|absent
#
# Cache: if CACHE_DIR/FLAVOUR/root was already extracted, nothing is
# downloaded again. Remove CACHE_DIR/FLAVOUR to pick up a newer kernel.
set -euo pipefail

usage() { echo "usage: $0 bookworm|backports CACHE_DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
flavour=$1
case $flavour in bookworm|backports) ;; *) usage ;; esac
mkdir -p "$2"
cache=$(cd "$2" && pwd)
dir=$cache/$flavour
root=$dir/root
stamp=$dir/extracted

log() { echo "fetch-kernel: $*" >&2; }
die() { echo "fetch-kernel: error: $*" >&2; exit 1; }

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "cannot read VERSION_CODENAME from /etc/os-release"

# Writes, on stdout, a sources entry for SUITE built from the host's first
# Debian entry that carries the suite $codename (same URIs, components,
# options and keyring; only the suite differs).
derive_sources() {
    local suite=$1 f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        if awk -v want="$codename" -v suite="$suite" '
            function flush(   i, n, t, ok) {
                if (nl == 0) return
                ok = 0
                n = split(tolower(types), t, /[ \t]+/)
                for (i = 1; i <= n; i++) if (t[i] == "deb") ok++
                n = split(suites, t, /[ \t]+/)
                for (i = 1; i <= n; i++) if (t[i] == want) ok++
                if (ok >= 2 && enabled != "no" && !done) {
                    for (i = 1; i <= nl; i++) {
                        if (lines[i] ~ /^Types:/) print "Types: deb"
                        else if (lines[i] ~ /^Suites:/) print "Suites: " suite
                        else print lines[i]
                    }
                    done = 1
                }
                nl = 0; types = ""; suites = ""; enabled = ""; skip = 0
            }
            /^#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]/ { if (!skip) lines[++nl] = $0; next }
            {
                skip = 0
                key = $0; sub(/:.*/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (key == "Types") types = val
                if (key == "Suites") { suites = val; skip = 1 }
                if (key == "Enabled") enabled = tolower(val)
                lines[++nl] = $0
            }
            END { flush(); exit done ? 0 : 1 }' "$f"; then
            return 0
        fi
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        if awk -v want="$codename" -v suite="$suite" '
            $1 == "deb" {
                i = 2
                if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if ($(i + 1) == want) {
                    line = $1
                    for (j = 2; j <= NF; j++) line = line " " (j == i + 1 ? suite : $j)
                    print line; found = 1; exit
                }
            }
            END { exit found ? 0 : 1 }' "$f"; then
            return 0
        fi
    done
    return 1
}

apt_opts=()
setup_private_apt() {
    local a=$dir/apt
    mkdir -p "$a/sources.list.d" "$a/preferences.d" "$a/lists/partial" \
             "$a/cache/archives/partial"
    : > "$a/sources.list"
    local src
    src=$(derive_sources "$codename-backports") ||
        die "no Debian '$codename' entry found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
    case $src in
        deb\ *) printf '%s\n' "$src" > "$a/sources.list"; rm -f "$a/sources.list.d/backports.sources" ;;
        *) printf '%s\n' "$src" > "$a/sources.list.d/backports.sources" ;;
    esac
    apt_opts=(
        -o "Dir::Etc::SourceList=$a/sources.list"
        -o "Dir::Etc::SourceParts=$a/sources.list.d"
        -o "Dir::Etc::PreferencesParts=$a/preferences.d"
        -o "Dir::Etc::Preferences=$a/preferences"
        -o "Dir::State::Lists=$a/lists"
        -o "Dir::Cache=$a/cache"
        -o "APT::Sandbox::User=root"
    )
    log "private apt configuration in $a:"
    cat "$a/sources.list" "$a"/sources.list.d/* 2>/dev/null | sed 's/^/    /' >&2
    apt-get "${apt_opts[@]}" -q update >&2 || die "apt-get update (private, $codename-backports) failed"
}

# The versioned image package that linux-image-amd64 depends on.
resolve_image() {
    apt-cache "${apt_opts[@]}" show --no-all-versions linux-image-amd64 2>/dev/null |
        awk -F': ' '$1 == "Depends" { n = split($2, d, /, */); for (i = 1; i <= n; i++) { split(d[i], w, / /); if (w[1] ~ /^linux-image-[0-9]/) { print w[1]; exit } } }'
}

report() {
    local kver vmlinuz moddir vi
    kver=$(cat "$stamp")
    vmlinuz=$root/boot/vmlinuz-$kver
    moddir=$root/lib/modules/$kver
    [ -d "$moddir" ] || moddir=$root/usr/lib/modules/$kver
    [ -f "$vmlinuz" ] && [ -d "$moddir" ] || die "cache $dir is incomplete; remove it and run again"
    if grep -qE '(^|/)virtio[-_]iommu\.ko' "$moddir/modules.builtin" 2>/dev/null; then
        vi=builtin
    elif find "$moddir/kernel" -name 'virtio[-_]iommu.ko*' 2>/dev/null | grep -q .; then
        vi=module
    else
        vi=absent
    fi
    local cfg
    cfg=$(grep -E '^CONFIG_VIRTIO_IOMMU=' "$root/boot/config-$kver" 2>/dev/null || echo 'CONFIG_VIRTIO_IOMMU unset')
    log "$flavour: $kver, virtio_iommu: $vi ($cfg)"
    echo "KVER=$kver"
    echo "VMLINUZ=$vmlinuz"
    echo "MODULES=$moddir"
    echo "KERNEL_ROOT=$root"
    echo "VIRTIO_IOMMU=$vi"
}

if [ -s "$stamp" ] && [ -d "$root" ]; then
    log "$flavour: using cached $root"
    report
    exit 0
fi

mkdir -p "$dir"
if [ "$flavour" = backports ]; then
    setup_private_apt
fi
pkg=$(resolve_image || true)
if [ -z "$pkg" ] && [ "$flavour" = bookworm ]; then
    log "linux-image-amd64 unknown to apt-cache; running apt-get update"
    apt-get -q update >&2
    pkg=$(resolve_image || true)
fi
[ -n "$pkg" ] || die "cannot resolve linux-image-amd64's kernel package ($flavour)"
log "$flavour: kernel package $pkg"

debdir=$dir/deb
rm -rf "$debdir"
mkdir -p "$debdir"
download() { (cd "$debdir" && apt-get "${apt_opts[@]}" -o APT::Sandbox::User=root -q download "$pkg" >&2); }
if ! download; then
    [ "$flavour" = bookworm ] || die "apt-get download $pkg failed"
    log "download failed; running apt-get update and retrying"
    apt-get -q update >&2
    pkg=$(resolve_image)
    download || die "apt-get download $pkg failed"
fi
deb=$(ls "$debdir"/*.deb | head -n1)
[ -f "$deb" ] || die "no .deb downloaded"

rm -rf "$root"
mkdir -p "$root"
log "extracting $(basename "$deb")"
dpkg-deb -x "$deb" "$root"
kver=$(ls "$root/boot" | sed -n 's/^vmlinuz-//p' | head -n1)
[ -n "$kver" ] || die "no /boot/vmlinuz-* in $deb"
moddir=$root/lib/modules/$kver
[ -d "$moddir" ] || moddir=$root/usr/lib/modules/$kver
[ -d "$moddir" ] || die "no modules directory for $kver in $deb"
# The package ships no modules.dep (its postinst runs depmod); make one so
# that modprobe --show-depends can resolve dependencies against this tree.
if [ "$moddir" = "$root/usr/lib/modules/$kver" ] && [ ! -e "$root/lib/modules" ]; then
    mkdir -p "$root/lib" && ln -s ../usr/lib/modules "$root/lib/modules"
fi
depmod -b "$root" "$kver"
rm -f "$deb"
echo "$kver" > "$stamp"
report
