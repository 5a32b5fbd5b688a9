#!/usr/bin/python3
"""Case-service benchmark with a million open cases (issue 4). Run through run_case_bench.sh.

1. Writes a config of `--branches` synthetic branches (the acceptance number allows 9,999
   cases per branch and day), a burst branch and ten load branches, with the shipped case types.
2. Seeds `--cases` open cases with case_seed, plus `--burst` complaints whose first-reply 50 %
   warning falls in the same second, `--burst-in` seconds after seeding.
3. Starts csopsd --target=case three times on that data (first start, restart after SIGTERM,
   restart after kill -9): time from exec until Health/Check answers SERVING (the gRPC server
   starts only after the SLA timers are armed), and RSS.
4. Watches WatchSlaEvents for the burst: lateness of each warning (fired_at - due_at, and
   received - due_at at this client), p50/p99/max.
5. SIGHUP: time until every open case is recomputed and re-armed ("config_reloaded" logged).
6. loadgen: CreateCase vs Health/Check on the same server, one run.
Prints a Markdown summary. CSOPS_BENCH_PG_DIR=<dir of tools/loadgen/pg_server.sh start>:
csopsd on PostgreSQL (the seeded case.db moved there by csopsctl migrate; give --burst-in
room for the move). --smoke: tiny sizes in a temporary directory, about 15 s, to prove
the benchmark still runs (the suite's bench_smoke tests); its figures mean nothing.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("CSOPS_BUILD_DIR", "build"))
os.environ.setdefault("CSOPS_SOURCE_DIR", ROOT)
os.environ.setdefault("CSOPSD", os.path.join(BUILD, "services", "csopsd", "csopsd"))
os.environ.setdefault("CSOPSCTL", os.path.join(BUILD, "tools", "csopsctl", "csopsctl"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import grpc  # noqa: E402
import csopsd_harness as h  # noqa: E402


def case_types_section():
    """The shipped case types, and nothing after them: the sections that follow (notify, web)
    name files relative to deploy/ (templates/...) that are not beside the bench's config."""
    text = open(os.path.join(ROOT, "deploy", "csopsd.textproto"), encoding="utf-8").read()
    return text[text.index("case_types {"):text.index("\n# Notices to customers")] + "\n"


def write_config(path, branches):
    cal = os.path.join(ROOT, "deploy", "calendars", "tw-gov.textproto")
    lines = [f'calendars {{ name: "tw-gov" file: "{cal}" }}', "storage { synchronous: FULL }"]

    def branch(bid, code):
        lines.append(f'branches {{ id: "{bid}" name_zh_tw: "效能測試" case_code: "{code}" '
                     'calendar: "tw-gov" time_zone: "Asia/Taipei" '
                     'services { code: "A" name_zh_tw: "用電申請" } '
                     'counters { id: "1" services: ["A"] } }')

    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for i in range(branches):
        branch(f"seed{i:03d}", "S" + letters[i // 26] + letters[i % 26])
    branch("burst", "BURST"[:4])
    for i in range(10):
        branch(f"load{i}", "L" + letters[i])
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n" + case_types_section())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024


class Server:
    STORE = []  # ["--postgres-dsn-file=..."] on PostgreSQL

    def __init__(self, config, data_dir):
        self.addr = f"127.0.0.1:{free_port()}"
        self.log = open(os.path.join(data_dir, "csopsd.log"), "a", encoding="utf-8")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [os.environ["CSOPSD"], "--config=" + config, "--target=case", "--listen=" + self.addr,
             "--metrics-listen=127.0.0.1:0", "--http-listen=127.0.0.1:0", "--data-dir=" + data_dir,
             *Server.STORE],
            stdout=self.log, stderr=self.log)
        # Wait for the port with plain connects (gRPC's reconnect back-off would add seconds),
        # then ask Health.
        host, port = self.addr.split(":")
        while True:
            if self.proc.poll() is not None:
                raise SystemExit("csopsd exited; see " + self.log.name)
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
                break
            except OSError:
                time.sleep(0.005)
        self.channel = grpc.insecure_channel(self.addr)
        stub_health = self.channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=h.health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=h.health_pb2.HealthCheckResponse.FromString)
        while stub_health(h.health_pb2.HealthCheckRequest(service=""),
                          timeout=10).status != h.SERVING:
            time.sleep(0.005)
        self.answered_s = time.monotonic() - self.started

    def stop(self, sig):
        self.channel.close()
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)
        self.log.close()


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(len(v) * p / 100 + 0.999999) - 1))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--branches", type=int, default=120)
    ap.add_argument("--burst", type=int, default=1000)
    ap.add_argument("--burst-in", type=int, default=90)
    ap.add_argument("--data-dir", default=None, help="default var/bench-case")
    ap.add_argument("--no-reload", action="store_true",
                    help="skip step 5 (the SIGHUP reload), e.g. to measure the rest quickly")
    ap.add_argument("--loadgen-seconds", default="5")
    ap.add_argument("--loadgen-rounds", default="2")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes in a temporary directory: does the benchmark still run?")
    a = ap.parse_args()
    if a.smoke:
        for name, value in (("cases", 200), ("branches", 2), ("burst", 20), ("burst_in", 10),
                            ("loadgen_seconds", "1"), ("loadgen_rounds", "1")):
            if getattr(a, name) == ap.get_default(name):
                setattr(a, name, value)
    temporary = a.smoke and a.data_dir is None
    if temporary:
        a.data_dir = tempfile.mkdtemp(prefix="csops-bench-case-")
    elif a.data_dir is None:
        a.data_dir = os.path.join(ROOT, "var", "bench-case")
    try:
        return run(a)
    finally:
        if temporary:
            shutil.rmtree(a.data_dir, ignore_errors=True)


