"""The limit on failed public look-ups holds across replicas (DESIGN.md, "Many replicas").

Two csopsd on one PostgreSQL database: ten wrong LookupProgress guesses from one client, spread
over both, use up its limit on both; the eleventh is RESOURCE_EXHAUSTED on either, even with
the right code. The database holds a digest of the client, not its address, and the count
runs on the database server's clock: once the failures are a minute old, the right code is
answered again. Always on PostgreSQL (the ctest name says so)."""
import os
import shutil
import tempfile
import unittest

import grpc

import pg_cluster
from csopsd_harness import CaseClient, Csopsd, case_pb2 as c

LIMIT = 10  # CaseService::kMaxLookupFailures


class ReplicasLookupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csops-replicas-lookup-")
        cluster = pg_cluster.shared()
        cls.database = cluster.new_database()
        cls.lookup_key = os.urandom(32).hex()
        cls.dsn_file = os.path.join(cls.tmp, "postgres.dsn")
        with open(cls.dsn_file, "w") as f:
            f.write(cluster.dsn(cls.database) + "\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def replica(self, name):
        # Every replica holds the one look-up secret (deploy/ copies it in before the start).
        data_dir = os.path.join(self.tmp, name)
        os.makedirs(data_dir, exist_ok=True)
        with open(os.open(os.path.join(data_dir, "case-lookup.key"),
                          os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(self.lookup_key + "\n")
        # The DSN flag names the shared database (the lane would give each its own).
        return Csopsd("--postgres-dsn-file=" + self.dsn_file, data_dir=data_dir)

    def psql(self, sql):
        out = pg_cluster.shared().psql(self.database, "SET search_path = csops_case; " + sql)
        return [line for line in out.splitlines() if line and line != "SET"]

    def lookup(self, client, number, code):
        """The status code of one look-up (OK on an answer)."""
        try:
            client.LookupProgress(acceptance_number=number, lookup_code=code)
            return grpc.StatusCode.OK
        except grpc.RpcError as e:
            return e.code()

    def test_ten_failures_spread_over_two_replicas_use_up_the_limit_on_both(self):
        a = self.replica("a").wait_serving()
        b = self.replica("b").wait_serving()
        ca, cb = CaseClient(a.grpc_addr), CaseClient(b.grpc_addr)
        try:
            created = ca.CreateCase(
                type_code="complaint", branch_id="taipei-south",
                applicant=c.Applicant(name="王小明", phone="0912345678", email="ming@example.com",
                                      preferred_channels=[c.NOTICE_CHANNEL_EMAIL]),
                received_via=c.RECEIVED_VIA_COUNTER, summary="停電多次", staff_id="E0042",
                idempotency_key="replicas-lookup-1")
            number, code = created.case.acceptance_number, created.lookup_code
            self.assertEqual(self.lookup(cb, number, code), grpc.StatusCode.OK)  # not counted

            codes = [self.lookup(ca if i % 2 == 0 else cb, number, "CCCCCCCCCC")
                     for i in range(LIMIT)]
            self.assertEqual(codes, [grpc.StatusCode.NOT_FOUND] * LIMIT)
            # Five on each: a limit per process would still let both through.
            self.assertEqual(self.lookup(ca, number, "CCCCCCCCCC"),
                             grpc.StatusCode.RESOURCE_EXHAUSTED)
            self.assertEqual(self.lookup(cb, number, code), grpc.StatusCode.RESOURCE_EXHAUSTED)
            self.assertEqual(self.lookup(ca, number, code), grpc.StatusCode.RESOURCE_EXHAUSTED)

            # Ten rows under one digest, and no address anywhere in the table.
            rows = self.psql("SELECT client FROM csops_lookup_failures")
            self.assertEqual(len(rows), LIMIT, rows)
            self.assertEqual(len(set(rows)), 1, rows)
            self.assertRegex(rows[0], r"^[0-9a-f]{64}$")
            self.assertNotIn("127.0.0.1", "".join(rows))

            # A minute later on the database server's clock, the right code is answered again.
            self.psql("UPDATE csops_lookup_failures SET at = at - interval '61 seconds'")
            self.assertEqual(self.lookup(cb, number, code), grpc.StatusCode.OK)
            self.assertEqual(self.lookup(ca, number, code), grpc.StatusCode.OK)
        finally:
            ca.close()
            cb.close()
            b.close()
            a.close()


if __name__ == "__main__":
    unittest.main()
