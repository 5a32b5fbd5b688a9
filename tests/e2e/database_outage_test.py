"""The PostgreSQL server stopped for 10 s under the chaos suite's mixed load, then started.

Runs in the PostgreSQL lane (ctest -L postgres; CSOPS_E2E_STORE=postgres). While the server is
down (pg_ctl stop -m immediate, as a crash would leave it):

* calls get UNAVAILABLE with a message naming the database, never the connection string;
* each service's gRPC health turns NOT_SERVING, and SERVING again once the server is back;
* csopsd reconnects by itself (the same process serves before, during and after);
* afterwards everything acknowledged is there, no number was issued twice, no SLA event fired
  twice and every acknowledged notice reaches the gateway (the chaos suite's checks).
"""
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "chaos"))
import grpc  # noqa: E402

import pg_cluster  # noqa: E402
from chaos_test import BRANCH, MixedLoad  # noqa: E402
from csopsd_harness import CSOPS_SERVICES, SERVING, QueueClient, queue_pb2  # noqa: E402

OUTAGE_SECONDS = 10


class DatabaseOutageTest(MixedLoad):
    def wait_health(self, serving, timeout):
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            seen = {name: self.server.health(full) for name, full in CSOPS_SERVICES.items()}
            if all((s == SERVING) == serving for s in seen.values()):
                return time.monotonic()
            time.sleep(0.1)
        raise AssertionError("health did not turn %s: %s"
                             % ("SERVING" if serving else "NOT_SERVING", seen))

    def test_mixed_load_rides_out_a_database_outage(self):
        if not pg_cluster.wanted():
            self.skipTest("the PostgreSQL lane only (CSOPS_E2E_STORE=postgres)")
        self.start()
        pid = self.server.proc.pid
        acked, stop, workers = self.run_load()
        errors = []
        try:
            time.sleep(3)
            with acked.lock:
                before = len(acked.tickets) + len(acked.cases) + len(acked.notices)
            self.assertGreater(before, 0, "the load did not get going")
            cluster = pg_cluster.shared()
            down_at = time.monotonic()
            cluster.stop()
            self.wait_health(serving=False, timeout=5)
            queue = QueueClient(self.server.grpc_addr)
            while time.monotonic() - down_at < OUTAGE_SECONDS:
                try:
                    queue.IssueTicket(timeout=2, branch_id=BRANCH, service_code="A",
                                      priority=queue_pb2.PRIORITY_CLASS_NORMAL,
                                      channel=queue_pb2.CHANNEL_KIOSK,
                                      idempotency_key="outage-%f" % time.monotonic())
                    errors.append("an IssueTicket succeeded while the database was down")
                except grpc.RpcError as e:
                    if e.code() != grpc.StatusCode.UNAVAILABLE:
                        errors.append("%s: %s" % (e.code(), e.details()))
                    elif "PostgreSQL database 'queue'" not in e.details():
                        errors.append("the message does not name the database: " + e.details())
                    elif "host=" in e.details() or "dbname=" in e.details():
                        errors.append("the connection string leaked: " + e.details())
                time.sleep(0.5)
            queue.close()
            cluster.start()
            up_at = self.wait_health(serving=True, timeout=20)
            print("\noutage: down %.1f s; SERVING again %.1f s after the server started"
                  % (OUTAGE_SECONDS, up_at - down_at - OUTAGE_SECONDS), flush=True)
            with acked.lock:
                at_restart = len(acked.tickets) + len(acked.cases) + len(acked.notices)
            time.sleep(3)
            with acked.lock:
                after = len(acked.tickets) + len(acked.cases) + len(acked.notices)
            self.assertGreater(after, at_restart, "the load did not resume")
        finally:
            stop.set()
            for w in workers:
                w.join(timeout=60)
        self.assertEqual(errors, [])
        self.assertEqual(self.server.proc.poll(), None, "csopsd exited")
        self.assertEqual(self.server.proc.pid, pid)
        self.verify(acked)


if __name__ == "__main__":
    unittest.main()
