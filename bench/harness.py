#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Timing harness for bench/run.sh: runs generators as systemd does (fork + exec with three
output directories), N times each, and reports wall and CPU time per run.

usage: harness.py SPEC.json

SPEC holds "runs", "warmup", "outdir", "callgrind" (path to valgrind or ""), "callgrind_top",
and "cases": a list of {"name", "argv0", "env", "expect" ("service" | "fstab" | "none"),
"units" (exact number of units expected, or null), "goal_cpu_ms" (or null), "role"
("nestvirt" | "yardstick" | "floor")}.

Per run: the output directories are created before the timed loop (one set per run, empty);
the clock runs from posix_spawn to wait4; CPU time is the child's ru_utime + ru_stime from
wait4, so it includes exec, the dynamic loader and libc start-up, as a boot pays them.
stdout and stderr go to /dev/null in timed runs; a first, untimed run keeps stderr and must
succeed. After the loop every run's output tree is checked: exit status 0, at least one unit,
the same tree as the first run.
Exit status: 0, or 1 if a generator failed or wrote no (or not the expected number of) units.
"""

import hashlib
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time


def pct(sorted_values, p):
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    k = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[k - 1]


def tree_digest(top):
    """(number of units, digest of names, link targets and contents) of an output tree."""
    h = hashlib.sha256()
    units = 0
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for n in sorted(filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]):
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, top)
            h.update(rel.encode() + b"\0")
            if os.path.islink(p):
                h.update(b"L" + os.readlink(p).encode() + b"\0")
            else:
                if dirpath == top and re.search(r"\.(service|mount|swap|automount|target|timer|socket)$", n):
                    units += 1
                with open(p, "rb") as f:
                    h.update(f.read())
    return units, h.hexdigest()


def make_dirs(base, n):
    sets = []
    for i in range(n):
        d = os.path.join(base, str(i))
        s = [os.path.join(d, x) for x in ("normal", "early", "late")]
        for x in s:
            os.makedirs(x)
        sets.append(s)
    return sets


def spawn(argv0, args, env, stderr_path=None):
    """fork+exec ARGV0 ARGS; return (exit code, wall ns, cpu ns)."""
    err = stderr_path or os.devnull
    fa = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    ]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv0, [argv0] + args, env, file_actions=fa)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    return os.waitstatus_to_exitcode(status), t1 - t0, round(ru.ru_utime * 1e9), round(ru.ru_stime * 1e9)


def callgrind(valgrind, case, outdir, top):
    """Instructions of one run under callgrind: (total Ir, [(Ir, function), ...] by self cost)."""
    d = make_dirs(os.path.join(outdir, "callgrind"), 1)[0]
    out = os.path.join(outdir, "callgrind.out")
    r = subprocess.run([valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", case["argv0"]] + d,
                       env=case["env"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0 or not os.path.exists(out):
        return None, [], {}, r.stderr[-2000:]
    total = None
    with open(out) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
    funcs = []
    ann = shutil.which("callgrind_annotate")
    if ann and top > 0:
        a = subprocess.run([ann, out], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
        for line in a.splitlines():
            m = re.match(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(\S.*)$", line)
            if m and "PROGRAM TOTALS" not in line:
                funcs.append((int(m.group(1).replace(",", "")), m.group(3).strip()))
            if len(funcs) >= top:
                break
    # The dynamic loader's share (relocating the program and its libraries) and main()'s.
    shares = {}
    if ann and total:
        a = subprocess.run([ann, "--inclusive=yes", out], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True).stdout
        for line in a.splitlines():
            m = re.match(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S.*)$", line)
            if not m:
                continue
            ir, fn = int(m.group(1).replace(",", "")), m.group(2)
            if re.search(r":_dl_start\b", fn) and "ld.so" not in shares:
                shares["ld.so"] = ir
            elif re.search(r":main \[", fn) and "main()" not in shares:
                shares["main()"] = ir
    return total, funcs, shares, ""


def run_case(case, spec):
    runs, warmup = spec["runs"], spec["warmup"]
    base = os.path.join(spec["outdir"], re.sub(r"[^A-Za-z0-9]+", "-", case["name"]).strip("-"))
    shutil.rmtree(base, ignore_errors=True)
    os.makedirs(base)
    res = {"name": case["name"], "runs": runs, "ok": True, "problems": []}

    # First run, untimed, with stderr kept: it must work.
    first = make_dirs(os.path.join(base, "first"), 1)[0]
    log = os.path.join(base, "first.log")
    rc = spawn(case["argv0"], first, case["env"], log)[0]
    with open(log, errors="replace") as f:
        res["log"] = f.read()
    if rc != 0:
        res["ok"] = False
        res["problems"].append(f"exited with {rc}; its log:\n{res['log']}")
        return res
    units, digest = tree_digest(first[0])
    res["units"] = units
    if case["expect"] != "none" and units == 0:
        res["ok"] = False
        res["problems"].append("wrote no units")
        return res
    if case.get("units") is not None and units != case["units"]:
        res["ok"] = False
        res["problems"].append(f"wrote {units} units, expected {case['units']}")
        return res

    for s in make_dirs(os.path.join(base, "warmup"), warmup):
        spawn(case["argv0"], s, case["env"])

    sets = make_dirs(os.path.join(base, "runs"), runs)
    wall, cpu, user, sys_, failed = [], [], [], [], 0
    for s in sets:
        rc, w, u, k = spawn(case["argv0"], s, case["env"])
        failed += rc != 0
        wall.append(w)
        cpu.append(u + k)
        user.append(u)
        sys_.append(k)
    if failed:
        res["ok"] = False
        res["problems"].append(f"{failed} of {runs} timed runs exited non-zero")
    if case["expect"] != "none":
        differ = sum(1 for s in sets if tree_digest(s[0]) != (units, digest))
        if differ:
            res["ok"] = False
            res["problems"].append(f"{differ} of {runs} timed runs wrote a different output tree than the first")
    shutil.rmtree(base, ignore_errors=True)

    for key, v in (("wall", wall), ("cpu", cpu), ("user", user), ("sys", sys_)):
        v = sorted(x / 1000 for x in v)   # µs
        res[key] = {"min": v[0], "med": statistics.median(v), "p95": pct(v, 95), "mean": statistics.fmean(v)}

    if spec.get("callgrind"):
        total, funcs, shares, err = callgrind(spec["callgrind"], case, base + "-cg", spec.get("callgrind_top", 0))
        shutil.rmtree(base + "-cg", ignore_errors=True)
        res["ir"], res["top"], res["shares"] = total, funcs, shares
        if total is None:
            res["callgrind_error"] = err
    return res


def ms(us):
    return f"{us / 1000:.3f}"


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    results = []
    for case in spec["cases"]:
        print(f"--- {case['name']}: {spec['runs']} runs (+{spec['warmup']} warm-up) ...", flush=True)
        r = run_case(case, spec)
        r["case"] = case
        results.append(r)
        if not r["ok"]:
            for p in r["problems"]:
                print(f"    FAIL: {p}")
            continue
        print(f"    units written: {r['units']}")
        if r["case"]["role"] == "yardstick" and r["log"].strip():
            for line in r["log"].strip().splitlines()[:3]:
                print(f"    its log: {line}")
        for key in ("wall", "cpu"):
            x = r[key]
            print(f"    {key:4}  min {x['min']:9.1f} µs  median {x['med']:9.1f} µs  p95 {x['p95']:9.1f} µs"
                  f"  mean {x['mean']:9.1f} µs")
        share = 100 * r["sys"]["mean"] / r["cpu"]["mean"] if r["cpu"]["mean"] else 0
        print(f"    kernel share of CPU over all runs: {share:.0f}% (the kernel splits user/sys by tick samples)")
        if "ir" in r:
            if r["ir"] is not None:
                print(f"    callgrind: {r['ir']:,} instructions (one run, incl. ld.so and libc start-up)")
                if r.get("shares"):
                    print("    of which " + ", ".join(f"{k} {100 * v / r['ir']:.0f}%" for k, v in r["shares"].items())
                          + " (inclusive)" + ("; most instructions executed in:" if r.get("top") else ""))
                for ir, fn in r.get("top", []):
                    print(f"        {ir:>12,}  {100 * ir / r['ir']:5.1f}%  {fn}")
            else:
                print(f"    callgrind failed: {r.get('callgrind_error', '')}")

    ok = [r for r in results if r["ok"]]
    print()
    w = max(len(r["name"]) for r in results) + 2
    print(f"{'case':<{w}} {'runs':>5}  {'wall med':>9} {'wall p95':>9}  {'cpu med':>9} {'cpu p95':>9}  (ms)"
          + ("   instructions" if spec.get("callgrind") else ""))
    for r in results:
        if not r["ok"]:
            print(f"{r['name']:<{w}} {r['runs']:>5}  FAILED")
            continue
        ir = f"   {r['ir']:>12,}" if r.get("ir") else ""
        print(f"{r['name']:<{w}} {r['runs']:>5}  {ms(r['wall']['med']):>9} {ms(r['wall']['p95']):>9}  "
              f"{ms(r['cpu']['med']):>9} {ms(r['cpu']['p95']):>9}{ir}")

    yard = next((r for r in ok if r["case"]["role"] == "yardstick"), None)
    goals, faster = [], []
    for r in results:
        if r["case"]["role"] != "nestvirt":
            continue
        label = r["case"].get("short", r["name"])
        g = r["case"].get("goal_cpu_ms")
        if not r["ok"]:
            if g is not None:
                goals.append(f"{label} < {g:g} ms CPU: FAILED")
            faster.append(f"{label} FAILED")
            continue
        if yard:
            line = (f"ratio {label}/fstab: cpu {r['cpu']['med'] / yard['cpu']['med']:.2f}, "
                    f"wall {r['wall']['med'] / yard['wall']['med']:.2f}")
            if r.get("ir") and yard.get("ir"):
                line += f", instructions {r['ir'] / yard['ir']:.2f}"
            print(line)
            faster.append(f"{label} {'yes' if r['cpu']['med'] < yard['cpu']['med'] else 'no'}")
        if g is not None:
            goals.append(f"{label} < {g:g} ms CPU: {'yes' if r['cpu']['med'] < g * 1000 else 'no'}")
    if yard:
        goals.append("faster than fstab-generator (median CPU): " + ", ".join(faster))
    else:
        goals.append("faster than fstab-generator: n/a (the yardstick failed)")
    floor = next((r for r in ok if r["case"]["role"] == "floor"), None)
    if floor:
        net = [f"{r['case'].get('short', r['name'])} {ms(r['cpu']['med'] - floor['cpu']['med'])}"
               for r in ok if r["case"]["role"] in ("nestvirt", "yardstick")]
        print(f"cpu med above the exec floor (ms): " + ", ".join(net))
    print("goals: " + "; ".join(goals))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
