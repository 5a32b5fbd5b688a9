"""Disk full: csopsd's data directory on a small tmpfs is filled up under a kiosk load. Writes
then fail with a clear UNAVAILABLE naming the full disk (nothing half-written: the ticket that
failed was not issued), csopsd keeps serving reads, and when space returns the same request
succeeds; after a restart every acknowledged ticket is there and the databases pass
PRAGMA integrity_check. Needs root (mount -t tmpfs); elsewhere it is skipped, saying why."""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from csopsd_harness import Csopsd, QueueClient, SERVING, queue_pb2  # noqa: E402

import grpc  # noqa: E402

BRANCH = "taipei-south"


class DiskFullTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="csops-diskfull-")
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(self.data)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", self.data],
                                 capture_output=True, text=True)
        if mounted.returncode != 0:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.skipTest("cannot mount a small tmpfs here: " + mounted.stderr.strip())
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.close()
        subprocess.run(["umount", self.data], capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def issue(self, queue, key):
        return queue.IssueTicket(branch_id=BRANCH, service_code="A",
                                 priority=queue_pb2.PRIORITY_CLASS_NORMAL,
                                 channel=queue_pb2.CHANNEL_KIOSK, idempotency_key=key)

    def fill(self):
        """Writes a filler file until the filesystem is full."""
        path = os.path.join(self.data, "filler")
        with open(path, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        return path

    def test_a_full_disk_gives_clear_errors_and_recovers_without_damage(self):
        self.server = Csopsd("--target=queue", data_dir=self.data).wait_serving()
        queue = QueueClient(self.server.grpc_addr)
        acked = {}
        for i in range(20):
            acked["before-%d" % i] = self.issue(queue, "before-%d" % i).ticket.number
        filler = self.fill()
        failure, i = None, 0
        while failure is None and i < 5000:
            key = "full-%d" % i
            try:
                acked[key] = self.issue(queue, key).ticket.number
            except grpc.RpcError as e:
                failure = (key, e)
            i += 1
        self.assertIsNotNone(failure, "writes never failed on a full disk")
        key, error = failure
        self.assertEqual(error.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertIn("full", error.details())
        # Reads go on; the process is alive and says so.
        self.assertEqual(self.server.health(""), SERVING)
        last = list(acked.values())[-1]
        self.assertEqual(queue.GetTicket(branch_id=BRANCH, ticket_number=last).ticket.number, last)
        # Space returns: the same request now succeeds, with the next number (none lost to the
        # failed attempt, none issued twice).
        os.remove(filler)
        number = self.issue(queue, key).ticket.number
        self.assertNotIn(number, acked.values())
        acked[key] = number
        digits = sorted(int(n[1:]) for n in acked.values())
        self.assertEqual(digits, list(range(1, len(digits) + 1)))
        queue.close()
        self.assertEqual(self.server.terminate(), 0)
        con = sqlite3.connect(os.path.join(self.data, "queue.db"))
        self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        con.close()
        self.server = Csopsd("--target=queue", data_dir=self.data).wait_serving()
        queue = QueueClient(self.server.grpc_addr)
        for k, n in acked.items():
            self.assertEqual(self.issue(queue, k).ticket.number, n, k)
        queue.close()
        print("\ndisk full: %d tickets acknowledged, first failure after %d writes on the full "
              "disk: %s" % (len(acked), i - 1, error.details()), flush=True)


if __name__ == "__main__":
    unittest.main()
