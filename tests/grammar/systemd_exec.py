# SPDX-License-Identifier: LGPL-2.1-or-later
"""How systemd turns an ExecStart= line of a unit file into the argv it executes.

Written from systemd.service(5) ("COMMAND LINES"), systemd.unit(5) (specifiers) and
systemd.syntax(7) (quoting, line continuation); where those are vague, the behaviour was
checked against systemd's conf-parser.c, extract-word.c, escape.c (cunescape_one),
load-fragment.c (config_parse_exec) and env-util.c (replace_env_argv), and against
`systemd-analyze verify` of systemd 252 (Debian 12), whose debug dump shows the argv as
loaded. Two stages, in systemd's order:

  1. load: the unit file is read line by line: a line ending in an unescaped backslash
     continues on the next one (the backslash becomes a space), comment lines (# or ;) are
     skipped even inside a continuation. The value is split into words: '...' and "..."
     may appear anywhere in a word, C escapes (\\n, \\x41, \\s, ...) are decoded inside and
     outside quotes, an unquoted ';' word separates command lines, '\\;' is a literal ';'.
     The first word loses its prefixes (@ - : + ! !!), then every word goes through
     specifier expansion: '%%' is '%', any other '%X' is a specifier.
  2. exec: unless the ':' prefix is given, each argv word is expanded: a word that starts
     with '$NAME' is replaced by that variable split at whitespace (or dropped when unset),
     '${NAME}' anywhere is replaced by the value, '$$' is '$'; any other '$' stays.
     The executable path itself is never expanded: '$$' in it stays '$$'.

nestvirt escapes every '%' as '%%' and every '$' as '$$', so any specifier or variable that
would expand is reported as a problem; so are unknown escapes and anything systemd would
refuse or warn about.
"""

import dataclasses

WHITESPACE = ' \t\n\r'
COMMENTS = '#;'
# Specifiers systemd 252 knows in unit files (systemd.unit(5), "SPECIFIERS").
SPECIFIERS = set('aAbBCdEfgGhHiIjJlLmMnNopPsStTuUvVwWyY')


@dataclasses.dataclass
class Assignment:
    section: str
    key: str
    value: str
    line: int


@dataclasses.dataclass
class Command:
    line: int
    path: str                 # what systemd executes (specifiers expanded, no $ expansion)
    argv_loaded: list         # argv as loaded (what `systemd-analyze verify` dumps)
    argv: list                # argv as executed, after $ expansion
    prefixes: set


def read_unit(text):
    """Returns (assignments, problems) of a unit file, or of a fragment without section
    headers (its assignments count as [Service])."""
    assignments, problems = [], []
    section = 'Service'
    continuation, start = None, 0
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    for number, raw in enumerate(lines, 1):
        if raw.lstrip(WHITESPACE)[:1] in tuple(COMMENTS):
            continue
        joined = raw if continuation is None else continuation + raw
        escaped = False
        for c in joined:
            escaped = False if escaped else c == '\\'
        if escaped:
            continuation = joined[:-1] + ' '
            start = start or number
            continue
        line, number = joined.strip(WHITESPACE), start or number
        continuation, start = None, 0
        if not line:
            continue
        if line.startswith('['):
            if line.endswith(']'):
                section = line[1:-1]
            else:
                problems.append((number, f'invalid section header {line!r}'))
            continue
        key, eq, value = line.partition('=')
        if not eq:
            problems.append((number, f"missing '=' in {line!r}"))
            continue
        assignments.append(Assignment(section, key.strip(WHITESPACE), value.strip(WHITESPACE), number))
    if continuation is not None:
        problems.append((start, 'the file ends inside a line continuation (trailing backslash)'))
    return assignments, problems


def _unescape_one(s, i):
    """Decodes the escape whose letter is at s[i]; returns (character, length) or None
    where systemd's cunescape_one() refuses it."""
    simple = {'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v',
              '\\': '\\', '"': '"', "'": "'", 's': ' '}
    c = s[i]
    if c in simple:
        return simple[c], 1
    hexdigits = '0123456789abcdefABCDEF'
    if c in 'xuU':
        n = {'x': 2, 'u': 4, 'U': 8}[c]
        digits = s[i + 1:i + 1 + n]
        if len(digits) != n or any(d not in hexdigits for d in digits):
            return None
        v = int(digits, 16)
        if v == 0:
            return None
        if c == 'x':
            return _byte(v), 1 + n
        if v >= 0x110000 or 0xd800 <= v <= 0xdfff:
            return None
        return chr(v), 1 + n
    if c in '01234567':
        digits = s[i:i + 3]
        if len(digits) != 3 or any(d not in '01234567' for d in digits):
            return None
        v = int(digits, 8)
        if v == 0 or v > 255:
            return None
        return _byte(v), 3
    return None


def _byte(v):
    # A raw byte: kept as a surrogate so that it encodes back to itself.
    return chr(v) if v < 0x80 else chr(0xdc00 + v)


