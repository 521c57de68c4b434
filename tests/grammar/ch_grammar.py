#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cloud Hypervisor command-line grammar checker for nestvirt's generated VM units.

It reads ExecStart= of a unit (or of a fragment without section headers) the way
systemd does (systemd_exec.py), then checks the resulting argv against Cloud
Hypervisor's command-line grammar: options and their arity (ch_options.py), each
option's sub-options and their value types (ch_values.py), and the checks across
options Cloud Hypervisor makes before it boots (ch_config.py; NUMA, PCI segments and
the physical address space in ch_topology.py, apertures modelled in ch_mmio.py), plus a few
"nestvirt rules" that are stricter than Cloud Hypervisor where it would silently do
something nestvirt never means. The grammar is that of the Cloud Hypervisor revision in
ch_options.CH_REVISION. Only ExecStart= is checked: other Exec lines run nestvirt.

usage:
  ch_grammar.py check UNIT...        report every problem as FILE:LINE: ...; exit 1 if any
  ch_grammar.py argv [--loaded] UNIT print the argv ExecStart= runs, one argument a line
                                     (--loaded: before $ expansion, as systemd loads it)
  ch_grammar.py decode-dump          read `SYSTEMD_LOG_LEVEL=debug systemd-analyze verify UNIT`
                                     output on stdin, print its first ExecStart argv likewise
  ch_grammar.py revision             the Cloud Hypervisor revision the grammar is from
Exit status: 0 fine, 1 problems found, 2 usage or unreadable input, 3 nothing to print.

Test data: good/*.service must pass, broken/*.service must fail with the message whose
fragment their first line gives ("# expect: ..."); test_grammar.py (run by
test-grammar.sh) checks them and every golden nestvirt-vm@*.service.
"""

import os
import re
import sys

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ch_config  # noqa: E402
import ch_options  # noqa: E402
import systemd_exec  # noqa: E402


def read_text(path):
    with open(path, 'rb') as f:
        return f.read().decode('utf-8', errors='surrogateescape')


def show(s):
    return s.encode('utf-8', errors='surrogateescape').decode('utf-8', errors='backslashreplace')


# nestvirt's VM units take each disk's image type from the file 'nestvirt vm prepare' writes at
# the VM's start (EnvironmentFile=-/run/nestvirt/vm/NAME/disk-types.env): NESTVIRT_DISK<n>_TYPE,
# always one of these (prepare refuses any other image).
DISK_TYPES_FILE = '/disk-types.env'
DISK_TYPE_VALUES = ('raw', 'qcow2')
DISK_TYPE_VARIABLE = re.compile(r'NESTVIRT_DISK(\d+)_TYPE')


def reads_disk_types(text):
    assignments, _ = systemd_exec.read_unit(text)
    return any(a.section == 'Service' and a.key == 'EnvironmentFile' and a.value.endswith(DISK_TYPES_FILE)
               for a in assignments)


def disk_type_references(command):
    """({variable}, problems): each reference to NESTVIRT_DISK<n>_TYPE must be the whole
    image_type= value, at the end, of the n-th value of --disk."""
    variables, problems, disk, option = set(), [], 0, None
    for word in command.argv_loaded[1:]:
        if word.startswith('--'):
            option = word.split('=', 1)[0]
            continue
        refs = [r for r in systemd_exec.references(word) if DISK_TYPE_VARIABLE.fullmatch(r[2])]
        if option == '--disk':
            disk += 1
        for start, end, name in refs:
            n = int(DISK_TYPE_VARIABLE.fullmatch(name).group(1))
            if option != '--disk' or end != len(word) or not word[:start].endswith(',image_type=') \
                    or n != disk - 1:
                problems.append(f'${{{name}}} in {word!r} is not the image_type= of disk {n} '
                                f'(nestvirt rule: only there does it hold a disk type)')
            variables.add(name)
    return variables, problems


def unit_problems(text):
    """[(line, message)] of the ExecStart= of a unit."""
    commands, problems = systemd_exec.exec_start_commands(text)
    extra = []
    if reads_disk_types(text):
        variables = set()
        for command in commands:
            found, wrong = disk_type_references(command)
            variables |= found
            extra += [(command.line, f'ExecStart: {p}') for p in wrong]
        if variables:
            # Checked with each value the file may hold; the problems of either count.
            problems, seen, runs = [], set(), []
            for value in DISK_TYPE_VALUES:
                cmds, found = systemd_exec.exec_start_commands(text, environment=dict.fromkeys(variables, value))
                runs.append(cmds)
                problems += [p for p in found if p not in seen and not seen.add(p)]
            commands = runs[0]
            extra += [(c.line, f'cloud-hypervisor (with {DISK_TYPE_VALUES[1]} disks) {p}')
                      for c in runs[1] for p in ch_config.check_arguments(c.argv[1:])]
    problems = [(line, f'ExecStart: {p}') for line, p in problems] + extra
    if not commands:
        return problems + [(0, 'ExecStart: no command line in [Service]')]
    if len(commands) > 1 and systemd_exec.service_type(text) != 'oneshot':
        problems.append((commands[1].line, f'ExecStart: {len(commands)} command lines, but only '
                                           f'Type=oneshot may have more than one'))
    for command in commands:
        if not command.path.startswith('/'):
            problems.append((command.line, f'ExecStart: {command.path!r} is not an absolute path '
                                           f'(nestvirt rule)'))
        problems += [(command.line, f'cloud-hypervisor {p}')
                     for p in ch_config.check_arguments(command.argv[1:])]
    return problems


def cmd_check(paths):
    bad = 0
    for path in paths:
        try:
            text = read_text(path)
        except OSError as e:
            print(f'{path}: {e.strerror}', file=sys.stderr)
            return 2
        for line, message in unit_problems(text):
            print(f'{path}:{line}: {show(message)}')
            bad += 1
    return 1 if bad else 0


def print_argv(argv):
    out = sys.stdout.buffer
    for arg in argv:
        out.write(arg.encode('utf-8', errors='surrogateescape') + b'\n')
    out.flush()


def cmd_argv(args):
    loaded = args[:1] == ['--loaded']
    if loaded:
        args = args[1:]
    if len(args) != 1:
        return usage()
    try:
        commands, _ = systemd_exec.exec_start_commands(read_text(args[0]))
    except OSError as e:
        print(f'{args[0]}: {e.strerror}', file=sys.stderr)
        return 2
    if len(commands) != 1:
        print(f'{args[0]}: {len(commands)} ExecStart command lines, wanted one', file=sys.stderr)
        return 3
    print_argv(commands[0].argv_loaded if loaded else commands[0].argv)
    return 0


def cmd_decode_dump():
    text = sys.stdin.buffer.read().decode('utf-8', errors='surrogateescape')
    found = [argvs for argvs in systemd_exec.decode_dump(text).values() if argvs]
    if not found:
        return 3
    print_argv(found[0][0])
    return 0


def usage():
    print(__doc__.split('usage:')[1].split('Exit status')[0].rstrip(), file=sys.stderr)
    return 2


def main(args):
    if args[:1] == ['check'] and len(args) > 1:
        return cmd_check(args[1:])
    if args[:1] == ['argv']:
        return cmd_argv(args[1:])
    if args == ['decode-dump']:
        return cmd_decode_dump()
    if args == ['revision']:
        print(ch_options.CH_REVISION)
        return 0
    return usage()


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
