#!/bin/bash
# The man pages against the code. Every config key, command, vm subcommand, option,
# kernel command line switch, environment variable, MESSAGE_ID, file, unit and exit code
# the code knows (read from the sources and from the built nestvirt's --help) must have
# its entry in the rendered pages, and every key and command the pages describe must
# exist. Also: the scdoc sources parse, meson built the pages, groff has no warnings.
# TAP output: one line per assertion.
#
# usage: test-man.sh BUILD_DIR
set -uo pipefail

build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
nestvirt=$build/src/nestvirt/nestvirt
pages=(nestvirt.8 nestvirt-generator.8 nestvirt.conf.5)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
check_not() { local name=$1; shift; if "$@"; then not_ok "$name"; else ok "$name"; fi; }

for tool in scdoc man col; do
        if ! command -v "$tool" >/dev/null; then
                echo "Bail out! $tool is not installed (scdoc; man-db and groff-base for man; bsdextrautils for col)"
                exit 1
        fi
done

# ---- sources, build, groff ----

for p in "${pages[@]}"; do
        s=$src/man/$p.scd
        if err=$(scdoc < "$s" 2>&1 >/dev/null) && [ -z "$err" ]; then
                ok "scdoc < man/$p.scd: no errors"
        else
                not_ok "scdoc < man/$p.scd: no errors" "$err"
        fi

        b=$build/man/$p
        name=${p%.*} section=${p##*.}
        if [ -s "$b" ] && grep -q "^\.TH \"$name\" \"$section\"" "$b"; then
                ok "meson built $p (.TH $name $section)"
        else
                not_ok "meson built $p (.TH $name $section)" "missing or wrong: $b"
        fi
        check "$p is not older than its source" test ! "$s" -nt "$b"
        if left=$(grep -o '@[A-Z_]*@' "$b"); then
                not_ok "$p: every @VARIABLE@ filled in" "$left"
        else
                ok "$p: every @VARIABLE@ filled in"
        fi

        warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$b" 2>&1 >/dev/null)
        if [ -z "$warnings" ]; then
                ok "man --warnings -l $p: no groff warnings"
        else
                not_ok "man --warnings -l $p: no groff warnings" "$warnings"
        fi

        # Wide enough that no paragraph wraps or hyphenates: one line per paragraph.
        LC_ALL=C.UTF-8 MANWIDTH=5000 man -E ascii -l "$b" 2>/dev/null | col -bx > "$work/$p.txt"
done

# ---- what the rendered pages say ----

# section PAGE TITLE: the lines of that section (titles start in column 0).
section() {
        awk -v t="$2" '/^[^ ]/ { on = ($0 == t); next } on' "$work/$1.txt"
}
# headings PAGE TITLE: the entries of a definition list in that section: a line at the
# section's indentation (7) followed by its indented body.
headings() {
        section "$1" "$2" | awk '
                /^       [^ ]/ { h = substr($0, 8); next }
                /^        / { if (h != "") print h; h = ""; next }'
}
# has_heading PAGE TITLE ERE: some heading matches ERE.
has_heading() {
        headings "$1" "$2" | grep -Eq -- "$3"
}

# The keys of each section. unit-config-keys (tests/unit/test-config-keys.c) holds the page's
# source to the parser's table of keys, which it reads itself; here the rendered page must have
# exactly the entries of its source, in order.
source_keys() {
        awk -v t="# $1" '/^# / { on = ($0 == t); next } on && /^\*[A-Za-z]+=\*$/' \
                "$src/man/nestvirt.conf.5.scd" | tr -d '*'
}
for title in "[Host] SECTION" "[VM NAME] SECTION"; do
        keys=$(source_keys "$title")
        check "nestvirt.conf.5.scd $title: keys found" test -n "$keys"
        if rendered=$(headings nestvirt.conf.5 "$title") && [ "$rendered" = "$keys" ]; then
                ok "nestvirt.conf(5) $title: the entries of its source, $(wc -l <<<"$keys") keys"
        else
                not_ok "nestvirt.conf(5) $title: the entries of its source" \
                        "$(diff <(echo "$keys") <(echo "$rendered"))"
        fi
done
check "nestvirt.conf(5) has the default Hypervisor= path" grep -qF \
        "$(sed -n 's/^#define DEFAULT_HYPERVISOR "\(.*\)"/\1/p' "$src/src/core/config.h")" "$work/nestvirt.conf.5.txt"

# Commands: from the binary's --help and from main.c's table.
help=$("$nestvirt" --help)
verbs=$( { sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p' <<<"$help"
           grep -oE '\{ "[a-z-]+", verb_' "$src/src/nestvirt/main.c" | cut -d'"' -f2; } | sort -u)
check "commands found in nestvirt --help and main.c" test -n "$verbs"
vm_help=$("$nestvirt" vm --help)
subs=$( { sed -n 's/^nestvirt vm \([a-z-]*\) .*/\1/p' <<<"$vm_help"
          grep -oE 'streq\(sub, "[a-z-]+"\)' "$src/src/nestvirt/verb-vm.c" | cut -d'"' -f2; } | sort -u)
check "vm subcommands found in nestvirt vm --help and verb-vm.c" test -n "$subs"
for v in $verbs; do
        if [ "$v" = vm ]; then
                for s in $subs; do
                        check "nestvirt(8) COMMANDS: vm $s" has_heading nestvirt.8 COMMANDS "^vm $s( |\$)"
                done
                continue
        fi
        check "nestvirt(8) COMMANDS: $v" has_heading nestvirt.8 COMMANDS "^$v( |\$)"
        # --json exactly where the command accepts it.
        if "$nestvirt" "$v" --help | head -1 | grep -qF '[--json]'; then
                check "nestvirt(8): $v takes --json" has_heading nestvirt.8 COMMANDS "^$v .*--json"
        else
                check_not "nestvirt(8): $v does not take --json" has_heading nestvirt.8 COMMANDS "^$v .*--json"
        fi
done
while IFS= read -r h; do
        w=${h%% *}
        rest=${h#"$w"}
        rest=${rest# }
        if [ "$w" = vm ]; then
                check "nestvirt(8) COMMANDS: documented 'vm ${rest%% *}' exists" grep -qx "${rest%% *}" <<<"$subs"
        else
                check "nestvirt(8) COMMANDS: documented '$w' exists" grep -qx "$w" <<<"$verbs"
        fi
done < <(headings nestvirt.8 COMMANDS)

# Options: from main.c's getopt table (with whether they take an argument) and --help.
options=$(grep -oE '\{ "[a-z-]+", (no|required)_argument' "$src/src/nestvirt/main.c" | sed 's/{ "\([a-z-]*\)", \([a-z]*\)_argument/\1 \2/')
check "options found in main.c" test -n "$options"
while read -r o arg; do
        if [ "$arg" = required ]; then
                check "nestvirt(8) OPTIONS: --$o ARG" has_heading nestvirt.8 OPTIONS "(^|, )--$o [A-Z]+( |,|\$)"
        else
                check "nestvirt(8) OPTIONS: --$o" has_heading nestvirt.8 OPTIONS "(^|, )--$o(,|\$)"
        fi
done <<<"$options"
for o in $(sed -n '/^Options:/,/^$/p' <<<"$help" | grep -oE '^  (-[a-z], |-[a-z] )?--?[a-z-]+' | grep -oE -- '--?[a-z-]+'); do
        check "nestvirt(8) OPTIONS: $o (from --help)" has_heading nestvirt.8 OPTIONS "(^|, )$o( |,|\$)"
done
while IFS= read -r h; do
        for o in $(grep -oE -- '(^|, )--[a-z-]+' <<<"$h" | grep -oE -- '--[a-z-]+'); do
                check "nestvirt(8) OPTIONS: documented $o exists" grep -q "^${o#--} " <<<"$options"
        done
done < <(headings nestvirt.8 OPTIONS)

# Exit codes: 0 and the ones options.h defines.
codes=$(sed -n 's/^#define EXIT_[A-Z]* \([0-9]*\)$/\1/p' "$src/src/nestvirt/options.h")
check "exit codes found in options.h" test -n "$codes"
for code in 0 $codes; do
        check "nestvirt(8) EXIT STATUS: $code" has_heading nestvirt.8 "EXIT STATUS" "^$code\$"
done

# Kernel command line switches the parser knows, with their rd. form for nestvirt=.
switches=$(grep -oE 'streq\(key, "[a-z.]+"\)' "$src/src/core/proc-cmdline.c" | cut -d'"' -f2)
check "kernel command line switches found in proc-cmdline.c" test -n "$switches"
for s in $switches rd.nestvirt; do
        check "nestvirt-generator(8) KERNEL COMMAND LINE: $s=" \
                has_heading nestvirt-generator.8 "KERNEL COMMAND LINE" "^$s=\$"
        check "nestvirt(8) KERNEL COMMAND LINE mentions $s=0" \
                grep -qF "$s=0" <(section nestvirt.8 "KERNEL COMMAND LINE")
done

# Environment variables: every getenv() of the generator (and the command line parsing it
# links) in nestvirt-generator(8), every getenv() of the CLI and the shared code in nestvirt(8).
getenvs() { grep -ohE 'getenv\("[A-Z_]+"\)' "$@" | cut -d'"' -f2 | sort -u; }
for e in $(getenvs "$src"/generator/*.c "$src/src/core/proc-cmdline.c"); do
        check "nestvirt-generator(8) ENVIRONMENT: $e" has_heading nestvirt-generator.8 ENVIRONMENT "^$e\$"
done
for e in $(getenvs "$src"/src/*/*.c); do
        check "nestvirt(8) ENVIRONMENT: $e" has_heading nestvirt.8 ENVIRONMENT "^$e\$"
done

# Journal MESSAGE_IDs.
ids=$(sed -n 's/^#define MESSAGE_ID_[A-Z_]* "\([0-9a-f]*\)"$/\1/p' "$src/src/host/messages.h")
check "MESSAGE_IDs found in messages.h" test -n "$ids"
for id in $ids; do
        check "nestvirt(8) JOURNAL MESSAGES: $id" has_heading nestvirt.8 "JOURNAL MESSAGES" "^$id\$"
done

# Files: the paths the code defines, and the drop-in directories.
paths=$( { sed -n 's/^#define [A-Z_]* "\(\/[^"]*\)"$/\1/p' "$src/src/host/runtime-paths.h" \
                "$src/src/core/conf-files.h" "$src/src/render/vm-command.h"
           grep -oE '"/[a-z/]+\.conf\.d"' "$src/src/core/conf-files.c" | tr -d '"'; } | sort -u)
check "paths found in runtime-paths.h, conf-files.[ch], vm-command.h" test -n "$paths"
for p in $paths; do
        check "nestvirt(8) FILES: $p" grep -qF "$p" <(section nestvirt.8 FILES)
done
for p in $( { sed -n 's/^#define CONFIG_MAIN_FILE "\(.*\)"$/\1/p' "$src/src/core/conf-files.h"
              grep -oE '"/[a-z/]+\.conf\.d"' "$src/src/core/conf-files.c" | tr -d '"'; }); do
        check "nestvirt.conf(5) FILES AND PRECEDENCE: $p" grep -qF "$p" <(section nestvirt.conf.5 "FILES AND PRECEDENCE")
        check "nestvirt.conf(5) SYNOPSIS: $p" grep -qF "$p" <(section nestvirt.conf.5 SYNOPSIS)
done

# Units: the static ones shipped, and the per-VM one the generator writes.
for u in $(cd "$src/units" && ls -- *.in | sed 's/\.in$//') nestvirt-vm@NAME.service; do
        check "nestvirt(8) UNITS: $u" has_heading nestvirt.8 UNITS "^$u\$"
        check "nestvirt-generator(8) mentions $u" grep -qF "$u" "$work/nestvirt-generator.8.txt"
done

# Every man page a unit points to (Documentation=) is built here.
for ref in $(grep -ohE 'man:[a-z.-]+\([0-9]\)' "$src"/units/*.in "$src/src/render/vm-unit.c" | sort -u); do
        page=$(sed 's/^man:\(.*\)(\([0-9]\))$/\1.\2/' <<<"$ref")
        check "Documentation=$ref is one of the pages built" test -s "$build/man/$page"
done

echo "1..$n"
[ "$failed" = 0 ]
