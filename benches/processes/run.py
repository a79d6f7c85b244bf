#!/usr/bin/env python3
"""Process benchmarks: Slight's scheduler against Erlang/OTP (BEAM).

The same three programs are written in Slight (NAME.sl) and Erlang (NAME.erl):

  idle      spawn N processes that each send `ready` to the main process and then wait in
            receive; then stop them all. Time to spawn N and see them all ready; memory per
            idle process.
  ring      a ring of N spawned processes passes an integer token around M times (N*M
            messages); messages per second over the passing phase (spawning excluded).
  pingpong  two spawned processes exchange M messages (M/2 round trips, an integer each way).

Every run is a fresh OS process (`slight run NAME.sl ARGS`, `erl -noshell -run NAME main
ARGS`). The programs time themselves with their own clock (`timer/now`,
`erlang:monotonic_time`), so the "time" columns EXCLUDE start-up (VM boot, reading and
compiling the program); the "wall" columns include it. Each figure is the minimum over
--runs runs, the languages interleaved. Erlang runs twice: with its default schedulers (one
per core) and with `+S 1` (one scheduler thread, like Slight).

Memory per idle process is measured three ways:
  * peak RSS: (peak RSS of the run with N idle processes - peak RSS of the run with 0) / N,
    peak RSS from wait4() of the child (same method for both languages);
  * VmRSS: the program reads /proc/self/status before spawning and when all are ready;
  * BEAM's own accounting: erlang:memory(processes) delta / N and process_info(P, memory).
Both RSS methods include what the benchmark itself keeps per process (a list of the pids
and the main process's mailbox of `ready` messages), in both languages alike.

Usage:
    python3 benches/processes/run.py [--runs N] [--idle N] [--ring N M] [--pingpong M]
                                     [--only idle|ring|pingpong]... [--slight PATH]
                                     [--no-build] [--timeout SECS]

Without --slight the binary is target/release/slight; if it is missing, `cargo build
--release` is run first (unless --no-build). The .erl files are compiled with erlc into a
temporary directory. Exit status 1 if any run fails or prints an unexpected result.
"""

import argparse
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_SLIGHT = os.path.join(REPO_ROOT, "target", "release", "slight")

# Configurations run for each benchmark: (column name, how to build the command).
CONFIGS = ["slight", "erlang", "erlang +S1"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3, help="runs per configuration (minimum kept)")
    p.add_argument("--idle", type=int, default=100_000, metavar="N", help="idle processes")
    p.add_argument("--ring", type=int, nargs=2, default=[10_000, 100], metavar=("N", "M"),
                   help="ring size and rounds")
    p.add_argument("--pingpong", type=int, default=1_000_000, metavar="M", help="messages exchanged")
    p.add_argument("--only", action="append", choices=["idle", "ring", "pingpong"])
    p.add_argument("--slight", default=DEFAULT_SLIGHT)
    p.add_argument("--no-build", action="store_true")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    return p.parse_args()


