# shellcheck shell=bash
# Sourced by test-cli.sh: `check --root` reads each kernel's initramfs (cpio newc archives,
# an uncompressed one first, the rest compressed) and compares it with the root; the initrd
# record (reserve-hugepages in the initrd) reaches the main system's run and status.
# Uses: $img (a complete image), $nestvirt, $work, $kernel_modules, tap.sh's expect/check.

kv=${kernel_modules##*/}
if [ -z "$kv" ]; then
        kv=6.1.0-lab
        mkdir -p "$img/lib/modules/$kv" "$img/boot"
        printf 'CONFIG_VFIO=m\nCONFIG_VFIO_PCI=m\nCONFIG_HUGETLBFS=y\nCONFIG_HUGETLB_PAGE=y\n' > "$img/boot/config-$kv"
fi
nvbin=$(cd "$img" && ls usr/local/bin/nestvirt usr/bin/nestvirt 2>/dev/null | head -n1)

# cpio_of DIR: DIR as one newc archive on stdout, owned by root.
cpio_of() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0); }

# initrd KIND COMPRESSOR [SKIP...]: /boot/initrd.img-$kv as dracut (KIND dracut) or
# initramfs-tools would build it from $img, an early microcode archive first; SKIP: paths
# left out.
initrd() {
        local kind=$1 z=$2 t=$work/initrd-tree f
        shift 2
        rm -rf "$t" "$work/early"
        mkdir -p "$work/early/kernel/x86/microcode" "$t/etc"
        echo microcode > "$work/early/kernel/x86/microcode/GenuineIntel.bin"
        if [ "$kind" = dracut ]; then
                mkdir -p "$t/${nvbin%/*}" "$t/usr/lib/systemd/system-generators" "$t/usr/lib/systemd/system"
                cp "$img/$nvbin" "$t/$nvbin"
                cp "$img"/usr/lib/systemd/system-generators/nestvirt-generator "$t/usr/lib/systemd/system-generators/" 2>/dev/null ||
                        cp "$img"/lib/systemd/system-generators/nestvirt-generator "$t/usr/lib/systemd/system-generators/"
                : > "$t/usr/lib/systemd/system/nestvirt-hugepages.service"
                : > "$t/usr/lib/systemd/system/nestvirt-vfio.service"
                ln -s usr/lib "$t/lib"
        else
                # /usr/bin a link, as in a merged-/usr image the other way round: check follows it.
                mkdir -p "$t/bin" "$t/usr" "$t/scripts/init-top" "$t/conf"
                cp "$img/$nvbin" "$t/bin/nestvirt"
                ln -s ../bin "$t/usr/bin"
                : > "$t/scripts/init-top/nestvirt"
                : > "$t/conf/initramfs.conf"
        fi
        cp -a "$img/etc/nestvirt.conf" "$t/etc/"
        [ -d "$img/etc/nestvirt.conf.d" ] && cp -a "$img/etc/nestvirt.conf.d" "$t/etc/"
        for f in "$@"; do rm -rf "${t:?}/$f"; done
        { cpio_of "$work/early"; cpio_of "$t" | $z; } > "$img/boot/initrd.img-$kv"
}

check_img() { "$nestvirt" check --root "$img"; }

initrd dracut "zstd -q"
expect "check: a dracut initramfs (microcode + zstd) with nestvirt and this config" 0 '^OK: 0 errors' \
        '!initrd.img' -- check_img
initrd itools "gzip -c"
expect "check: an initramfs-tools initramfs (gzip, /usr/bin a link) with nestvirt and this config" 0 \
        '^OK: 0 errors' '!initrd.img' -- check_img

cp -p "$img/etc/nestvirt.conf" "$work/saved.conf"
echo '# edited after the initramfs was built' >> "$img/etc/nestvirt.conf"
expect "check: the config was edited since the initramfs was built" 1 \
        "^error: /boot/initrd.img-$kv \\(kernel $kv\\) carries another /etc/nestvirt.conf than the root has now; rebuild it \\(update-initramfs -u -k $kv\\)" \
        -- check_img
cp -p "$work/saved.conf" "$img/etc/nestvirt.conf"
mkdir -p "$img/etc/nestvirt.conf.d"
printf '[Host]\nHugepagesExtra=1\n' > "$img/etc/nestvirt.conf.d/20-more.conf"
expect "check: a drop-in added since the initramfs was built" 1 \
        "carries another|lacks /etc/nestvirt.conf.d/20-more.conf, which the root's boot reads; rebuild it" -- check_img
initrd dracut "xz -c"
chmod 0666 "$img/etc/nestvirt.conf.d/20-more.conf"
expect "check: a drop-in in the initramfs that the root refuses" 1 \
        "/etc/nestvirt.conf.d/20-more.conf: error: refusing to read: writable by everyone" \
        "carries /etc/nestvirt.conf.d/20-more.conf, which the root's boot does not read \\(removed, masked or refused\\); rebuild it \\(dracut -f --kver $kv\\)" \
        -- check_img
rm -rf "$img/etc/nestvirt.conf.d"

