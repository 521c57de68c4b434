# shellcheck shell=bash
# 12. Fault: configuration files nestvirt cannot use, all in one boot: scenario 1's image
#     with one more archive appended (the kernel unpacks it over the image, owners and modes
#     as given) that replaces /etc/nestvirt.conf and adds drop-ins:
#     - unreadable: /etc/nestvirt.conf owned by uid 1000 (scenario 1's text: read, it would
#       claim two devices and a page), 40-shared.conf writable by its group (Hugepages=0:1),
#       and a directory where 50-dir.conf should be: root runs what these say at boot, so
#       nestvirt reads none of them;
#     - empty: 10-empty.conf of 0 bytes (a truncated write);
#     - garbage: 20-gzip.conf, scenario 1's text gzip'd by mistake (binary from byte 1), and
#       60-garbage.conf, two text lines then 4 KiB of random bytes (fixed seed).
#     Each is one line that names its file (and line where it has one) and says what to do;
#     the boot completes; nothing is claimed, no page reserved, no nestvirt unit runs.
#     (A real dracut build would not pack these as they are: the nestvirt module skips a
#     non-file and packs every file root-owned and go-w.)

# shellcheck source=01-virtio-claim.sh
. "$LAB_HERE/scenarios/01-virtio-claim.sh"

scenario() {
    local d e=/etc/nestvirt.conf.d gen='nestvirt-generator\[[0-9]+\]: ' line byte what a lines
    lab_kernel "$("$LAB_HERE/topology.sh" --kernel virtio-2node-4dev)"
    lab_topology virtio-2node-4dev
    lab_image_dracut "$LAB_CONFIG_1"

    d=$LAB_TMP/12-files
    mkdir -p "$d$e/50-dir.conf"
    printf '%s\n' "$LAB_CONFIG_1" > "$d/etc/nestvirt.conf"
    chown 1000:1000 "$d/etc/nestvirt.conf"
    chmod 0664 "$d/etc/nestvirt.conf"
    printf '[Host]\nHugepages=0:1\n' > "$d$e/40-shared.conf"
    chown 0:1000 "$d$e/40-shared.conf"
    chmod 0664 "$d$e/40-shared.conf"
    : > "$d$e/10-empty.conf"
    printf '%s\n' "$LAB_CONFIG_1" | gzip -n -9 > "$d$e/20-gzip.conf"
    python3 - "$d$e/60-garbage.conf" <<'PY'
import random, sys
open(sys.argv[1], "wb").write(b"[Host]\nHugepagesExtra=1\n" + random.Random(12).randbytes(4096))
PY
    chmod 0644 "$d$e/10-empty.conf" "$d$e/20-gzip.conf" "$d$e/60-garbage.conf"
    # Where 60-garbage.conf's first byte no text file has is, and what it is.
    read -r line byte < <(python3 - "$d$e/60-garbage.conf" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
i = next(i for i, c in enumerate(data) if (c < 0x20 and c not in b"\t\n\v\f\r") or c == 0x7f)
print(data[:i].count(b"\n") + 1, "%02x" % data[i])
PY
)
    if [ "$byte" = 00 ]; then what='contains NUL bytes'; else what="contains binary data \\(byte 0x$byte\\)"; fi

    lab_cpio "$d" "$LAB_TMP/12.cpio.gz"
    LAB_EXTRA_CPIO=("$LAB_TMP/12.cpio.gz")
    lab_boot boot1 "$IMAGE" ""
    LAB_EXTRA_CPIO=()

    # Nothing of it was used.
    expect_report
    for a in 0000:21:00.0 0000:22:00.0 0000:41:00.0 0000:42:00.0; do
        expect_driver $a e1000e
    done
    expect_pages 0 0
    expect_pages 1 0
    expect_probe none
    expect_no_grep report 'override=vfio-pci' "no driver_override set"
    expect_no_grep report '^unit nestvirt-(vfio|hugepages).service .*ActiveState=(active|failed)' "no nestvirt unit ran"
    expect_no_grep report 'dumped core|segfault|SIGSEGV|SIGABRT' "nothing crashed"

    # One line per file.
    expect_grep report "${gen}/etc/nestvirt.conf: refusing to read: owned by uid 1000, not root; run chown root:root /etc/nestvirt.conf$" \
        "unreadable: the file not owned by root, named, with the fix"
    expect_grep report "${gen}$e/40-shared.conf: refusing to read: writable by its group \\(mode 0664\\); run chmod go-w $e/40-shared.conf$" \
        "unreadable: the group-writable drop-in, named, with the fix"
    expect_grep report "${gen}$e/50-dir.conf: refusing to read: it is a directory, not a regular file; replace it with one" \
        "unreadable: the directory where a drop-in should be, named"
    expect_grep report "${gen}$e/10-empty.conf: empty, it configures nothing; write \\[Host\\] or \\[VM NAME\\] sections into it" \
        "empty: the empty drop-in, named"
    expect_grep report "${gen}$e/20-gzip.conf:1: contains binary data \\(byte 0x1f\\), it is not a text file; replace it with a valid config$" \
        "garbage: the gzip'd drop-in, named, line 1, with the fix"
    expect_grep report "${gen}$e/60-garbage.conf:$line: $what, it is not a text file" \
        "garbage: the drop-in with random bytes, named, line $line (where they start)"
    # Distinct lines (systemd may run the generator more than once): six, none echoing garbage.
    lines=$(grep -oE "${gen}/etc/nestvirt.conf.*" "$R/report.clean" | sed 's/^[^]]*\]: //' | sort -u | wc -l)
    [ "$lines" = 6 ]
    _lab_check $? "one line per file, nothing else" "got $lines distinct lines"

    # status: the five errors, each with its file (and line); the empty file is a warning only.
    expect_status_rc 1
    expect_json "lists the five errors by file, and nothing else" \
        "len(s['problems']) == 5 and all(any(p.startswith(f) for p in s['problems']) for f in ('/etc/nestvirt.conf: ', '$e/40-shared.conf: ', '$e/50-dir.conf: ', '$e/20-gzip.conf:1: ', '$e/60-garbage.conf:$line: '))"
}
