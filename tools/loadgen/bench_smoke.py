#!/usr/bin/python3
"""Runs one benchmark in its smoke mode (CSOPS_BENCH_SMOKE=1: tiny sizes, seconds) and fails
unless it exits 0 and prints its figures, so a benchmark cannot stop working unnoticed.

  bench_smoke.py [--positive REGEX]... [--present REGEX]... [--timeout S] -- COMMAND [ARG]...

Each --positive REGEX must match a line of the output (re.M) and its first group must be a
number above 0 (a throughput, a count); each --present REGEX must match a line and its first
group must be a number (a duration that may round to 0). "{tmp}" in COMMAND's arguments
becomes a fresh temporary directory, removed afterwards.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--positive", action="append", default=[])
    ap.add_argument("--present", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    command = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not command or not (a.positive or a.present):
        ap.error("a command and at least one figure to expect are required")
    tmp = tempfile.mkdtemp(prefix="csops-bench-smoke-")
    try:
        env = dict(os.environ, CSOPS_BENCH_SMOKE="1")
        try:
            r = subprocess.run([arg.replace("{tmp}", tmp) for arg in command], env=env,
                               capture_output=True, text=True, timeout=a.timeout)
        except subprocess.TimeoutExpired as e:
            print((e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes)
                  else e.stdout or "")
            print(f"bench_smoke: FAIL: {command[0]} ran past {a.timeout:.0f} s")
            return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.stdout.write(r.stdout)
    sys.stdout.write(r.stderr)
    failures = []
    if r.returncode != 0:
        failures.append(f"exit code {r.returncode}")
    for pattern, need_positive in [(p, True) for p in a.positive] + [(p, False) for p in a.present]:
        m = re.search(pattern, r.stdout, re.M)
        if not m:
            failures.append(f"no figure matching {pattern!r}")
            continue
        try:
            value = float(m.group(1).replace(",", ""))
        except (IndexError, ValueError):
            failures.append(f"{pattern!r} matched {m.group(0)!r} without a number")
            continue
        if need_positive and not value > 0:
            failures.append(f"{m.group(0)!r}: the figure is not above 0")
    if failures:
        print("bench_smoke: FAIL: " + "; ".join(failures))
        return 1
    print(f"bench_smoke: ok ({len(a.positive) + len(a.present)} figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
