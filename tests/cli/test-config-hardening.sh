#!/bin/bash
# nestvirt check --root on hostile configuration trees: FIFOs, device nodes, directories,
# writable directories, links out of the root, foreign owners, huge and non-UTF-8 files, and
# a root deeper than any fixed path buffer. Every run is under `timeout 10`: a read that blocks
# fails its assertion (exit 124) instead of hanging the suite.
# TAP output: one line per assertion.
#
# usage: test-config-hardening.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
nestvirt=$build/src/nestvirt/nestvirt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
umask 022

. "$(dirname "$0")/tap.sh"

if [ "$(id -u)" != 0 ]; then
        echo "1..0 # SKIP needs root (chown, mknod)"
        exit 0
fi

GOOD=$'[VM good]\nMemory=1G\nKernel=/k\n'
EVIL=$'[VM evil]\nMemory=1G\nKernel=/k\n'

# tree NAME: a fresh root with a good main file (check needs no /sys); prints its path.
tree() {
        local t=$work/$1
        mkdir -p "$t/etc/nestvirt.conf.d" "$t/run/nestvirt.conf.d" "$t/usr/lib/nestvirt.conf.d"
        printf '%s' "$GOOD" > "$t/etc/nestvirt.conf"
        echo "$t"
}

# check_tree NAME RC PATTERN... : `nestvirt check --root` on tree NAME (extra options in $opts).
check_tree() {
        local name=$1 rc=$2 t=$work/$3; shift 3
        expect "$name" "$rc" "$@" '!evil' -- timeout 10 "$nestvirt" check --root "$t" ${opts-}
}

t=$(tree fifo-main)
rm "$t/etc/nestvirt.conf"
mkfifo "$t/etc/nestvirt.conf"
printf '%s' "$GOOD" > "$t/usr/lib/nestvirt.conf.d/10-good.conf"
check_tree "a FIFO as /etc/nestvirt.conf is refused, not waited on" 1 fifo-main \
        '^/etc/nestvirt.conf: error: refusing to read: it is a FIFO \(named pipe\), not a regular file' '1 of 1 VMs valid'

t=$(tree fifo-dropin)
mkfifo "$t/etc/nestvirt.conf.d/10-fifo.conf" "$t/fifo"
ln -s /fifo "$t/run/nestvirt.conf.d/20-link.conf"
check_tree "a FIFO drop-in, and a link to one, are refused" 1 fifo-dropin \
        '^/etc/nestvirt.conf.d/10-fifo.conf: error: refusing to read: it is a FIFO' \
        '^/run/nestvirt.conf.d/20-link.conf: error: refusing to read: its link target /fifo is a FIFO'

t=$(tree devices)
mkdir -p "$t/dev"
mknod "$t/dev/zero" c 1 5
mknod "$t/dev/blk" b 7 0
ln -s /dev/zero "$t/etc/nestvirt.conf.d/10-zero.conf"
ln -s ../../dev/blk "$t/etc/nestvirt.conf.d/20-blk.conf"
check_tree "drop-ins linked to device nodes are refused" 1 devices \
        'refusing to read: its link target /dev/zero is a character device' \
        'refusing to read: its link target /dev/blk is a block device'

t=$(tree directory)
rm "$t/etc/nestvirt.conf"
mkdir "$t/etc/nestvirt.conf" "$t/etc/nestvirt.conf.d/10-dir.conf"
check_tree "a directory as a config file is refused" 1 directory \
        '^/etc/nestvirt.conf: error: refusing to read: it is a directory' \
        '^/etc/nestvirt.conf.d/10-dir.conf: error: refusing to read: it is a directory'