def extract_word(s, pos, problems):
    """systemd's extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE) on s[pos:]; returns
    (word or None, next position). Problems are what systemd warns about or refuses."""
    n = len(s)
    while pos < n and s[pos] in WHITESPACE:
        pos += 1
    if pos >= n:
        return None, n
    out, quote = [], None
    while pos < n:
        c = s[pos]
        if c == '\\':
            if pos + 1 >= n:
                problems.append('trailing backslash')
                out.append('\\')
                return ''.join(out), n
            decoded = _unescape_one(s, pos + 1)
            if decoded is None:
                problems.append(f'unknown escape sequence "\\{s[pos + 1]}": systemd keeps the backslash '
                                f'and warns; write "\\\\" for a backslash')
                out.append('\\' + s[pos + 1])
                pos += 2
            else:
                out.append(decoded[0])
                pos += 1 + decoded[1]
            continue
        if quote:
            if c == quote:
                quote = None
            else:
                out.append(c)
            pos += 1
            continue
        if c in '\'"':
            quote = c
        elif c in WHITESPACE:
            while pos < n and s[pos] in WHITESPACE:
                pos += 1
            return ''.join(out), pos
        else:
            out.append(c)
        pos += 1
    if quote:
        problems.append(f'unbalanced quoting: a {quote} is never closed; systemd ignores the whole line')
        return None, n
    return ''.join(out), n


def expand_specifiers(word, problems):
    """'%%' -> '%'; any other specifier is reported (nestvirt escapes every '%') and kept."""
    out, i = [], 0
    while i < len(word):
        c = word[i]
        if c != '%':
            out.append(c)
            i += 1
            continue
        nxt = word[i + 1:i + 2]
        if nxt == '%':
            out.append('%')
        elif nxt == '':
            problems.append(f"stray '%' at the end of {word!r}: write '%%' for a literal '%'")
            out.append('%')
        elif nxt in SPECIFIERS:
            problems.append(f"unescaped specifier '%{nxt}' in {word!r}: systemd expands it; "
                            f"write '%%' for a literal '%'")
            out.append('%' + nxt)
        else:
            problems.append(f"'%{nxt}' in {word!r} is no specifier: systemd refuses the command "
                            f"line; write '%%' for a literal '%'")
            out.append('%' + nxt)
        i += 2 if nxt else 1
    return ''.join(out)


def _env_name_valid(name):
    return bool(name) and not name[0].isdigit() and all(c.isascii() and (c.isalnum() or c == '_')
                                                         for c in name)


def references(word):
    """The ${NAME} expansions systemd would make in WORD: [(start, end, name)], '$$' skipped."""
    found, i = [], 0
    while i < len(word):
        if word[i] != '$':
            i += 1
        elif word[i + 1:i + 2] == '$':
            i += 2
        elif word[i + 1:i + 2] == '{':
            end = word.find('}', i + 2)
            colon = word.find(':', i + 2)
            if end < 0 or 0 <= colon < end:
                i += 1
                continue
            found.append((i, end + 1, word[i + 2:end]))
            i = end + 1
        else:
            i += 1
    return found


def expand_environment(argv, problems, environment=None):
    """replace_env_argv(): every expansion of a variable not in ENVIRONMENT (the ones the unit
    is known to set) is reported."""
    environment = environment or {}
    result = []
    for word in argv:
        if word.startswith('$') and word[1:2] not in ('{', '$'):
            name = word[1:]
            what = (f'the environment variable {name}' if _env_name_valid(name)
                    else 'nothing (no valid variable name): the argument disappears')
            problems.append(f"word {word!r} is replaced by {what}; write '$$' for a literal '$'")
            continue
        out, i = [], 0
        while i < len(word):
            if word[i] != '$':
                out.append(word[i])
                i += 1
                continue
            nxt = word[i + 1:i + 2]
            if nxt == '$':
                out.append('$')
                i += 2
            elif nxt == '{':
                end = word.find('}', i + 2)
                colon = word.find(':', i + 2)
                if end < 0 or 0 <= colon < end:
                    out.append('$')        # not an expansion systemd understands: kept as is
                    i += 1
                    continue
                if word[i + 2:end] in environment:
                    out.append(environment[word[i + 2:end]])
                    i = end + 1
                    continue
                problems.append(f"{word[i:end + 1]!r} in {word!r} is replaced by the environment "
                                f"variable {word[i + 2:end]}; write '$$' for a literal '$'")
                i = end + 1
            else:
                out.append('$')
                i += 1
        result.append(''.join(out))
    return result


def _executable_problems(path):
    if not path:
        return ['empty executable path']
    bad = [c for c in path if ord(c) < 32 or ord(c) == 127 or c in '"\'\\']
    if bad:
        return [f'executable path {path!r} contains {bad[0]!r}: systemd refuses it ("special characters")']
    if path.endswith('/'):
        return [f'executable path {path!r} names a directory']
    if not path.startswith('/') and '/' in path:
        return [f'executable {path!r} is neither an absolute path nor a plain file name']
    return []