def run(a):
    subprocess.run(["rm", "-rf", a.data_dir], check=True)
    os.makedirs(a.data_dir)
    config = os.path.join(a.data_dir, "bench-case.textproto")
    write_config(config, a.branches)
    t = time.monotonic()
    seed = subprocess.run(
        [os.path.join(BUILD, "tools", "loadgen", "case_seed"), "--config=" + config,
         "--data-dir=" + a.data_dir, f"--cases={a.cases}", "--branch-prefix=seed",
         "--burst-branch=burst", f"--burst={a.burst}", f"--burst-in={a.burst_in}"],
        check=True, capture_output=True, text=True).stdout
    print(seed.strip())
    burst_at = int(re.search(r"unix (\d+)", seed).group(1))
    db_mib = os.path.getsize(os.path.join(a.data_dir, "case.db")) / 2**20
    print(f"seeding took {time.monotonic() - t:.0f} s; case.db {db_mib:.0f} MiB")
    pg_dir = os.environ.get("CSOPS_BENCH_PG_DIR")  # a server from tools/loadgen/pg_server.sh
    if pg_dir:
        # PostgreSQL: the seeded case.db moved by csopsctl migrate, then served from there.
        dsn_file = subprocess.run(
            [os.path.join(ROOT, "tools", "loadgen", "pg_server.sh"), "newdb", pg_dir,
             "bench_case"], check=True, capture_output=True, text=True).stdout.strip()
        t = time.monotonic()
        subprocess.run([os.path.join(BUILD, "tools", "csopsctl", "csopsctl"), "migrate",
                        "--from=" + a.data_dir, "--to-file=" + dsn_file, "--services=case"],
                       check=True, capture_output=True, text=True)
        print(f"csopsctl migrate to PostgreSQL took {time.monotonic() - t:.0f} s")
        Server.STORE = ["--postgres-dsn-file=" + dsn_file]

    print("\n| start | until Health answers SERVING | RSS after start |\n|---|---:|---:|")
    s = None
    for label, stop_sig in (("first start after seeding", signal.SIGTERM),
                            ("restart after SIGTERM", signal.SIGKILL),
                            ("restart after kill -9", None)):
        s = Server(config, a.data_dir)
        print(f"| {label} | {s.answered_s:.2f} s | {rss_mib(s.proc.pid):.0f} MiB |")
        if stop_sig is not None:
            s.stop(stop_sig)

    if time.time() > burst_at - 2:
        raise SystemExit("the restarts ran past the burst instant; raise --burst-in")
    received = []
    stub = s.channel.unary_stream(
        "/csops.case.v1.CaseService/WatchSlaEvents",
        request_serializer=h.case_pb2.WatchSlaEventsRequest.SerializeToString,
        response_deserializer=h.case_pb2.SlaEventNotice.FromString)
    stream = stub(h.case_pb2.WatchSlaEventsRequest(branch_id="burst"),
                  timeout=burst_at - time.time() + 60)

    def watch():
        try:
            for e in stream:
                received.append((time.time(), e))
                if len(received) == a.burst:
                    stream.cancel()
        except grpc.RpcError:
            pass

    watcher = threading.Thread(target=watch)
    watcher.start()
    watcher.join()
    warnings = [(r, e) for r, e in received if e.event == "warning_50"]
    due = [e.due_at.seconds + e.due_at.nanos / 1e9 for _, e in warnings]
    fired = [e.fired_at.seconds + e.fired_at.nanos / 1e9 - d for (_, e), d in zip(warnings, due)]
    got = [r - d for (r, _), d in zip(warnings, due)]
    print(f"\nburst: {len(warnings)} of {a.burst} warnings due at unix {burst_at} arrived; "
          f"{sum(1 for _, e in warnings if e.late)} marked late")
    if warnings:
        print("\n| lateness after the instant | p50 | p99 | max |\n|---|---:|---:|---:|")
        for name, v in (("fired_at (committed in the store)", fired),
                        ("received by a WatchSlaEvents client", got)):
            print(f"| {name} | {percentile(v, 50) * 1000:.0f} ms | "
                  f"{percentile(v, 99) * 1000:.0f} ms | {max(v) * 1000:.0f} ms |")
    print(f"\nRSS after the burst: {rss_mib(s.proc.pid):.0f} MiB")
    # SIGHUP: every open case's schedule is recomputed under the (unchanged) rules and re-armed.
    log_path = os.path.join(a.data_dir, "csopsd.log")
    before = open(log_path, encoding="utf-8").read().count("config_reloaded")
    t = time.monotonic()
    if not a.no_reload:
        s.proc.send_signal(signal.SIGHUP)
    while not a.no_reload and open(log_path, encoding="utf-8").read().count(
            "config_reloaded") == before:
        if s.proc.poll() is not None or time.monotonic() - t > 1800:
            raise SystemExit("the reload did not finish; see " + log_path)
        time.sleep(0.1)
    if not a.no_reload:
        print(f"SIGHUP reload, recomputing every open case: {time.monotonic() - t:.1f} s; "
              f"RSS after: {rss_mib(s.proc.pid):.0f} MiB\n")
    lg = subprocess.run(
        [os.path.join(BUILD, "tools", "loadgen", "loadgen"), "--addr=" + s.addr,
         "--rpc=create_case", "--type=complaint",
         "--branch=" + ",".join(f"load{i}" for i in range(10)), "--inflight=64",
         "--seconds=" + a.loadgen_seconds, "--rounds=" + a.loadgen_rounds],
        capture_output=True, text=True)
    print(lg.stdout.strip() + lg.stderr.strip())
    s.stop(signal.SIGTERM)
    return 0 if len(warnings) == a.burst and lg.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