def build_slight(path, no_build):
    if os.path.exists(path):
        return
    if no_build:
        sys.exit(f"{path} does not exist (and --no-build was given)")
    print("building target/release/slight ...", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release"], cwd=REPO_ROOT, check=True)


def compile_erlang(outdir):
    if not shutil.which("erlc") or not shutil.which("erl"):
        sys.exit("erl/erlc not found: apt-get install -y erlang-base")
    files = sorted(f for f in os.listdir(HERE) if f.endswith(".erl"))
    subprocess.run(["erlc", "-o", outdir] + [os.path.join(HERE, f) for f in files], check=True)


def erl_version():
    r = subprocess.run(["erl", "-noshell", "-eval",
                        'io:format("OTP ~s, erts ~s", [erlang:system_info(otp_release), '
                        'erlang:system_info(version)]), halt().'],
                       capture_output=True, text=True)
    return r.stdout.strip()


def command(config, name, args, slight, beamdir):
    args = [str(a) for a in args]
    if config == "slight":
        return [slight, "run", os.path.join(HERE, name + ".sl")] + args
    flags = ["+S", "1"] if config == "erlang +S1" else []
    # -run runs in the init process's context; the program halts itself.
    return ["erl"] + flags + ["-noshell", "-pa", beamdir, "-run", name, "main"] + args


def run_once(cmd, timeout, cwd):
    """Runs cmd; returns (returncode, stdout, stderr, wall seconds, peak RSS in KB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
        killer = threading.Timer(timeout, lambda: os.kill(proc.pid, signal.SIGKILL))
        killer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (proc.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                wall, usage.ru_maxrss)


def fields(stdout):
    """`key value` lines → dict of floats (non-numeric values are kept as strings)."""
    d = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                d[parts[0]] = float(parts[1])
            except ValueError:
                d[parts[0]] = parts[1]
    return d


class Failure(Exception):
    pass


def measure_once(config, name, args, expect, opts, beamdir):
    """Runs one configuration once; returns its `key value` fields plus `wall` and `maxrss_kb`."""
    code, out, err, wall, rss = run_once(command(config, name, args, opts.slight, beamdir),
                                         opts.timeout, REPO_ROOT)
    f = fields(out)
    if code != 0:
        raise Failure(f"{config} {name} {args}: exit status {code}\n{out}\n{err}")
    for k, v in expect.items():
        if f.get(k) != v:
            raise Failure(f"{config} {name} {args}: expected {k} {v}, got {f.get(k)}\n{out}\n{err}")
    f["wall"] = wall
    f["maxrss_kb"] = float(rss)
    return f


def fmt_ms(x):
    return f"{x:,.0f} ms" if x >= 100 else f"{x:,.1f} ms"


def fmt_rate(x):
    return f"{x / 1e6:,.2f} M/s" if x >= 1e6 else f"{x / 1e3:,.0f} k/s"


def table(title, header, rows):
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


def main():
    opts = parse_args()
    only = set(opts.only or ["idle", "ring", "pingpong"])
    build_slight(opts.slight, opts.no_build)
    beamdir = tempfile.mkdtemp(prefix="slight-erl-")
    compile_erlang(beamdir)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Linux {platform.release()}; "
          f"{erl_version()}; {opts.runs} runs each, minimum kept")
    print("time = measured inside the program (start-up excluded); wall = whole OS process "
          "(start-up included)")
    failed = False
    results = {}

    def bench(key, name, args, expect):
        """Runs every configuration --runs times, interleaved; per key, the minimum over runs."""
        nonlocal failed
        res, bad = {}, set()
        for _ in range(opts.runs):
            for c in CONFIGS:
                if c in bad:
                    continue
                try:
                    f = measure_once(c, name, args, expect, opts, beamdir)
                except Failure as e:
                    print(f"FAILED: {e}", file=sys.stderr)
                    failed = True
                    bad.add(c)
                    res.pop(c, None)
                    continue
                best = res.setdefault(c, {})
                for k, v in f.items():
                    if isinstance(v, float):
                        best[k] = min(best.get(k, v), v)
        results[key] = res
        return res

    def ratio(a, b):
        return f"{a / b:.2f}" if a and b else "-"

    if "idle" in only:
        n = opts.idle
        full = bench("idle", "idle", [n], {"ready": float(n), "stopped": float(n)})
        empty = bench("idle0", "idle", [0], {"ready": 0.0, "stopped": 0.0})
        rows, mem_rows = [], []
        for c in CONFIGS:
            if c not in full or c not in empty:
                continue
            f, e = full[c], empty[c]
            rows.append([c, fmt_ms(f["spawn_ms"]), f"{f['spawn_ms'] * 1000 / n:.2f} µs",
                         fmt_ms(f["total_ms"]), fmt_ms(f["wall"] * 1000),
                         ratio(full["slight"]["spawn_ms"], f["spawn_ms"]) if "slight" in full else "-"])
            peak = (f["maxrss_kb"] - e["maxrss_kb"]) * 1024 / n
            vm = (f["rss_after_kb"] - f["rss_before_kb"]) * 1024 / n
            beam = "-"
            if "beam_processes_bytes_after" in f:
                beam = (f"{(f['beam_processes_bytes_after'] - f['beam_processes_bytes_before']) / n:,.0f} B"
                        f" (process_info: {f['beam_process_info_memory']:,.0f} B)")
            mem_rows.append([c, f"{peak:,.0f} B", f"{vm:,.0f} B", beam,
                             f"{f['maxrss_kb'] / 1024:,.1f} MB / {e['maxrss_kb'] / 1024:,.1f} MB"])
        table(f"idle: spawn {n:,} processes waiting in receive",
              ["", "spawn + all ready (time)", "per process", "incl. stopping all (time)", "wall",
               "Slight / this"], rows)
        table(f"memory per idle process ({n:,} processes)",
              ["", "peak RSS delta / N", "VmRSS delta / N", "BEAM erlang:memory(processes) delta / N",
               "peak RSS: N / 0 processes"], mem_rows)

    if "ring" in only:
        n, m = opts.ring
        res = bench("ring", "ring", [n, m], {"rounds": float(m), "messages": float(n * m)})
        rows = []
        for c in CONFIGS:
            if c not in res:
                continue
            f = res[c]
            rate = n * m / (f["pass_ms"] / 1000)
            rows.append([c, fmt_ms(f["spawn_ms"]), fmt_ms(f["pass_ms"]), fmt_rate(rate),
                         fmt_ms(f["wall"] * 1000),
                         ratio(res["slight"]["pass_ms"], f["pass_ms"]) if "slight" in res else "-"])
        table(f"ring: {n:,} processes, {m} rounds = {n * m:,} messages",
              ["", "spawn ring (time)", "pass (time)", "messages/s", "wall", "Slight / this (pass time)"],
              rows)

    if "pingpong" in only:
        m = opts.pingpong
        res = bench("pingpong", "pingpong", [m], {"messages": float(m), "last": float(m // 2 - 1)})
        rows = []
        for c in CONFIGS:
            if c not in res:
                continue
            f = res[c]
            rows.append([c, fmt_ms(f["pass_ms"]), fmt_rate(m / (f["pass_ms"] / 1000)),
                         fmt_ms(f["wall"] * 1000),
                         ratio(res["slight"]["pass_ms"], f["pass_ms"]) if "slight" in res else "-"])
        table(f"ping-pong: {m:,} messages between two processes",
              ["", "time", "messages/s", "wall", "Slight / this (time)"], rows)

    shutil.rmtree(beamdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
