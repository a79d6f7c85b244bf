#!/usr/bin/env python3
"""Side-by-side benchmark: the Slight VM against Lua 5.4 and CPython.

For every program in benches/programs/ (NAME.sl, NAME.lua, NAME.py: the same
algorithm written three times, each printing one checksum line) this script
runs

    slight run NAME.sl      lua5.4 NAME.lua      python3 NAME.py

N times each (default 5, interleaved), keeps the minimum wall-clock time of
each (process start-up included), checks that the three printed the same
output (and the "Expected output:" value written in the program's header
comment), and prints a plain-text table plus a Markdown copy of it for the
README, preceded by a note on the machine (CPU count, Lua and Python versions).

A Slight failure (crash, error, timeout) is reported with its stderr and does
not stop the run; any failure or mismatch makes the exit status 1.

Usage:
    python3 benches/compare.py [--runs N] [--slight PATH] [--only NAME]...
                               [--lua EXE] [--python EXE] [--timeout SECS]
                               [--no-build]

Without --slight the binary is target/release/slight; if it is missing,
`cargo build --release` is run first (unless --no-build).
"""

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
PROGRAMS_DIR = os.path.join(BENCH_DIR, "programs")
DEFAULT_SLIGHT = os.path.join(
    REPO_ROOT, "target", "release", "slight" + (".exe" if os.name == "nt" else "")
)
# Preferred order; any other NAME.sl found in programs/ is appended alphabetically.
ORDER = ["fib", "loop", "closures", "lists", "strings"]
LANGS = ["slight", "lua", "python"]
EXT = {"slight": ".sl", "lua": ".lua", "python": ".py"}


def parse_args():
    p = argparse.ArgumentParser(
        description="Compare the Slight VM with Lua 5.4 and CPython on benches/programs/."
    )
    p.add_argument("--runs", type=int, default=5, help="runs per program and language (default 5); the minimum is reported")
    p.add_argument("--slight", metavar="PATH", help="slight binary (default: target/release/slight, built if missing)")
    p.add_argument("--only", metavar="NAME", action="append", help="run only this program (repeatable)")
    p.add_argument("--lua", metavar="EXE", default=None, help="Lua interpreter (default: lua5.4, else lua)")
    p.add_argument("--python", metavar="EXE", default="python3", help="Python interpreter (default: python3)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds before one run is killed (default 300)")
    p.add_argument("--no-build", action="store_true", help="never run cargo build; skip Slight if the binary is missing")
    args = p.parse_args()
    if args.runs < 1:
        p.error("--runs must be at least 1")
    return args


def discover_programs(only):
    found = sorted(f[:-3] for f in os.listdir(PROGRAMS_DIR) if f.endswith(".sl"))
    names = [n for n in ORDER if n in found] + [n for n in found if n not in ORDER]
    if only:
        unknown = [n for n in only if n not in found]
        if unknown:
            sys.exit("unknown program(s): %s (available: %s)" % (", ".join(unknown), ", ".join(names)))
        names = [n for n in names if n in only]
    return names


def expected_output(name):
    """The checksum written as 'Expected output: X' in the header of NAME.sl."""
    try:
        with open(os.path.join(PROGRAMS_DIR, name + ".sl"), encoding="utf-8") as f:
            m = re.search(r"Expected output:\s*(\S+)", f.read())
    except OSError:
        return None
    return m.group(1) if m else None


def ensure_slight(args):
    """Return (path or None, note)."""
    if args.slight:
        path = os.path.abspath(args.slight)
        if not os.path.isfile(path):
            return None, "slight binary not found: %s" % path
        return path, None
    path = DEFAULT_SLIGHT
    if os.path.isfile(path):
        return path, None
    if args.no_build:
        return None, "%s missing and --no-build given" % path
    if shutil.which("cargo") is None:
        return None, "%s missing and cargo not found" % path
    print("%s not found; running `cargo build --release` ..." % os.path.relpath(path, REPO_ROOT), flush=True)
    r = subprocess.run(["cargo", "build", "--release"], cwd=REPO_ROOT)
    if r.returncode != 0:
        return None, "cargo build --release failed (exit %d)" % r.returncode
    if not os.path.isfile(path):
        return None, "cargo build --release succeeded but %s is still missing" % path
    return path, None


def find_lua(explicit):
    if explicit:
        return explicit
    for cand in ("lua5.4", "lua54", "lua"):
        if shutil.which(cand):
            return cand
    return "lua5.4"


def command(lang, name, slight, lua, python):
    src = name + EXT[lang]
    if lang == "slight":
        return [slight, "run", src]
    if lang == "lua":
        return [lua, src]
    return [python, src]


