#!/bin/bash
# nestvirt config-files --root on good and hostile trees: what the initramfs builders copy.
# The accepted files in precedence order with their link targets inside the root, masks
# left out; any file the boot would refuse (foreign owner, group/world-writable file or
# directory, a FIFO, a link out of bounds) makes it exit 1 with the reader's FILE: error.
# TAP output.
#
# usage: test-config-files.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
nestvirt=$build/src/nestvirt/nestvirt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
umask 022

. "$(dirname "$0")/tap.sh"

if [ "$(id -u)" != 0 ]; then
        echo "1..0 # SKIP needs root (chown)"
        exit 0
fi

tree() {
        local t=$work/$1
        mkdir -p "$t/etc/nestvirt.conf.d" "$t/run/nestvirt.conf.d" "$t/usr/lib/nestvirt.conf.d" "$t/opt"
        printf '[Host]\n' > "$t/etc/nestvirt.conf"
        echo "$t"
}
files() { timeout 10 "$nestvirt" config-files --root "$1"; }

t=$(tree good)
printf '[Host]\n' > "$t/usr/lib/nestvirt.conf.d/10-vendor.conf"
printf '[Host]\n' > "$t/usr/lib/nestvirt.conf.d/20-masked.conf"
ln -s /dev/null "$t/etc/nestvirt.conf.d/20-masked.conf"
printf '[Host]\n' > "$t/usr/lib/nestvirt.conf.d/30-overridden.conf"
printf '[Host]\n' > "$t/etc/nestvirt.conf.d/30-overridden.conf"
printf '[Host]\n' > "$t/run/nestvirt.conf.d/40-run.conf"
printf '[Host]\n' > "$t/opt/linked.conf"
ln -s /opt/linked.conf "$t/etc/nestvirt.conf.d/50-link.conf"
ln -s ../../../opt/linked.conf "$t/etc/nestvirt.conf.d/60-relative.conf"
want=$(printf '%s\t%s\n' /usr/lib/nestvirt.conf.d/10-vendor.conf /usr/lib/nestvirt.conf.d/10-vendor.conf \
        /etc/nestvirt.conf /etc/nestvirt.conf \
        /etc/nestvirt.conf.d/30-overridden.conf /etc/nestvirt.conf.d/30-overridden.conf \
        /run/nestvirt.conf.d/40-run.conf /run/nestvirt.conf.d/40-run.conf \
        /etc/nestvirt.conf.d/50-link.conf /opt/linked.conf \
        /etc/nestvirt.conf.d/60-relative.conf /opt/linked.conf)
got=$(files "$t" 2>&1)
if [ "$got" = "$want" ]; then
        ok "the accepted files in precedence order, links resolved inside the root, masks and overridden files left out"
else
        not_ok "the accepted files in precedence order" "got:" "$got" "wanted:" "$want"
fi
expect "exit 0 and nothing on stderr for a good tree" 0 '!error' -- files "$t"

# expect_refused NAME TREE PATTERN...: exit 1, the reader's error, the summary line.
expect_refused() {
        local name=$1 t=$2; shift 2
        expect "$name" 1 "$@" 'configuration files? refused \(see above\); the boot would not read' -- files "$t"
}
t=$(tree owner)
printf '[VM evil]\n' > "$t/etc/nestvirt.conf.d/50-evil.conf"
chown 1000:1000 "$t/etc/nestvirt.conf.d/50-evil.conf"
expect_refused "a drop-in owned by another user" "$t" \
        '^/etc/nestvirt.conf.d/50-evil.conf: error: refusing to read: owned by uid 1000, not root; run chown root:root'
got=$(files "$t" 2>/dev/null)
check "... the accepted ones are still listed, the refused one is not" test "$got" = "$(printf '/etc/nestvirt.conf\t/etc/nestvirt.conf')"

t=$(tree writable)
printf '[VM evil]\n' > "$t/run/nestvirt.conf.d/50-evil.conf"
chmod 0664 "$t/run/nestvirt.conf.d/50-evil.conf"
expect_refused "a group-writable drop-in" "$t" '^/run/nestvirt.conf.d/50-evil.conf: error: refusing to read: writable by its group \(mode 0664\)'

t=$(tree dir)
printf '[VM evil]\n' > "$t/etc/nestvirt.conf.d/50-evil.conf"
chmod 0777 "$t/etc/nestvirt.conf.d"
expect_refused "a world-writable drop-in directory" "$t" \
        '^/etc/nestvirt.conf.d: error: refusing to read: directory /etc/nestvirt.conf.d is writable by everyone' '!50-evil.conf'

t=$(tree target)
printf '[VM evil]\n' > "$t/opt/evil.conf"
chown 1000 "$t/opt/evil.conf"
ln -s /opt/evil.conf "$t/etc/nestvirt.conf.d/50-evil.conf"
expect_refused "a link to a file owned by another user" "$t" \
        '^/etc/nestvirt.conf.d/50-evil.conf: error: refusing to read: its link target /opt/evil.conf is owned by uid 1000'

t=$(tree outside)
printf '[VM evil]\n' > "$work/outside.conf"
ln -s ../../../../outside.conf "$t/etc/nestvirt.conf.d/50-evil.conf"
expect_refused "a link that climbs out of the root stays inside it (and finds nothing)" "$t" \
        '^/etc/nestvirt.conf.d/50-evil.conf: error: cannot open: it links to /outside.conf, which does not exist in the root'

t=$(tree fifo)
mkfifo "$t/etc/nestvirt.conf.d/50-fifo.conf"
expect_refused "a FIFO is refused, not waited on" "$t" '^/etc/nestvirt.conf.d/50-fifo.conf: error: refusing to read: it is a FIFO'

t=$(tree control)
printf '[Host]\n' > "$t/etc/nestvirt.conf.d/50-a"$'\t'"b.conf"
expect "a name with a tab cannot be listed: exit 1" 1 'its name .* has a control character; rename it' -- files "$t"

expect "--config is a usage error" 2 'config-files: --config is not supported' \
        -- "$nestvirt" config-files --config "$work/good/etc/nestvirt.conf"

echo "1..$n"
[ "$failed" = 0 ]
