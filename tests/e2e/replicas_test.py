"""Replicas on one PostgreSQL database see each other (issue 18, membership).

Two csopsd --target=all share one database. `csopsctl info` on either lists both, live; after
kill -9 of one, the other lists it SILENT within five heartbeats and counts it in
csops_cluster_replicas{state="silent"}; restarted on its data directory it is the same replica,
live again; stopped cleanly it leaves the list. Always on PostgreSQL (the ctest name says so)."""
import os
import re
import shutil
import signal
import tempfile
import time
import unittest

import pg_cluster
from csopsd_harness import SOURCE_DIR, CaseClient, Csopsd, case_pb2 as c

HEARTBEAT_MS = 200
# A case type whose warnings come 0.6 s and 1.2 s after acceptance (sla_resume_test's).
SLA_CONFIG = os.path.join(SOURCE_DIR, "tests", "e2e", "configs", "sla.textproto")


def replicas(server):
    """{replica id: "live" | "SILENT"} from `csopsctl info` on `server`, and this one's id."""
    done = server.ctl("info")
    assert done.returncode == 0, done.stdout + done.stderr
    listed = {}
    this = None
    for line in done.stdout.splitlines():
        m = re.match(r"replica     (live|SILENT) +(\S+)  host .*", line)
        if m:
            listed[m.group(2)] = m.group(1)
            if line.endswith("(this one)"):
                this = m.group(2)
    return listed, this


def gauge(server, state):
    m = re.search(r'^csops_cluster_replicas\{state="%s"\} (\S+)$' % state, server.scrape(), re.M)
    return float(m.group(1)) if m else None


class ReplicasTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csops-replicas-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(cls.tmp, sub))
        cluster = pg_cluster.shared()
        cls.lookup_key = os.urandom(32).hex()
        cls.dsn_file = os.path.join(cls.tmp, "postgres.dsn")
        with open(cls.dsn_file, "w") as f:
            f.write(cluster.dsn(cluster.new_database()) + "\n")
        with open(os.path.join(SOURCE_DIR, "deploy", "csopsd.textproto"), encoding="utf-8") as f:
            text = f.read()
        old = "  busy_timeout_ms: 5000\n"
        assert old in text
        text = text.replace(old, old + '  postgres { dsn_file: "%s" heartbeat_ms: %d }\n'
                            % (cls.dsn_file, HEARTBEAT_MS))
        cls.config = os.path.join(cls.tmp, "csopsd.textproto")
        with open(cls.config, "w", encoding="utf-8") as f:
            f.write(text)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def replica(self, data_dir, config=None, dsn_file=None):
        # Every replica holds the one look-up secret (deploy/ copies it in before the start).
        os.makedirs(data_dir, exist_ok=True)
        key = os.path.join(data_dir, "case-lookup.key")
        if not os.path.exists(key):
            with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
                f.write(self.lookup_key + "\n")
        # The DSN flag names the shared database (the lane would give each its own).
        return Csopsd("--postgres-dsn-file=" + (dsn_file or self.dsn_file),
                      config=config or self.config,
                      data_dir=data_dir)

    def wait_for(self, what, predicate, timeout=15):
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            got = predicate()
            if got:
                return got
            time.sleep(0.1)
        self.fail("%s within %d s; last %r" % (what, timeout, got))

    def test_replicas_list_each_other_and_a_killed_one_turns_silent_until_it_returns(self):
        dir_a = os.path.join(self.tmp, "a")
        dir_b = os.path.join(self.tmp, "b")
        a = self.replica(dir_a).wait_serving()
        b = self.replica(dir_b).wait_serving()
        try:
            listed, id_a = replicas(a)
            _, id_b = replicas(b)
            # The default id is the host and the absolute data directory: stable, unique.
            self.assertTrue(id_a.endswith(":" + dir_a), id_a)
            self.assertTrue(id_b.endswith(":" + dir_b), id_b)
            self.assertEqual(listed, {id_a: "live", id_b: "live"})
            self.assertEqual(replicas(b)[0], listed)
            self.wait_for("a counts two live", lambda: gauge(a, "live") == 2)
            self.assertEqual(gauge(a, "silent"), 0)

            b.terminate(signal.SIGKILL)
            started = time.monotonic()
            self.wait_for("b listed silent", lambda: replicas(a)[0].get(id_b) == "SILENT")
            # Five heartbeats of silence, read on the next heartbeat: about 1.2 s here.
            self.assertLess(time.monotonic() - started, 5 * HEARTBEAT_MS / 1000 + 3)
            self.wait_for("a counts b silent", lambda: gauge(a, "silent") == 1)
            self.assertEqual(gauge(a, "live"), 1)

            b = self.replica(dir_b).wait_serving()  # the same replica: same data directory, same id
            self.assertEqual(replicas(a)[0], {id_a: "live", id_b: "live"})
            self.wait_for("a counts b live again", lambda: gauge(a, "silent") == 0)

            self.assertEqual(b.terminate(signal.SIGTERM), 0)
            self.assertEqual(replicas(a)[0], {id_a: "live"})  # a clean stop leaves the list
            self.assertIn("cluster_left", b.stderr())
        finally:
            b.close()
            a.close()

    def test_events_of_cases_armed_on_a_killed_replica_fire_on_the_other(self):
        # A database of their own: the membership test counts the replicas of the other.
        cluster = pg_cluster.shared()
        dsn_file = os.path.join(self.tmp, "sla.dsn")
        with open(dsn_file, "w") as f:
            f.write(cluster.dsn(cluster.new_database()) + "\n")
        a = self.replica(os.path.join(self.tmp, "sla-a"), SLA_CONFIG, dsn_file).wait_serving()
        b = self.replica(os.path.join(self.tmp, "sla-b"), SLA_CONFIG, dsn_file).wait_serving()
        client_a, client_b = CaseClient(a.grpc_addr), CaseClient(b.grpc_addr)
        try:
            numbers = [client_b.CreateCase(
                type_code="quick", branch_id="crash", applicant=c.Applicant(name="x"),
                received_via=c.RECEIVED_VIA_WEB, summary="s", staff_id="E1",
                idempotency_key="k%d" % i).case.acceptance_number for i in range(3)]
            b.terminate(signal.SIGKILL)  # before the first warning, 0.6 s after acceptance
            client_b.close()

            def fired(number):
                history = client_a.GetCase(acceptance_number=number).case.history
                return [h for h in history if h.kind == "sla"]

            # Only b's queue held them; a's sweep finds them a second overdue and fires each
            # event once, at most grace + sweep period (2 s) late, well inside a lease period.
            self.wait_for("a fires b's events",
                          lambda: all(len(fired(n)) == 2 for n in numbers), timeout=20)
            time.sleep(1.5)  # further sweeps repeat nothing
            for number in numbers:
                case = client_a.GetCase(acceptance_number=number).case
                accepted = case.accepted_at.seconds + case.accepted_at.nanos / 1e9
                notes = sorted(h.note for h in fired(number))
                self.assertEqual(notes, ["quick warning_1", "quick warning_2"], number)
                for h in fired(number):
                    late = h.at.seconds + h.at.nanos / 1e9 - accepted
                    self.assertLess(late, 1.2 + 5, (number, h.note, late))
        finally:
            client_a.close()
            b.close()
            a.close()

    def test_a_replica_id_from_the_config_is_checked_and_used(self):
        with open(self.config, encoding="utf-8") as f:
            text = f.read()
        named = os.path.join(self.tmp, "named.textproto")
        with open(named, "w", encoding="utf-8") as f:
            f.write(text.replace("server {\n", 'server {\n  replica_id: "app-7"\n', 1))
        server = self.replica(os.path.join(self.tmp, "named"), named).wait_serving()
        try:
            listed, this = replicas(server)
            self.assertEqual(this, "app-7")
            self.assertEqual(listed["app-7"], "live")
            self.assertEqual(server.terminate(signal.SIGTERM), 0)  # leaves the list
        finally:
            server.close()
        bad = os.path.join(self.tmp, "bad.textproto")
        with open(bad, "w", encoding="utf-8") as f:
            f.write(text.replace("server {\n", 'server {\n  replica_id: "app 7"\n', 1))
        failed = self.replica(os.path.join(self.tmp, "bad"), bad)
        try:
            self.assertEqual(failed.proc.wait(timeout=30), 2)
            self.assertIn("server.replica_id: 'app 7' must be 1-64 of", failed.stderr())
        finally:
            failed.close()


if __name__ == "__main__":
    unittest.main()
