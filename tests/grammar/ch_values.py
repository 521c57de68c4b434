# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cloud Hypervisor's option strings ("key=value,key=value") and value types, as its
option_parser crate reads them (option_parser/src/lib.rs; the revision is named in
ch_options.py). Written from that source's behaviour, not copied:

- split at commas outside double quotes and outside [...] (brackets are not counted
  inside quotes); an unbalanced quote or bracket is a syntax error;
- each item is NAME=VALUE split at the first '='; NAME must be known; VALUE is trimmed;
  an empty VALUE counts as not given;
- string-like values (paths, ids, numbers, sizes, enums) are "dequoted": quotes removed,
  and "" right after a closing quote is a literal quote ("a""b" is a"b);
- Toggle: on|off|true|false (any case), not dequoted;
- ByteSized: an integer with one optional suffix K, M or G (binary, uppercase only);
- IntegerList: [1,3-5] (brackets optional, ranges a-b need a < b), not dequoted;
- TupleList: [k@v,k@v] with the outer brackets required, v an integer or an IntegerList;
- StringList: [a,b] (brackets optional).
Each converter returns the value or raises ValueError with a message for humans.
"""


class SyntaxProblem(ValueError):
    pass


def split_commas(s):
    items, cur, depth, quoted = [], [], 0, False
    for c in s.strip():
        if c == '"':
            quoted = not quoted
        elif quoted:
            pass
        elif c == '[':
            depth += 1
        elif c == ']':
            if depth == 0:
                raise SyntaxProblem(f"unbalanced ']' in {s!r}")
            depth -= 1
        elif c == ',' and depth == 0:
            items.append(''.join(cur))
            cur = []
            continue
        cur.append(c)
    items.append(''.join(cur))
    if quoted:
        raise SyntaxProblem(f'unbalanced quote in {s!r}: a value with a comma or quote is written '
                            f'"...", a quote inside it as ""')
    if depth:
        raise SyntaxProblem(f"unbalanced '[' in {s!r}")
    return items


def parse_options(s, names, valueless=()):
    """Returns ([(name, raw value)] in order, problems). Raises SyntaxProblem where
    Cloud Hypervisor refuses the whole string."""
    if not s.strip():
        return [], []
    result, problems = [], []
    for item in split_commas(s):
        name, eq, value = item.partition('=')
        if name in valueless:
            if eq:
                problems.append(f"'{name}' takes no value, but got '={value}' (Cloud Hypervisor ignores it)")
            result.append((name, ''))
            continue
        if name not in names:
            hint = ''
            if not eq and '@' in name:
                hint = ' (it looks like a list cut at a comma: lists need outer brackets, key=[a@b,c@d])'
            elif not eq and ('/' in name or ' ' in name):
                hint = ' (it looks like the rest of a value cut at a comma: quote the value, key="a,b")'
            raise SyntaxProblem(f"unknown sub-option '{name}'{hint}")
        if not eq:
            raise SyntaxProblem(f"sub-option '{name}' needs a value ({name}=...)")
        if value != value.strip():
            problems.append(f"{name}={value!r} has white space at an end, which Cloud Hypervisor "
                            f"trims: quote the value, {name}=\"...\"")
        result.append((name, value.strip()))
    return result, problems


def dequote(s):
    out, prev, quoted = [], '', False
    for c in s:
        if c == '"':
            if prev == '"' and not quoted:
                out.append('"')
            quoted = not quoted
        else:
            out.append(c)
        prev = c
    return ''.join(out)


def to_string(raw):
    return dequote(raw)


def to_path(raw):
    v = dequote(raw)
    if not v.startswith('/'):
        raise ValueError(f'{v!r} is not an absolute path (nestvirt rule: every path is absolute)')
    return v


def _rust_unsigned(s, bits, what):
    digits = s[1:] if s.startswith('+') else s
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError(f'{what} {s!r} is not an unsigned integer')
    v = int(digits)
    if v >= 1 << bits:
        raise ValueError(f'{what} {s!r} does not fit in {bits} bits')
    return v


def unsigned(bits):
    def convert(raw):
        return _rust_unsigned(dequote(raw), bits, 'value')
    return convert


def signed32(raw):
    s = dequote(raw)
    body = s[1:] if s[:1] in ('+', '-') else s
    if not body or not body.isascii() or not body.isdigit() or not -2**31 <= int(s) < 2**31:
        raise ValueError(f'{s!r} is not a 32-bit integer')
    return int(s)


def toggle(raw):
    if raw.lower() not in ('on', 'off', 'true', 'false'):
        hint = ' (Toggle values are not dequoted)' if '"' in raw else ''
        raise ValueError(f"{raw!r} is not on, off, true or false{hint}")
    return raw.lower() in ('on', 'true')


def byte_size(raw):
    s = dequote(raw).strip()
    number, suffix = (s[:-1], s[-1]) if s[-1:] in ('K', 'M', 'G') else (s, '')
    if not number.isascii() or not number.isdigit():
        raise ValueError(f"{s!r} is not a size: digits with an optional K, M or G suffix "
                         f"(uppercase, no B)")
    v = int(number) << {'': 0, 'K': 10, 'M': 20, 'G': 30}[suffix]
    if v >= 1 << 64:
        raise ValueError(f'{s!r} does not fit in 64 bits')
    return v


def integer_list(bits=64, truncates=False):
    """TRUNCATES: Cloud Hypervisor reads u64 items and casts them to BITS bits silently
    (--numa cpus=, pci_segments=); an item that does not fit is then a nestvirt rule."""
    def convert(raw):
        values = []
        body = raw.strip().strip('[]')
        for part in body.split(','):
            ends = part.split('-')
            if len(ends) > 2:
                raise ValueError(f'{part!r} in {raw!r} is not a number or range a-b')
            lo = _rust_unsigned(ends[0], 64, 'list item')
            hi = _rust_unsigned(ends[1], 64, 'list item') if len(ends) == 2 else lo
            if len(ends) == 2 and lo >= hi:
                raise ValueError(f'range {part!r} in {raw!r} does not go upwards')
            if hi >= 1 << bits:
                why = ' (nestvirt rule: Cloud Hypervisor truncates it)' if truncates else ''
                raise ValueError(f'{hi} in {raw!r} does not fit in {bits} bits{why}')
            values += range(lo, hi + 1)
        return values
    return convert


def tuple_list(key_convert, value_convert):
    def convert(raw):
        s = raw.strip()
        if not (s.startswith('[') and s.endswith(']')):
            raise ValueError(f'{raw!r} needs outer brackets: [{raw}]')
        try:
            items = split_commas(s[1:-1])
        except SyntaxProblem as e:
            raise ValueError(str(e)) from None
        result = []
        for item in items:
            item = item.strip()
            at, quoted = [], False
            for i, c in enumerate(item):
                if c == '"':
                    quoted = not quoted
                elif c == '@' and not quoted:
                    at.append(i)
            if len(at) != 1:
                raise ValueError(f"{item!r} in {raw!r} is not one KEY@VALUE pair")
            key, value = item[:at[0]], item[at[0] + 1:]
            if not key:
                raise ValueError(f'{item!r} in {raw!r} has an empty key')
            result.append((key_convert(key), value_convert(value)))
        return result
    return convert


def plain_unsigned(bits):
    # Tuple values are parsed as they are: neither trimmed nor dequoted.
    def convert(raw):
        return _rust_unsigned(raw, bits, 'value')
    return convert


def string_list(raw):
    try:
        return split_commas(raw.strip().strip('[]'))
    except SyntaxProblem as e:
        raise ValueError(str(e)) from None


def choice(*choices, lowercase=True):
    def convert(raw):
        v = dequote(raw)
        if (v.lower() if lowercase else v) not in choices:
            raise ValueError(f"{v!r} is not one of {', '.join(choices)}")
        return v.lower() if lowercase else v
    return convert


def mac_address(raw):
    v = dequote(raw)
    parts = v.split(':')
    if len(parts) != 6 or any(len(p) != 2 or any(c not in '0123456789abcdefABCDEF' for c in p)
                              for p in parts):
        raise ValueError(f'{v!r} is not a MAC address (six pairs of hex digits)')
    return v


def ip_address(raw):
    import ipaddress
    v = dequote(raw)
    try:
        return ipaddress.ip_address(v)
    except ValueError:
        raise ValueError(f'{v!r} is not an IPv4 or IPv6 address') from None


def cpu_topology(raw):
    v = dequote(raw)
    parts = v.split(':')
    if len(parts) != 4:
        raise ValueError(f'{v!r} is not THREADS:CORES:DIES:PACKAGES')
    return [_rust_unsigned(p, 16, 'topology part') for p in parts]


def io_port(raw):
    v = dequote(raw)
    digits = v[2:]
    if not v.startswith('0x') or not digits or any(c not in '0123456789abcdefABCDEF' for c in digits) \
            or int(digits, 16) > 0xffff:
        raise ValueError(f'{v!r} is not a 16-bit port written 0x...')
    return int(digits, 16)
