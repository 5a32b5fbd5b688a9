"""A provider's rate limit holds for the whole deployment, not per replica (issue 18).

Three csopsd --target=notify share one PostgreSQL database and one JSON SMS provider limited
to RATE a second. Each replica accepts a third of the notices, all due at one instant, so all
three dispatch at once; a local provider notes when each send arrives. Together they send at
the limit (within 5 %: over the whole run and over every one-second window), where three
per-process limits would send at three times it; each replica sends some, and each asked the
database for runs of send slots (csops_notify_rate_grants_total). Always on PostgreSQL (the
ctest name says so)."""
import json
import os
import re
import shutil
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pg_cluster
from csopsd_harness import EXAMPLE_CONFIG, SOURCE_DIR, Csopsd, NotifyClient, notify_pb2 as n

RATE = 100         # the provider's rate_per_second
PER_REPLICA = 250  # notices each replica accepts: 7.5 s at the limit
REPLICAS = 3


class TimedProvider:
    """A JSON SMS webhook that answers every send at once and notes when it arrived."""

    def __init__(self):
        self.lock = threading.Lock()
        self.arrivals = []  # time.monotonic() of each send
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.arrivals.append(time.monotonic())
                    body = json.dumps({"id": "J%d" % len(outer.arrivals)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def times(self):
        with self.lock:
            return sorted(self.arrivals)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def config(provider_url):
    with open(EXAMPLE_CONFIG, encoding="utf-8") as f:
        base = f.read()
    base = base[:base.index("\n# Notices to customers")]
    return base + f'''
notify {{
  templates_dir: "templates"
  quiet_start: "00:00"
  quiet_end: "00:00"
  workers: 16
  kinds {{ name: "bill_unpaid" }}
  providers {{ name: "sms" kind: JSON_SMS url: "{provider_url}/json-sms" timeout_ms: 2000
              rate_per_second: {RATE} max_concurrency: 8 }}
}}
'''


def bill(key, due):
    req = n.SendRequest(
        idempotency_key=key, kind="bill_unpaid", locale="zh-TW",
        recipient=n.Recipient(customer_number="01234567890", name="王小明", mobile="0912345678"),
        variables={"bill_month": "115年10月", "amount": "1,234", "due_date": "2026-12-05",
                   "customer_number": "01234567890"},
        policy=n.ChannelPolicy(mode=n.ChannelPolicy.EXPLICIT, channels=[n.CHANNEL_SMS]))
    req.send_after.seconds = due
    return req


def busiest_second(times):
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= 1.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def counter(text, name, provider):
    """The sum of the family's series for `provider`."""
    return sum(float(v) for v in re.findall(
        r'^%s\{[^}]*provider="%s"[^}]*\} (\S+)$' % (name, provider), text, re.M))


class ReplicasRateLimitTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csops-replicas-rate-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(cls.tmp, sub))
        cls.provider = TimedProvider()
        cls.config = os.path.join(cls.tmp, "csopsd.textproto")
        with open(cls.config, "w", encoding="utf-8") as f:
            f.write(config(cls.provider.url))
        cluster = pg_cluster.shared()
        cls.dsn_file = os.path.join(cls.tmp, "postgres.dsn")
        with open(cls.dsn_file, "w") as f:
            f.write(cluster.dsn(cluster.new_database()) + "\n")

    @classmethod
    def tearDownClass(cls):
        cls.provider.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_three_replicas_send_at_the_limit_together(self):
        # The DSN flag names the shared database (the lane would give each its own).
        servers = [Csopsd("--target=notify", "--postgres-dsn-file=" + self.dsn_file,
                          config=self.config, data_dir=os.path.join(self.tmp, "r%d" % i))
                   for i in range(REPLICAS)]
        clients = []
        try:
            for s in servers:
                s.wait_serving()
                clients.append(NotifyClient(s.grpc_addr))
            # All due at one instant, after every batch is in: every replica has woken on its
            # own batch and sleeps until then, so all three dispatch from the same moment.
            due = int(time.time()) + 4
            for i, client in enumerate(clients):
                summary = client.SendBatch(
                    bill("rate-%d-%d" % (i, k), due) for k in range(PER_REPLICA))
                self.assertEqual(summary.accepted, PER_REPLICA, summary)
            self.assertLess(time.time(), due, "the batches took too long to send")
            total = REPLICAS * PER_REPLICA
            deadline = time.monotonic() + 60
            while len(self.provider.times()) < total and time.monotonic() < deadline:
                time.sleep(0.2)
            times = self.provider.times()
            self.assertEqual(len(times), total, "not every notice reached the provider")

            elapsed = times[-1] - times[0]
            rate = (len(times) - 1) / elapsed
            busiest = busiest_second(times)
            print("%d sends in %.2f s: %.1f/s against a limit of %d/s; busiest second %d"
                  % (len(times), elapsed, rate, RATE, busiest))
            self.assertLessEqual(rate, RATE * 1.05)
            self.assertGreaterEqual(rate, RATE * 0.95)
            self.assertLessEqual(busiest, RATE * 1.05)

            for i, s in enumerate(servers):
                text = s.scrape()
                sent = counter(text, "csops_notify_attempts_total", "sms")
                grants = counter(text, "csops_notify_rate_grants_total", "sms")
                print("replica %d: %d attempts, %d grants" % (i, sent, grants))
                self.assertGreater(sent, total / 20, "replica %d sent almost nothing" % i)
                self.assertGreater(grants, 0)
        finally:
            for c in clients:
                c.close()
            for s in servers:
                s.close()


if __name__ == "__main__":
    unittest.main()