def parse_exec(value, line, environment=None):
    """Splits the value of one ExecStart= assignment; returns (commands, problems)."""
    problems = []
    commands = []
    s, pos = value, 0
    while True:
        word_problems = []
        first, pos = extract_word(s, pos, word_problems)
        problems += word_problems
        if first is None:
            break
        if first == ';':
            continue
        prefixes = set()
        while first:
            c, privileged = first[0], {'+', '!', '!!'}
            if c in '-@:' and c not in prefixes:
                prefixes.add(c)
            elif c in '+!' and not prefixes & privileged:
                prefixes.add(c)
            elif c == '!' and '!' in prefixes and not prefixes & {'+', '!!'}:
                prefixes ^= {'!', '!!'}
            else:
                break
            first = first[1:]
        path = expand_specifiers(first, problems)
        problems += _executable_problems(path)
        loaded = [] if '@' in prefixes else [path]
        semicolon = False
        while pos < len(s):
            rest = s[pos:]
            if rest[0] == ';' and (len(rest) == 1 or rest[1] in WHITESPACE):
                pos += 1
                semicolon = True
                break
            if rest[:2] == '\\;' and (len(rest) == 2 or rest[2] in WHITESPACE):
                loaded.append(';')
                pos += 2
                while pos < len(s) and s[pos] in WHITESPACE:
                    pos += 1
                continue
            word_problems = []
            word, pos = extract_word(s, pos, word_problems)
            problems += word_problems
            if word is None:
                break
            loaded.append(expand_specifiers(word, problems))
        if not loaded:
            problems.append('empty executable name or zeroeth argument')
            break
        if ':' in prefixes:
            argv = list(loaded)
        else:
            argv = expand_environment(loaded, problems, environment)
            if '@' not in prefixes and argv[:1] != [path]:
                problems.append(f"the executable path {path!r} is not $-expanded by systemd, "
                                f"but argv[0] is ({argv[0] if argv else ''!r}): "
                                f"write a single '$' in the first word")
        commands.append(Command(line, path, loaded, argv, prefixes))
        if not semicolon:
            break
    return commands, problems


def exec_start_commands(text, key='ExecStart', environment=None):
    """The commands of every KEY= in [Service], empty assignments resetting the list, as
    systemd accumulates them; returns (commands, [(line, problem)])."""
    assignments, problems = read_unit(text)
    commands = []
    for a in assignments:
        if a.section != 'Service' or a.key != key:
            continue
        if not a.value:
            commands = []
            continue
        parsed, line_problems = parse_exec(a.value, a.line, environment)
        problems += [(a.line, p) for p in line_problems]
        commands += parsed
    return commands, problems


def service_type(text):
    t = 'simple'
    for a in read_unit(text)[0]:
        if a.section == 'Service' and a.key == 'Type' and a.value:
            t = a.value
    return t


def decode_dump(text, key='ExecStart'):
    """{unit name: [argv, ...]} of KEY in the unit dumps `SYSTEMD_LOG_LEVEL=debug
    systemd-analyze verify UNIT...` prints on stdout: "-> Unit NAME:", then "-> KEY:" and
    one "Command Line: ..." per command, each word bare or in double quotes."""
    found, unit, inside = {}, None, False
    for line in text.split('\n'):
        stripped = line.strip('\t ')
        if stripped.startswith('-> Unit ') and stripped.endswith(':'):
            unit, inside = stripped[len('-> Unit '):-1], False
            continue
        if stripped.startswith('-> '):
            inside = stripped == f'-> {key}:'
            if inside:
                found.setdefault(unit, [])
            continue
        if inside and stripped.startswith('Command Line: '):
            found[unit].append(_shell_words(stripped[len('Command Line: '):]))
    return found


def _shell_words(s):
    words, cur, i, quoted, have = [], [], 0, False, False
    while i < len(s):
        c = s[i]
        if quoted:
            # Inside quotes the dump C-escapes control characters and bytes that are not
            # UTF-8 (\t, \001, \351) and puts a backslash before " \ ` $.
            if c == '\\' and i + 1 < len(s) and s[i + 1] in '"\\`$':
                cur.append(s[i + 1])
                i += 2
                continue
            if c == '\\' and s[i + 1:i + 2] in tuple('abfnrtv'):
                cur.append(_unescape_one(s, i + 1)[0])
                i += 2
                continue
            if c == '\\' and len(s[i + 1:i + 4]) == 3 and all(d in '01234567' for d in s[i + 1:i + 4]):
                cur.append(_byte(int(s[i + 1:i + 4], 8)))
                i += 4
                continue
            if c == '"':
                quoted = False
            else:
                cur.append(c)
        elif c == '"':
            quoted, have = True, True
        elif c == ' ':
            if cur or have:
                words.append(''.join(cur))
            cur, have = [], False
        else:
            cur.append(c)
        i += 1
    if cur or have:
        words.append(''.join(cur))
    return words
