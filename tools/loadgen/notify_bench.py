#!/usr/bin/python3
"""Notify benchmark (issue 5). Run through run_notify_bench.sh.

Against csopsd --target=notify (synchronous FULL) and tools/loadgen/fake_provider (a local
JSON SMS provider), all on this machine:
  1. Send vs Health/Check, one loadgen run (64 in flight).
  2. SendBatch of --batch notices (default 1,000,000), due an hour later so nothing dispatches
     meanwhile: time until the summary, i.e. until every notice is durable.
  3. Dispatch: --dispatch notices due a few seconds after they are accepted, no rate limit:
     messages per second the provider receives, from its first to its last request.
  4. Rate limit: a fresh server and provider with rate_per_second --rate; the provider's
     per-second counts over the steady part of the run against the configured rate.
Prints a Markdown summary. --smoke: a few thousand notices in a temporary directory, about 15 s,
to prove the benchmark still runs (the suite's bench_smoke tests); its figures mean nothing.
CSOPS_BENCH_PG_DIR=<dir of tools/loadgen/pg_server.sh start>: each csopsd on a fresh database
of that PostgreSQL server instead of SQLite (CSOPS_BENCH_PG_MAX_BATCH=N with it sets
storage.postgres.max_batch; 1: no group commit).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("CSOPS_BUILD_DIR", "build"))
CSOPSD = os.path.join(BUILD, "services", "csopsd", "csopsd")
LOADGEN = os.path.join(BUILD, "tools", "loadgen", "loadgen")
FAKE = os.path.join(BUILD, "tools", "loadgen", "fake_provider")


def start_provider(tmp, name):
    port_file = os.path.join(tmp, name + ".port")
    proc = subprocess.Popen([FAKE, "--port=0", "--port-file=" + port_file],
                            stdout=subprocess.DEVNULL)
    while not os.path.exists(port_file):
        time.sleep(0.02)
    return proc, "http://127.0.0.1:" + open(port_file).read().strip()


def stats(url):
    with urllib.request.urlopen(url + "/stats", timeout=30) as r:
        return json.loads(r.read())


def start_csopsd(tmp, name, provider_url, workers, rate):
    with open(os.path.join(ROOT, "deploy", "csopsd.textproto"), encoding="utf-8") as f:
        base = f.read()
    base = base[:base.index("\n# Notices to customers")]
    rate_line = f"rate_per_second: {rate}" if rate else ""
    cfg = os.path.join(tmp, name + ".textproto")
    with open(cfg, "w", encoding="utf-8") as f:
        f.write(base + f'''
notify {{
  quiet_start: "00:00"
  quiet_end: "00:00"
  workers: {workers}
  kinds {{ name: "bill_unpaid" }}
  providers {{ name: "fast_sms" kind: JSON_SMS url: "{provider_url}/json-sms"
              max_concurrency: {workers} {rate_line} }}
}}
''')
    data = os.path.join(tmp, name + "-data")
    os.makedirs(data)
    out = open(os.path.join(tmp, name + ".log"), "w")
    store = []
    pg_dir = os.environ.get("CSOPS_BENCH_PG_DIR")  # a server from tools/loadgen/pg_server.sh
    if pg_dir:
        dsn_file = subprocess.run(
            [os.path.join(ROOT, "tools", "loadgen", "pg_server.sh"), "newdb", pg_dir,
             "bench_" + name], check=True, capture_output=True, text=True).stdout.strip()
        store = ["--postgres-dsn-file=" + dsn_file]
        max_batch = os.environ.get("CSOPS_BENCH_PG_MAX_BATCH")  # 1: no group commit
        if max_batch:
            with open(cfg, encoding="utf-8") as f:
                text = f.read()
            assert "  # postgres {\n" in text
            text = text.replace("  # postgres {\n", '  postgres { dsn_file: "%s" max_batch: %d }\n'
                                "  # postgres {\n" % (dsn_file, int(max_batch)), 1)
            with open(cfg, "w", encoding="utf-8") as f:
                f.write(text)
            store = []
    proc = subprocess.Popen([CSOPSD, "--config=" + cfg, "--target=notify", "--listen=127.0.0.1:0",
                             "--metrics-listen=127.0.0.1:0", "--http-listen=127.0.0.1:0",
                             "--data-dir=" + data, *store],
                            stdout=out, stderr=out)
    addr = None
    while addr is None:
        if proc.poll() is not None:
            raise SystemExit("csopsd exited; see " + out.name)
        m = re.search(r"gRPC API : (\S+)", open(out.name).read())
        addr = m.group(1) if m else None
        time.sleep(0.05)
    return proc, addr


def loadgen(*args):
    r = subprocess.run([LOADGEN, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("loadgen failed: " + r.stdout + r.stderr)
    return r.stdout.strip()


def wait_accepted(url, want, timeout):
    deadline = time.monotonic() + timeout
    s = stats(url)
    while s["accepted"] < want and time.monotonic() < deadline:
        time.sleep(0.25)
        s = stats(url)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=1_000_000)
    ap.add_argument("--dispatch", type=int, default=200_000)
    ap.add_argument("--rate", type=int, default=500)
    ap.add_argument("--rate-count", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=64)
    ap.add_argument("--loadgen-seconds", default="4")
    ap.add_argument("--loadgen-rounds", default="2")
    ap.add_argument("--dispatch-delay", type=int, default=None,
                    help="seconds from acceptance to due (default: 5 + 1 per 10,000 notices)")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes in a temporary directory: does the benchmark still run?")
    a = ap.parse_args()
    if a.smoke:
        for name, value in (("batch", 2000), ("dispatch", 500), ("rate", 100),
                            ("rate_count", 300), ("workers", 4), ("loadgen_seconds", "1"),
                            ("loadgen_rounds", "1"), ("dispatch_delay", 2)):
            if getattr(a, name) == ap.get_default(name):
                setattr(a, name, value)
    delay = a.dispatch_delay if a.dispatch_delay is not None else max(5, a.dispatch // 10000 + 5)
    tmp = tempfile.mkdtemp(prefix="csops-notify-bench-",
                           dir=None if a.smoke else os.path.join(ROOT, "var"))
    for sub in ("calendars", "templates"):
        os.symlink(os.path.join(ROOT, "deploy", sub), os.path.join(tmp, sub))
    procs = []
    try:
        provider, url = start_provider(tmp, "provider")
        procs.append(provider)
        server, addr = start_csopsd(tmp, "main", url, a.workers, 0)
        procs.append(server)
        print(loadgen("--addr=" + addr, "--rpc=send", "--delay-s=7200", "--inflight=64",
                      "--seconds=" + a.loadgen_seconds, "--rounds=" + a.loadgen_rounds))
        print()
        print(loadgen("--addr=" + addr, "--rpc=send_batch", f"--count={a.batch}",
                      "--delay-s=7200"))
        # Dispatch: accepted first (due 5 s after the batch is expected to end), then sent.
        print(loadgen("--addr=" + addr, "--rpc=send_batch", f"--count={a.dispatch}",
                      f"--delay-s={delay}"))
        wait = 60 if a.smoke else 600
        s = wait_accepted(url, a.dispatch, wait)
        complete = s["accepted"] >= a.dispatch
        took = (s["last_ms"] - s["first_ms"]) / 1000
        print(f"\ndispatch: {s['accepted']} of {a.dispatch} notices reached the provider in "
              f"{took:.1f} s = {s['accepted'] / max(took, 1e-9):.0f} messages/s "
              f"({a.workers} workers, no rate limit; duplicates {s['duplicates']})")
        server.terminate()
        server.wait()
        # Rate limit.
        provider2, url2 = start_provider(tmp, "provider2")
        procs.append(provider2)
        server2, addr2 = start_csopsd(tmp, "rated", url2, a.workers, a.rate)
        procs.append(server2)
        loadgen("--addr=" + addr2, "--rpc=send_batch", f"--count={a.rate_count}",
                f"--delay-s={min(delay, 5)}")
        s = wait_accepted(url2, a.rate_count, wait)
        complete = complete and s["accepted"] >= a.rate_count
        steady = s["per_second"][1:-1]  # whole seconds only
        mean = sum(steady) / max(len(steady), 1)
        worst = max(abs(x - a.rate) for x in steady) if steady else 0
        print(f"\nrate limit {a.rate}/s: {s['accepted']} messages; mean over {len(steady)} whole "
              f"seconds {mean:.1f}/s ({100 * (mean - a.rate) / a.rate:+.2f}%), worst second "
              f"{100 * worst / a.rate:.1f}% off")
        return 0 if complete else 1
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