def run_once(cmd, timeout):
    """Run cmd in programs/; return (seconds, returncode, stdout, stderr)."""
    start = time.perf_counter()
    try:
        r = subprocess.run(
            cmd,
            cwd=PROGRAMS_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        err = e.stderr.decode("utf-8", "replace") if e.stderr else ""
        return time.perf_counter() - start, None, "", "timed out after %gs\n%s" % (timeout, err)
    except OSError as e:
        return time.perf_counter() - start, None, "", "could not start %s: %s" % (cmd[0], e)
    elapsed = time.perf_counter() - start
    return (
        elapsed,
        r.returncode,
        r.stdout.decode("utf-8", "replace"),
        r.stderr.decode("utf-8", "replace"),
    )


def normalize(out):
    return "\n".join(line.rstrip() for line in out.strip().splitlines())


def first_line(s):
    s = s.strip()
    return s.splitlines()[0] if s else ""


def tool_version(cmd):
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if r.returncode != 0:
        return None
    return first_line(r.stdout.decode("utf-8", "replace")) or None


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def machine_note(lua, python, slight):
    try:
        ncpu = len(os.sched_getaffinity(0))
    except AttributeError:
        ncpu = os.cpu_count()
    parts = ["nproc: %s" % ncpu]
    model = cpu_model()
    if model:
        parts.append("cpu: %s" % model)
    parts.append("os: %s %s" % (platform.system(), platform.machine()))
    lua_v = tool_version([lua, "-v"])
    if lua_v:
        lua_v = lua_v.split("  Copyright")[0].strip()
    parts.append("lua: %s" % (lua_v or "%s (version unknown)" % lua))
    parts.append("python: %s" % (tool_version([python, "--version"]) or "%s (version unknown)" % python))
    if slight:
        v = tool_version([slight, "--version"])
        parts.append("slight: %s" % (v if v and len(v) < 80 else os.path.relpath(slight, REPO_ROOT)))
    return parts


def fmt_time(t):
    return "-" if t is None else "%.3f" % t


def fmt_ratio(a, b):
    if a is None or b is None or b <= 0:
        return "-"
    return "%.2fx" % (a / b)


def bench(names, args, slight, lua, python):
    """Return a list of per-program result dicts."""
    results = []
    for name in names:
        expected = expected_output(name)
        res = {"name": name, "best": {}, "out": {}, "error": {}, "status": "ok", "notes": []}
        active = [l for l in LANGS if l != "slight" or slight]
        if not slight:
            res["error"]["slight"] = "no slight binary"
        print("%-10s" % name, end="", flush=True)
        for _ in range(args.runs):
            for lang in list(active):
                t, rc, out, err = run_once(command(lang, name, slight, lua, python), args.timeout)
                if rc != 0:
                    what = "timed out / did not start" if rc is None else "exit status %d" % rc
                    err = err.strip()
                    if len(err) > 3000:
                        err = err[:1500] + "\n[... %d characters elided ...]\n" % (len(err) - 3000) + err[-1500:]
                    res["error"][lang] = "%s: %s\n%s" % (lang, what, err)
                    active.remove(lang)  # do not keep re-running a failing program
                    continue
                out = normalize(out)
                prev = res["out"].get(lang)
                if prev is not None and prev != out:
                    res["notes"].append("%s printed different output on different runs" % lang)
                res["out"][lang] = out
                best = res["best"].get(lang)
                res["best"][lang] = t if best is None else min(best, t)
            print(".", end="", flush=True)
        print()

        outs = {l: o for l, o in res["out"].items() if l not in res["error"]}
        failed = [l for l in LANGS if l in res["error"] and not (l == "slight" and slight is None)]
        mismatch = len(set(outs.values())) > 1
        if not mismatch and expected is not None and outs and next(iter(outs.values())) != expected:
            mismatch = True
            res["notes"].append("all outputs differ from the expected %s" % expected)
        if mismatch:
            res["status"] = "MISMATCH"
            for lang in LANGS:
                if lang in outs:
                    mark = "" if expected is None or outs[lang] == expected else "   <-- expected %s" % expected
                    res["notes"].append("%s printed: %r%s" % (lang, outs[lang][:200], mark))
        if failed:
            res["status"] = "FAIL(%s)" % ",".join(failed) if not mismatch else "MISMATCH+FAIL"
        elif not mismatch and slight is None:
            res["status"] = "ok (no slight)"
        if res["notes"] and res["status"] == "ok":
            res["status"] = "WARN"
        # Timings of a failed program are meaningless.
        for lang in failed:
            res["best"].pop(lang, None)
        res["failed"] = failed
        results.append(res)
    return results


HEADER = ["program", "slight s", "lua s", "python s", "slight/lua", "slight/python", "check"]


def rows(results):
    out = []
    for r in results:
        b = r["best"]
        s, l, p = b.get("slight"), b.get("lua"), b.get("python")
        out.append([r["name"], fmt_time(s), fmt_time(l), fmt_time(p), fmt_ratio(s, l), fmt_ratio(s, p), r["status"]])
    return out


def print_text_table(results):
    body = rows(results)
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(HEADER)]

    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 or i == len(cells) - 1 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(line(HEADER))
    print("  ".join("-" * w for w in widths))
    for row in body:
        print(line(row))


def print_markdown_table(results, note, runs):
    body = rows(results)
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "|".join([":---"] + ["---:"] * (len(HEADER) - 2) + [":---:"]) + "|")
    for row in body:
        print("| " + " | ".join(row) + " |")
    print()
    print("Minimum wall-clock time of %d run%s per cell, process start-up included. %s."
          % (runs, "" if runs == 1 else "s", "; ".join(note)))


def main():
    args = parse_args()
    names = discover_programs(args.only)
    lua = find_lua(args.lua)
    slight, slight_problem = ensure_slight(args)

    note = machine_note(lua, args.python, slight)
    print("Machine: " + "; ".join(note))
    if slight_problem:
        print("WARNING: Slight will not be measured: " + slight_problem)
    print("Runs per cell: %d (minimum reported)\n" % args.runs)

    results = bench(names, args, slight, lua, args.python)

    print()
    print_text_table(results)

    problems = False
    for r in results:
        if r["status"] in ("ok", "ok (no slight)"):
            continue
        problems = True
        print()
        print("%s: %s" % (r["name"], r["status"]))
        for n in r["notes"]:
            print("  " + n)
        for lang in r["failed"]:
            print("  " + r["error"][lang].strip().replace("\n", "\n    "))

    if slight_problem and not args.no_build:
        problems = True
        print("\nSlight was not measured: " + slight_problem)

    print("\nMarkdown:\n")
    print_markdown_table(results, note, args.runs)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
