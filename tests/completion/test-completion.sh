#!/bin/bash
# The bash completion for nestvirt, called the way bash calls it (COMP_WORDS, COMP_CWORD,
# COMP_LINE, COMP_POINT set, bash-completion's helpers loaded) in this non-interactive
# bash, with the built nestvirt answering for the VM names. Expected sets come from the
# binary's --help and from the config files, never typed in here.
# TAP output: one line per assertion.
#
# usage: test-completion.sh BUILD_DIR
set -o pipefail

build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
nestvirt=$build/src/nestvirt/nestvirt
helpers=${BASH_COMPLETION_HELPERS:-/usr/share/bash-completion/bash_completion}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

if [ ! -r "$helpers" ]; then
        echo "Bail out! bash-completion is not installed ($helpers missing)"
        exit 1
fi
# shellcheck source=/dev/null
. "$helpers"
# shellcheck source=../../completion/nestvirt
. "$src/completion/nestvirt"

# words LINE: the words bash makes of LINE for completion: split at blanks outside
# quotes, and at the COMP_WORDBREAKS characters = and : (each its own word), one per line.
# A LINE ending in a blank gets an empty last word.
words() {
        local line=$1 w='' c quote='' i
        for ((i = 0; i < ${#line}; i++)); do
                c=${line:i:1}
                if [[ $quote ]]; then
                        [[ $c == "$quote" ]] && quote=''
                        w+=$c
                elif [[ $c == ' ' ]]; then
                        [[ $w ]] && printf '%s\n' "$w"
                        w=''
                elif [[ $c == '=' || $c == ':' ]]; then
                        [[ $w ]] && printf '%s\n' "$w"
                        printf '%s\n' "$c"
                        w=''
                else
                        [[ $c == "'" || $c == '"' ]] && quote=$c
                        w+=$c
                fi
        done
        printf '%s\n' "$w"
}

# complete LINE: what completing at the end of LINE offers, sorted, one per line.
complete_line() {
        local line=$1
        COMP_LINE=$line
        COMP_POINT=${#line}
        mapfile -t COMP_WORDS < <(words "$line")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        _nestvirt "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort
}

# expect NAME LINE EXPECTED: completing LINE offers exactly EXPECTED (lines, any order).
expect() {
        local got want
        got=$(complete_line "$2" 2>"$work/stderr")
        want=$(printf '%s\n' "$3" | sed '/^$/d' | sort)
        if [ "$got" != "$want" ]; then
                not_ok "$1" "line: $2" "wanted: $(echo $want)" "got:    $(echo $got)"
        elif [ -s "$work/stderr" ]; then
                not_ok "$1" "line: $2" "printed on stderr: $(cat "$work/stderr")"
        else
                ok "$1"
        fi
}

# offers NAME LINE WORD / lacks NAME LINE WORD
offers() {
        local got
        got=$(complete_line "$2" 2>&1)
        if grep -qx -- "$3" <<<"$got"; then ok "$1"; else not_ok "$1" "line: $2" "got: $(echo $got)"; fi
}
lacks() {
        local got
        got=$(complete_line "$2" 2>&1)
        if grep -qx -- "$3" <<<"$got"; then not_ok "$1" "line: $2" "got: $(echo $got)"; else ok "$1"; fi
}

# vm_names CONFIG...: the [VM NAME] sections of the files, as a person reads them.
vm_names() { sed -n 's/^\[VM \([a-z0-9-]*\)\]$/\1/p' "$@" | sort -u; }

if [ "$(complete -p nestvirt 2>&1)" = "complete -F _nestvirt nestvirt" ]; then
        ok "completion/nestvirt registers _nestvirt for nestvirt"
else
        not_ok "completion/nestvirt registers _nestvirt for nestvirt" "$(complete -p nestvirt 2>&1)"
fi

# ---- commands and vm subcommands, against --help ----

help=$("$nestvirt" --help)
commands=$(sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p' <<<"$help")
subcommands=$("$nestvirt" vm --help | sed -n 's/^nestvirt vm \([a-z-]*\) .*/\1/p')
[ -n "$commands" ] && [ -n "$subcommands" ] || { echo "Bail out! cannot read the commands from $nestvirt --help"; exit 1; }

expect "nestvirt <TAB>: the commands of --help" "$nestvirt " "$commands"
expect "nestvirt c<TAB>: the commands starting with c" "$nestvirt c" "$(grep '^c' <<<"$commands")"
expect "nestvirt --json <TAB>: commands after an option" "$nestvirt --json " "$commands"
expect "nestvirt vm <TAB>: the subcommands of vm --help" "$nestvirt vm " "$subcommands"
expect "nestvirt vm w<TAB>" "$nestvirt vm w" "$(grep '^w' <<<"$subcommands")"
expect "nestvirt plan <TAB>: plan takes no arguments" "$nestvirt plan " ""
expect "nestvirt bogus <TAB>: nothing for an unknown command" "$nestvirt bogus " ""

# ---- options per command ----

for c in $commands; do
        if "$nestvirt" "$c" --help | head -1 | grep -qF '[--json]'; then
                offers "nestvirt $c --<TAB> offers --json (its --help has it)" "$nestvirt $c --" --json
        else
                lacks "nestvirt $c --<TAB> does not offer --json (its --help lacks it)" "$nestvirt $c --" --json
        fi
        offers "nestvirt $c --<TAB> offers --root" "$nestvirt $c --" --root
        offers "nestvirt $c --<TAB> offers --help" "$nestvirt $c --" --help
done
offers "nestvirt plan --j<TAB>" "$nestvirt plan --j" --json
expect "nestvirt cmdline --j<TAB>: nothing" "$nestvirt cmdline --j" ""
lacks "nestvirt plan --json --<TAB>: --json only once" "$nestvirt plan --json --" --json
offers "nestvirt bind-vfio --<TAB> offers --force" "$nestvirt bind-vfio --" --force
lacks "nestvirt plan --<TAB> does not offer --force" "$nestvirt plan --" --force
offers "nestvirt vm wait-running --<TAB> offers --timeout" "$nestvirt vm wait-running --" --timeout
offers "nestvirt vm stop --<TAB> offers --timeout" "$nestvirt vm stop --" --timeout
lacks "nestvirt vm argv --<TAB> does not offer --timeout" "$nestvirt vm argv --" --timeout
offers "nestvirt vm list --<TAB> offers --json" "$nestvirt vm list --" --json
offers "nestvirt vm info --<TAB> offers --json" "$nestvirt vm info --" --json
offers "nestvirt vm reboot --<TAB> offers --timeout" "$nestvirt vm reboot --" --timeout
lacks "nestvirt vm console --<TAB> does not offer --json" "$nestvirt vm console --" --json
lacks "nestvirt vm reboot --<TAB> does not offer --json" "$nestvirt vm reboot --" --json
lacks "nestvirt check --<TAB> does not offer --timeout" "$nestvirt check --" --timeout
lacks "nestvirt devices --<TAB> does not offer --config (devices reads no config)" "$nestvirt devices --" --config
offers "nestvirt --<TAB> offers --version" "$nestvirt --" --version
expect "nestvirt --timeout <TAB>: nothing (seconds)" "$nestvirt vm stop --timeout " ""

# --root completes directories only, --config files too.
mkdir -p "$work/cwd/adir"
: > "$work/cwd/afile"
cd "$work/cwd" || exit 1
expect "nestvirt --root <TAB>: directories only" "$nestvirt --root " "adir"
expect "nestvirt plan --root=<TAB>: directories only" "$nestvirt plan --root=" "adir"
expect "nestvirt --config <TAB>: files and directories" "$nestvirt --config " "$(printf 'adir\nafile\n')"
expect "nestvirt check --config=a<TAB>" "$nestvirt check --config=a" "$(printf 'adir\nafile\n')"
cd "$src" || exit 1

# ---- VM names, from nestvirt plan --json under --root / with --config ----

case=$src/tests/golden/cases/eight-gpus
root="$work/image root"
mkdir -p "$root"
cp -a "$src/tests/fixtures/$(cat "$case/fixture")/." "$root/"
cp -a "$case/root/." "$root/"
chmod -R go-w "$root/etc"
names=$(vm_names "$root/etc/nestvirt.conf")
[ -n "$names" ] || { echo "Bail out! no [VM NAME] in $case/root/etc/nestvirt.conf"; exit 1; }

for sub in $subcommands; do
        [ "$sub" = list ] && continue
        expect "nestvirt --root IMAGE vm $sub <TAB>: the VMs of the image's config" \
                "$nestvirt --root \"$root\" vm $sub " "$names"
done
expect "nestvirt --root IMAGE vm list <TAB>: nothing (list takes no name)" "$nestvirt --root \"$root\" vm list " ""
first=$(head -1 <<<"$names")
expect "nestvirt vm argv --root=IMAGE ${first:0:2}<TAB>: option after the command, = form" \
        "$nestvirt vm argv --root='$root' ${first:0:2}" "$(grep "^${first:0:2}" <<<"$names")"
expect "nestvirt vm argv --root IMAGE $first <TAB>: only one name" \
        "$nestvirt vm argv --root \"$root\" $first " ""
expect "nestvirt vm stop NAME <TAB>: no more names after the VM" "$nestvirt --root \"$root\" vm stop $first " ""
# The default: 'nestvirt' from PATH.
PATH=$build/src/nestvirt:$PATH expect "nestvirt (from PATH) --root IMAGE vm argv <TAB>" \
        "nestvirt --root \"$root\" vm argv " "$names"

# A drop-in adds a VM; a drop-in linked to /dev/null masks one: the parser's rules, not ours.
mkdir -p "$root/etc/nestvirt.conf.d" "$root/usr/lib/nestvirt.conf.d"
printf '[VM extra0]\nMemory=1G\nKernel=/vmlinux\n' > "$root/etc/nestvirt.conf.d/50-extra.conf"
printf '[VM masked0]\nMemory=1G\nKernel=/vmlinux\n' > "$root/usr/lib/nestvirt.conf.d/60-masked.conf"
ln -s /dev/null "$root/etc/nestvirt.conf.d/60-masked.conf"
expect "nestvirt --root IMAGE vm argv <TAB>: drop-ins count, masked ones do not" \
        "$nestvirt --root \"$root\" vm argv " "$(vm_names "$root/etc/nestvirt.conf" "$root/etc/nestvirt.conf.d/50-extra.conf")"

# --config FILE replaces the image's files, also together with --root; a VM with errors
# (no Memory=) is still offered: 'vm argv' then says what is wrong with it.
cfg=$work/other.conf
printf '[VM alpha]\nMemory=1G\nKernel=/vmlinux\n\n[VM beta-2]\nKernel=/vmlinux\n' > "$cfg"
chmod 0644 "$cfg"
expect "nestvirt --config FILE vm prepare <TAB>: the VMs of FILE" \
        "$nestvirt --config $cfg --root \"$root\" vm prepare " "$(vm_names "$cfg")"
expect "nestvirt vm preflight --config=FILE <TAB>" \
        "$nestvirt vm preflight --root \"$root\" --config=$cfg " "$(vm_names "$cfg")"
expect "no VM names and no noise when the root does not exist" \
        "$nestvirt --root /nonexistent-$$ vm argv " ""

echo "1..$n"
[ "$failed" = 0 ]
