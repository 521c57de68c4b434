#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Cloud Hypervisor grammar checker (ch_grammar.py) over every VM unit the generator's
golden cases expect, and over lines it must accept (good/) and reject (broken/).
TAP output, one line per assertion:

  grammar     every expected/nestvirt-vm@*.service of every case passes the checker
  round trip  ExecStart= as systemd splits it (the checker's reading) is byte for byte
              what `nestvirt vm argv NAME --root ROOT` prints for the case's input root:
              the unit escaping loses nothing. The escaping case and a case with --device
              must be among them.
  systemd     the checker splits ExecStart= as systemd itself does: `systemd-analyze
              verify` dumps each loaded command line at debug level (golden units, good/)
  mutation    each golden unit spoiled the way an escaping or grammar bug would spoil it
              is rejected
  broken      broken/*.service is rejected (exit 1) with the message its "# expect:" names
  good        good/*.service passes (exit 0)

usage: test_grammar.py BUILD_DIR GOLDEN_CASES_DIR
"""

import contextlib
import glob
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, HERE)

import ch_grammar  # noqa: E402
import ch_values  # noqa: E402
import systemd_exec  # noqa: E402

SRC = os.path.dirname(os.path.dirname(HERE))
# Ways a bug in escaping or in the command builder would spoil a unit: (what, regular
# expression, replacement) on the ExecStart= line; applied where the expression matches.
# ('$$ written as $' is no such way inside a word: systemd leaves "a $b" alone; the
# expanding forms are in broken/.)
MUTATIONS = [
    ('%% written as %', r'%%', '%'),
    ('systemd quotes dropped', r'(?<!\\)"', ''),
    ('Cloud Hypervisor quotes dropped', r'\\"', ''),
    ('zone size in GB', r'(id=mem\d+,size=\d+)G,', r'\1GB,'),
    ('hugepage_size dropped', r',hugepage_size=1G', ''),
    ('device id repeated', r',id=(dev|gpu)1\b', r',id=\g<1>0'),
    ('affinity without outer brackets', r'affinity=\[(\d+@\[[-0-9,]+\](,\d+@\[[-0-9,]+\])+)\]', r'affinity=\1'),
]


class Tap:
    def __init__(self):
        self.n = 0

    def ok(self, what, good=True, details=''):
        self.n += 1
        print(f"{'ok' if good else 'not ok'} {self.n} - {what}")
        for line in details.rstrip('\n').split('\n') if details else []:
            print(f'# {line}')

    def skip(self, what, why):
        self.n += 1
        print(f'ok {self.n} - {what} # SKIP {why}')


def check(path):
    """Runs `ch_grammar.py check PATH` in this process; returns (exit status, output)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        rc = ch_grammar.main(['check', path])
    return rc, out.getvalue()


def read(path):
    return ch_grammar.read_text(path)


def argv_bytes(argv):
    return b''.join(a.encode('utf-8', errors='surrogateescape') + b'\n' for a in argv)


def unit_argv(path, loaded=False, environment=None):
    commands, _ = systemd_exec.exec_start_commands(read(path), environment=environment)
    if len(commands) != 1:
        return None
    return commands[0].argv_loaded if loaded else commands[0].argv


def image_type(path):
    """What 'nestvirt vm prepare' writes for the image at PATH, from its magic; None when it
    cannot be read (then the start fails, and nestvirt vm argv keeps the reference)."""
    try:
        with open(path, 'rb') as f:
            head = f.read(8)
    except OSError:
        return None
    if head[:4] == b'QFI\xfb' and int.from_bytes(head[4:8], 'big') in (2, 3):
        return 'qcow2'
    return 'raw'


def disk_types(unit, root):
    """The environment ExecStart= runs with: each NESTVIRT_DISK<n>_TYPE read from the case
    root's image, or, for an image that is not there, the reference itself."""
    environment = {}
    commands, _ = systemd_exec.exec_start_commands(read(unit))
    for command in commands[:1]:
        for word in command.argv_loaded:
            for _, _, name in systemd_exec.references(word):
                items, _ = ch_values.parse_options(word, {'path', 'readonly', 'image_type'})
                path = ch_values.to_path(dict(items)['path'])
                environment[name] = image_type(os.path.join(root, path.lstrip('/'))) or '${' + name + '}'
    return environment


def systemd_reading(path):
    """What systemd makes of ExecStart=, with what it would warn about or expand."""
    commands, problems = systemd_exec.exec_start_commands(read(path))
    return [c.argv for c in commands], [p for _, p in problems]


def case_root(case_dir, root):
    """The input root of a golden case, as tests/golden/run-case.sh builds it."""
    with open(os.path.join(case_dir, 'fixture')) as f:
        fixture = f.read().strip()
    os.makedirs(root)
    subprocess.run(['cp', '-a', os.path.join(SRC, 'tests', 'fixtures', fixture) + '/.', root], check=True)
    if os.path.isdir(os.path.join(case_dir, 'root')):
        subprocess.run(['cp', '-a', os.path.join(case_dir, 'root') + '/.', root], check=True)
    for top in ('etc', 'run', 'usr'):
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                if f.endswith('.conf') and not os.path.islink(os.path.join(d, f)):
                    os.chmod(os.path.join(d, f), 0o644)
    mode_file = os.path.join(case_dir, 'mode')
    if os.path.exists(mode_file):
        with open(mode_file) as f:
            for line in f:
                if line.strip():
                    mode, path = line.split(None, 1)
                    os.chmod(os.path.join(root, path.strip()), int(mode, 8))


def test_grammar(tap, units, cases):
    for unit in units:
        rc, out = check(unit)
        tap.ok(f'grammar: {os.path.relpath(unit, cases)}' + ('' if rc == 0 else f' (exit {rc})'),
               rc == 0, out)


def test_round_trip(tap, units, nestvirt, work):
    covered = set()
    for unit in units:
        case_dir = os.path.dirname(os.path.dirname(unit))
        case = os.path.basename(case_dir)
        name = os.path.basename(unit)[len('nestvirt-vm@'):-len('.service')]
        root = os.path.join(work, 'root-' + case)
        if not os.path.isdir(root):
            case_root(case_dir, root)
        run = subprocess.run([nestvirt, 'vm', 'argv', name, '--root', root], capture_output=True)
        if run.returncode != 0:
            tap.ok(f'round trip: {case}/{name}: nestvirt vm argv failed', False,
                   run.stderr.decode(errors='replace'))
            continue
        argv = unit_argv(unit, environment=disk_types(unit, root))
        got = argv_bytes(argv) if argv is not None else b'(not exactly one ExecStart command)\n'
        same = got == run.stdout
        tap.ok(f'round trip: {case}/{name}' + ('' if same else ': ExecStart= does not run what '
                                                              'nestvirt vm argv prints'),
               same, '' if same else diff(run.stdout, got))
        if same:
            covered.add('escaping' if case == 'escaping' else None)
            covered.add('--device' if '--device' in argv else None)
            covered.add('qcow2' if any(a.endswith('image_type=qcow2') for a in argv) else None)
    good = {'escaping', '--device', 'qcow2'} <= covered
    tap.ok('round trip covered the escaping case, a case with --device and a qcow2 image read at the start', good,
           '' if good else f'covered: {sorted(c for c in covered if c)}')


def diff(want, got):
    import difflib
    return ''.join(difflib.unified_diff(want.decode(errors='replace').splitlines(True),
                                        got.decode(errors='replace').splitlines(True),
                                        'nestvirt vm argv', 'ExecStart=', n=1))


def test_systemd(tap, units, work):
    what = 'systemd splits as the checker does'
    if not shutil.which('systemd-analyze'):
        tap.skip(what, 'no systemd-analyze')
        return
    # Copies under plain names, all loaded by one systemd-analyze run.
    copies = {}
    vdir = os.path.join(work, 'verify')
    os.makedirs(vdir)
    for i, unit in enumerate(units):
        copy = os.path.join(vdir, f'u{i}.service')
        shutil.copyfile(unit, copy)
        copies[os.path.basename(copy)] = unit
    env = dict(os.environ, SYSTEMD_LOG_LEVEL='debug')
    run = subprocess.run(['systemd-analyze', 'verify', '--man=no'] + sorted(
        os.path.join(vdir, c) for c in copies), env=env, capture_output=True)
    dumps = systemd_exec.decode_dump(run.stdout.decode('utf-8', errors='surrogateescape'))
    if not dumps:
        tap.skip(what, 'this systemd-analyze dumps no command lines')
        return
    for copy, unit in copies.items():
        mine = unit_argv(unit, loaded=True)
        theirs = dumps.get(copy, [])
        same = mine is not None and theirs == [mine]
        shown = os.path.relpath(unit, HERE if unit.startswith(HERE) else os.path.dirname(os.path.dirname(os.path.dirname(unit))))
        tap.ok(f'{what}: {shown}', same,
               '' if same else f'systemd: {theirs}\nchecker: {mine}')


def test_mutations(tap, units, cases, work):
    for unit in units:
        lines = read(unit).split('\n')
        original = systemd_reading(unit)
        for what, pattern, replacement in MUTATIONS:
            spoiled = [re.sub(pattern, replacement, line) if line.startswith('ExecStart=') else line
                       for line in lines]
            if spoiled == lines:
                continue
            mutant = os.path.join(work, 'mutant.service')
            with open(mutant, 'w', encoding='utf-8', errors='surrogateescape') as f:
                f.write('\n'.join(spoiled))
            if systemd_reading(mutant) == original:
                continue        # the same to systemd after all (quotes around a word without spaces)
            rc, out = check(mutant)
            first = out.split('\n')[0].split(': ', 1)[-1][:80]
            tap.ok(f'mutation: {os.path.relpath(unit, cases)}: {what}: '
                   + (f'rejected ({first})' if rc == 1 else f'exit {rc}'), rc == 1,
                   '' if rc == 1 else next(line for line in spoiled if line.startswith('ExecStart=')))


def test_examples(tap):
    for path in sorted(glob.glob(os.path.join(HERE, 'broken', '*.service'))):
        name = 'broken/' + os.path.basename(path)
        first = read(path).split('\n')[0]
        expect = first[len('# expect: '):] if first.startswith('# expect: ') else ''
        rc, out = check(path)
        if not expect:
            tap.ok(f"{name}: no '# expect:' line", False)
        elif rc != 1:
            tap.ok(f'{name}: exit {rc}, wanted 1', False, out)
        else:
            tap.ok(f'{name}: rejected' + ('' if expect in out else f", but not with '{expect}'"),
                   expect in out, '' if expect in out else out)
    for path in sorted(glob.glob(os.path.join(HERE, 'good', '*.service'))):
        rc, out = check(path)
        tap.ok(f'good/{os.path.basename(path)}: ' + ('accepted' if rc == 0 else f'exit {rc}'), rc == 0, out)


def main(args):
    if len(args) != 2:
        print(__doc__.split('usage: ')[1], file=sys.stderr)
        return 2
    build, cases = (os.path.realpath(a) for a in args)
    nestvirt = os.path.join(build, 'src', 'nestvirt', 'nestvirt')
    units = sorted(glob.glob(os.path.join(cases, '*', 'expected', 'nestvirt-vm@*.service')))
    tap = Tap()
    tap.ok('the golden cases hold VM units', bool(units), '' if units else f'none under {cases}/*/expected/')
    with tempfile.TemporaryDirectory() as work:
        test_grammar(tap, units, cases)
        test_round_trip(tap, units, nestvirt, work)
        test_systemd(tap, units + sorted(glob.glob(os.path.join(HERE, 'good', '*.service'))), work)
        test_mutations(tap, units, cases, work)
        test_examples(tap)
    print(f'1..{tap.n}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