initrd dracut "zstd -q" usr/lib/systemd/system-generators/nestvirt-generator
expect "check: a dracut initramfs without the generator" 1 \
        "has nestvirt but not /usr/lib/systemd/system-generators/nestvirt-generator; rebuild it \\(dracut -f --kver $kv\\)" -- check_img
initrd itools "gzip -c" bin/nestvirt
expect "check: an initramfs without nestvirt" 1 \
        "initrd.img-$kv \\(kernel $kv\\) has no nestvirt \\(/usr/bin/nestvirt\\): pages are reserved and devices claimed only after switch-root" -- check_img
initrd itools "xz -c"
expect "check: a decompressor that is not installed is named" 0 \
        "warning: cannot read /boot/initrd.img-$kv \\(kernel $kv\\) .*is xz-compressed and xz is not installed here" \
        -- env PATH=/nonexistent "$nestvirt" check --root "$img"
printf '\x28\xb5\x2f\xfd garbage' | cat - > "$img/boot/initrd.img-$kv"
expect "check: a damaged initramfs is named" 0 "warning: cannot read /boot/initrd.img-$kv .*damaged" -- check_img
rm -f "$img/boot/initrd.img-$kv"

# The kernel itself: version and configuration.
mkdir -p "$img/lib/modules/5.10.0-old"
printf 'CONFIG_VFIO=m\nCONFIG_HUGETLBFS=y\n# CONFIG_HUGETLB_PAGE is not set\n' > "$img/boot/config-5.10.0-old"
expect "check: an old kernel without vfio-pci and hugetlb pages" 1 \
        "kernel 5.10.0-old is older than 5.14" \
        "kernel 5.10.0-old lacks PCI device passthrough \\(CONFIG_VFIO_PCI in /boot/config-5.10.0-old\\)" \
        "kernel 5.10.0-old lacks 1 GiB pages \\(CONFIG_HUGETLB_PAGE" '!lacks device passthrough' -- check_img
rm -rf "$img/lib/modules/5.10.0-old" "$img/boot/config-5.10.0-old"
rm -rf "$img/lib/modules/6.1.0-lab"

# The initrd's run records what it did; the main system's run logs it, status shows it.
rm -rf "$img/run"
expect "status: nestvirt did not run in the initramfs" 1 'Initramfs configuration: nestvirt did not run' \
        -- "$nestvirt" status --root "$img" --config "$work/saved.conf"
# reserve-hugepages writes the fixture's pools: restored afterwards.
cp -a "$img/sys" "$work/sys-saved"
printf '[Host]\nHugepages=0:1\n' > "$work/pages.conf"
expect "reserve-hugepages in the initrd reserves and records" 0 'Node 0: 1 pages of 1 GiB reserved \(0 before\)' \
        -- env SYSTEMD_IN_INITRD=1 "$nestvirt" reserve-hugepages --root "$img" --config "$work/pages.conf"
check "the record holds the node's pages and the config it read" \
        grep -qx 'reserve-hugepages.node=0 1 0 1' "$img/run/nestvirt/initrd-record"
expect "reserve-hugepages after switch-root logs what the initramfs did" 0 \
        'In the initramfs: node 0: 1 page of 1 GiB reserved \(0 before\), 1 planned' 'already reserved' \
        -- env SYSTEMD_IN_INITRD=0 "$nestvirt" reserve-hugepages --root "$img" --config "$work/pages.conf"
expect "status: what the initramfs did" 0 'Initramfs configuration: same as /etc' \
        'In the initramfs: reserve-hugepages done: node 0: 1 reserved \(0 before\), 1 planned' \
        'In the initramfs: bind-vfio did not run' -- "$nestvirt" status --root "$img" --config "$work/pages.conf"
check "status --json: the initramfs record" python3 -c '
import json, subprocess, sys
s = json.loads(subprocess.run(sys.argv[1:], capture_output=True, text=True).stdout)
i = s["initramfs"]
assert s["initramfs_config"] == "same" and i["ran"] and i["config"] == "same", i
assert i["reserve_hugepages"] == {"exit": 0, "nodes": [{"node": 0, "planned": 1, "before": 0, "after": 1}]}, i
assert i["bind_vfio"]["exit"] is None and i["files"] == [sys.argv[-1]], i
' "$nestvirt" status --root "$img" --json --config "$work/pages.conf"
echo '# edited' >> "$work/pages.conf"
expect "status: the initramfs saw another config" 1 'Initramfs configuration: DIFFERS' \
        'the initramfs carries a different configuration .*rebuild it' -- "$nestvirt" status --root "$img" --config "$work/pages.conf"
rm -rf "$img/run" "$img/sys"
mv "$work/sys-saved" "$img/sys"

# Files the VMs name resolve inside the root: a link to the build host's /bin/sh is no
# Cloud Hypervisor in the image.
mv "$img/usr/local/bin/cloud-hypervisor" "$work/ch-saved"
ln -s /bin/sh "$img/usr/local/bin/cloud-hypervisor"
expect "check: Hypervisor= linking out to a file only the build host has" 1 \
        'Hypervisor=/usr/local/bin/cloud-hypervisor \(the default\): no executable there' -- check_img
rm "$img/usr/local/bin/cloud-hypervisor"
mv "$work/ch-saved" "$img/usr/local/bin/cloud-hypervisor"