# A writable drop-in directory: its drop-ins are not read, and its masks do not mask.
# CASE: the drop-in directory, the directory made unsafe, how, and the command that fixes it.
for case in "etc/nestvirt.conf.d etc/nestvirt.conf.d 0777 chmod go-w" \
            "run/nestvirt.conf.d run/nestvirt.conf.d 0775 chmod go-w" \
            "usr/lib/nestvirt.conf.d usr/lib/nestvirt.conf.d owner chown root:root" \
            "usr/lib/nestvirt.conf.d usr 0777 chmod go-w"; do
        set -- $case
        dropins=$1 d=$2 how=$3 fix="$4 $5" name=dir-${2//\//-}
        t=$(tree "$name")
        printf '%s' "$EVIL" > "$t/$dropins/10-evil.conf"
        if [ "$how" = owner ]; then chown 12345 "$t/$d"; else chmod "$how" "$t/$d"; fi
        check_tree "a drop-in directory under /$d ($how) is ignored with one error naming /$d" 1 "$name" \
                "^/$dropins: error: refusing to read: directory /$d is .*; run $fix /$d; none of its drop-ins is read" \
                '1 of 1 VMs valid'
done

t=$(tree mask-ignored)
printf '%s' "$GOOD" | sed 's/good/vendor/' > "$t/usr/lib/nestvirt.conf.d/10-vendor.conf"
ln -s /dev/null "$t/etc/nestvirt.conf.d/10-vendor.conf"
chmod 0777 "$t/etc/nestvirt.conf.d"
check_tree "a mask in a writable directory does not mask" 1 mask-ignored '2 of 2 VMs valid'

t=$(tree mask)
printf '%s' "$EVIL" > "$t/usr/lib/nestvirt.conf.d/10-vendor.conf"
ln -s /dev/null "$t/etc/nestvirt.conf.d/10-vendor.conf"
printf '%s' "$EVIL" > "$t/run/nestvirt.conf.d/20-run.conf"
ln -s ../../dev/null "$t/etc/nestvirt.conf.d/20-run.conf"
check_tree "a link to /dev/null still masks" 1 mask '\(1 file read, 1 of 1 VMs valid' '!refusing'

# Links resolve inside the root: the host's copy is never read.
printf '%s' "$EVIL" > "$work/host.conf"
t=$(tree escape-absolute)
ln -sf "$work/host.conf" "$t/etc/nestvirt.conf"
check_tree "an absolute link is followed inside the root, not on the host" 1 escape-absolute \
        "^/etc/nestvirt.conf: error: cannot open: it links to $work/host.conf, which does not exist in the root"
t=$(tree escape-dotdot)
ln -s "../../../../../../../../../../..$work/host.conf" "$t/etc/nestvirt.conf.d/10-up.conf"
check_tree "a link climbing with .. stays in the root" 1 escape-dotdot \
        "^/etc/nestvirt.conf.d/10-up.conf: error: cannot open: it links to $work/host.conf, which does not exist in the root"
mkdir -p "$t$work"
printf '%s' "$GOOD" | sed 's/good/inside/' > "$t$work/host.conf"
check_tree "... and reads the root's own copy" 1 escape-dotdot '2 of 2 VMs valid' '!cannot open'

t=$(tree link-target-owner)
printf '%s' "$EVIL" > "$t/srv.conf"
chown 12345 "$t/srv.conf"
ln -s /srv.conf "$t/etc/nestvirt.conf.d/10-srv.conf"
check_tree "a link target owned by another user is refused" 1 link-target-owner \
        '^/etc/nestvirt.conf.d/10-srv.conf: error: refusing to read: its link target /srv.conf is owned by uid 12345, not root; run chown root:root /srv.conf'

# Ownership: root only, whoever runs check; --allow-owner says it relaxed that.
t=$(tree owner)
chown 65534:65534 "$t/etc/nestvirt.conf"
check_tree "a file owned by another user is refused" 1 owner \
        '^/etc/nestvirt.conf: error: refusing to read: owned by uid 65534, not root; run chown root:root /etc/nestvirt.conf'
expect "check as that user refuses it the same way (as the boot would)" 1 \
        '^/etc/nestvirt.conf: error: refusing to read: owned by uid 65534, not root' \
        -- timeout 10 setpriv --reuid 65534 --regid 65534 --clear-groups "$nestvirt" check --root "$t"
opts="--allow-owner 65534" check_tree "--allow-owner UID accepts it and says so" 1 owner \
        '^note: ownership not enforced: files and directories owned by uid 65534 were accepted' \
        '1 of 1 VMs valid' '!refusing'
expect "--allow-owner wants a number" 2 'numeric uid' -- "$nestvirt" check --allow-owner nobody

t=$(tree huge)
{ printf '%s' "$EVIL"; head -c 2000000 /dev/zero | tr '\0' '#'; echo; } > "$t/etc/nestvirt.conf.d/10-huge.conf"
check_tree "a huge file is refused, naming it" 1 huge \
        '^/etc/nestvirt.conf.d/10-huge.conf: error: refusing to read: larger than 1024 KiB.*/etc/nestvirt.conf.d/10-huge.conf'

t=$(tree latin1)
printf '[VM evil]\nMemory=1G\nCmdline=caf\xe9\nKernel=/k\n' > "$t/etc/nestvirt.conf.d/10-latin1.conf"
check_tree "a line that is not UTF-8 is refused at FILE:LINE" 1 latin1 \
        '^/etc/nestvirt.conf.d/10-latin1.conf:3: error: not valid UTF-8 \(byte 0xe9\)'

# A root deeper than any fixed path buffer: the same answers as a short one (sysfs, /proc
# and config alike).
short=$(tree short)
cp -a "$src/tests/fixtures/intel-8gpu-2node/." "$short/"
deep=$work
for i in $(seq 1 24); do deep=$deep/a-directory-name-of-some-length-$i; done
mkdir -p "$deep"
cp -a "$short/." "$deep/"
for verb in check plan cmdline; do
        a=$(timeout 10 "$nestvirt" "$verb" --root "$short" 2>&1 | sed "s|$short|ROOT|g")
        b=$(timeout 10 "$nestvirt" "$verb" --root "$deep" 2>&1 | sed "s|$deep|ROOT|g")
        if [ "$a" = "$b" ] && [ -n "$a" ]; then
                ok "$verb under a ${#deep}-character root says what it says under a short one"
        else
                not_ok "$verb under a ${#deep}-character root says what it says under a short one" \
                        "short:" "$a" "long:" "$b"
        fi
done

# Drop-in names go into the units' SourcePath=, a line no escape can carry a newline on: a name
# with control characters or bytes that are not UTF-8 is refused; %, $, quotes, backslashes and
# blanks go through, % doubled. The generator's units must not gain a line from a name.
t=$(tree dropin-names)
printf '[VM named]\nMemory=1G\nKernel=/k\n' > "$t/etc/nestvirt.conf.d/10-x"$'\n'"ExecStartPre=sh -c injected"$'\n'".conf"
printf '[VM latin]\nMemory=1G\nKernel=/k\n' > "$t/etc/nestvirt.conf.d/15-caf"$'\xe9'".conf"
printf '[VM odd]\nMemory=1G\nKernel=/k\n' > "$t/etc/nestvirt.conf.d/20-50% \$HOME \"q\" b\\c d.conf"
check_tree "a drop-in name with a newline or non-UTF-8 bytes is refused, shown on one line" 1 dropin-names \
        '^/etc/nestvirt.conf.d/10-x\?ExecStartPre=sh -c injected\?.conf: error: the file name has control characters' \
        '^/etc/nestvirt.conf.d/15-caf\?.conf: error: the file name has control characters or is not UTF-8' \
        '2 of 2 VMs valid'
out=$work/dropin-names-out
mkdir -p "$out/normal" "$out/early" "$out/late"
NESTVIRT_ROOT=$t SYSTEMD_LOG_TARGET=console timeout 10 "$build/generator/nestvirt-generator" \
        "$out/normal" "$out/early" "$out/late" >/dev/null 2>&1
check "the drop-in named with a newline exists" test -e "$t/etc/nestvirt.conf.d/10-x"$'\n'"ExecStartPre=sh -c injected"$'\n'".conf"
check "no unit gains a line from a drop-in's name" \
        bash -c "! grep -rq -e '^ExecStartPre=sh' -e injected '$out/normal'"
check "the refused drop-ins define no VM" test ! -e "$out/normal/nestvirt-vm@named.service" -a ! -e "$out/normal/nestvirt-vm@latin.service"
check "a name with % \$ quotes backslash blanks is SourcePath= with only % doubled" \
        grep -qxF 'SourcePath=/etc/nestvirt.conf.d/20-50%% $HOME "q" b\c d.conf' "$out/normal/nestvirt-vm@odd.service"

# check --json is JSON (UTF-8) whatever bytes reach a message: here a root whose name is Latin-1.
t=$(tree json-bytes)
mv "$t" "$work/caf"$'\xe9'
json=$work/json-bytes.json
timeout 10 "$nestvirt" check --json --root "$work/caf"$'\xe9' > "$json" 2>/dev/null
check "check --json names the root (the bytes reached the output)" grep -q 'caf' "$json"
check "check --json is valid UTF-8 JSON with a non-UTF-8 root" \
        python3 -c 'import json, sys; json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))' "$json"

echo "1..$n"
[ "$failed" = 0 ]
