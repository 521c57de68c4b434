#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The code's shape, measured: files per folder, function lengths and file-level cycles.

  layout.py report BUILDDIR SRCDIR   prints the figures
  layout.py check  BUILDDIR SRCDIR   TAP: fails on a file-level cycle, a function over the
                                     limit (unless its comment says why it reads better whole),
                                     a .c without its own .h, or pure code (src/core, src/render) that opens a file for writing.

File-level cycles are read from the object files (nm): file A uses file B when A has an
undefined symbol that B defines. A cycle is a strongly connected set of more than one file.
"""
import collections, os, re, subprocess, sys

LIMIT = 80
# A function may stay longer when its leading comment says it reads better whole.
WHOLE = re.compile(r"reads better whole", re.I)
FUNC_START = re.compile(r"^(?!static\s+const\b)[A-Za-z_][^;=()]*\b([A-Za-z_]\w*)\s*\([^;]*$")
C_DIRS = ("src", "generator")


def c_files(src):
    for top in C_DIRS:
        for dirpath, _, files in os.walk(os.path.join(src, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.join(dirpath, f)


def functions(path):
    """(name, first line, length, may_be_long) of each top-level function definition."""
    lines = open(path, encoding="utf-8").read().split("\n")
    out, i = [], 0
    while i < len(lines):
        m = FUNC_START.match(lines[i])
        if m and not lines[i].startswith((" ", "\t", "#", "}", "/")):
            j = i
            while j < len(lines) and not lines[j].rstrip().endswith("{") and not lines[j].rstrip().endswith(";"):
                j += 1
            if j < len(lines) and lines[j].rstrip().endswith("{"):
                k = j + 1
                while k < len(lines) and lines[k] != "}":
                    k += 1
                comment = "\n".join(lines[max(0, i - 6):i])
                out.append((m.group(1), i + 1, k - i + 1, bool(WHOLE.search(comment))))
                i = k
        i += 1
    return out


def objects(build):
    for dirpath, _, files in os.walk(build):
        if "fuzz" in dirpath or "tests" in dirpath or "bench" in dirpath:
            continue
        for f in files:
            if f.endswith(".c.o"):
                yield os.path.join(dirpath, f)


def source_of(obj):
    # meson names objects DIR_FILE.c.o inside TARGET.p/
    return os.path.basename(obj)[:-2].split("_")[-1] if False else os.path.basename(obj)[:-2]


def symbol_graph(build):
    defined, undefined = {}, collections.defaultdict(set)
    for obj in objects(build):
        name = source_of(obj)
        out = subprocess.run(["nm", "-P", obj], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) < 2:
                continue
            sym, kind = parts[0], parts[1]
            if kind == "U":
                undefined[name].add(sym)
            elif kind in "TDBR":
                defined.setdefault(sym, name)
        undefined.setdefault(name, set())
    graph = {f: {defined[s] for s in syms if s in defined and defined[s] != f} for f, syms in undefined.items()}
    return graph


def cycles(graph):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def report(build, src):
    per_dir = collections.Counter(os.path.relpath(os.path.dirname(p), src) for p in c_files(src))
    for d, n in sorted(per_dir.items()):
        print(f"files {d}: {n}")
    funcs = [(length, f"{os.path.relpath(p, src)}:{line} {name}", whole)
             for p in c_files(src) if p.endswith(".c") for name, line, length, whole in functions(p)]
    funcs.sort(reverse=True)
    print(f"longest function: {funcs[0][1]} ({funcs[0][0]} lines)")
    over = [f for f in funcs if f[0] > LIMIT]
    print(f"functions over {LIMIT} lines: {len(over)}")
    for length, where, whole in over:
        print(f"  {length:4d} {where}{'  (reads better whole)' if whole else ''}")
    cyc = cycles(symbol_graph(build))
    print(f"file-level cycles: {len(cyc)}" + "".join(f"\n  {len(c)} files: {' '.join(c)}" for c in cyc))


def check(build, src):
    results = []
    cyc = cycles(symbol_graph(build))
    results.append((not cyc, "no file-level dependency cycle" + "".join(f"; cycle: {' '.join(c)}" for c in cyc)))
    for p in c_files(src):
        if not p.endswith(".c"):
            continue
        rel = os.path.relpath(p, src)
        for name, line, length, whole in functions(p):
            if length > LIMIT and not whole:
                results.append((False, f"{rel}:{line} {name} is {length} lines (limit {LIMIT})"))
        header = p[:-2] + ".h"
        main_like = os.path.basename(p) in ("main.c", "nestvirt-generator.c")
        results.append((main_like or os.path.exists(header), f"{rel} has its own header"))
    pure = [p for p in c_files(src) if os.path.relpath(p, src).split(os.sep)[:2] in (["src", "core"], ["src", "render"])]
    for p in pure:
        text = open(p, encoding="utf-8").read()
        bad = re.search(r"\b(sysfs_write|write_string_file|O_WRONLY|O_RDWR|fopen\([^)]*\"[wa])", text)
        results.append((not bad, f"{os.path.relpath(p, src)} (pure) writes nothing"))
    print(f"1..{len(results)}")
    failed = 0
    for i, (ok, what) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {what}")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("report", "check"):
        sys.exit(__doc__)
    if sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))
