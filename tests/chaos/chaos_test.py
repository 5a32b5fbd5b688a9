"""Fault suite: a mixed workload (kiosks issuing, counters calling and completing, staff creating
and moving cases, billing sending notices to a local SMS gateway) while csopsd is killed with
SIGKILL at random moments and restarted, CHAOS_KILLS times (default 20); halfway through the
SMS gateway is also down (503) for three kills' time. Then:

* every acknowledged ticket, case, transition and notice is there;
* no ticket number was issued twice;
* no SLA event fired twice (case_sla_events and the SLA history lines, per case and target);
* every acknowledged notice reached the gateway, and the ones it got twice are at most the
  sends that can be in flight at a kill (notify workers x kills);
* each database passes PRAGMA integrity_check.

Prints the figures (kills, operations checked, duplicates) for docs/RELIABILITY.md.
Run alone: CSOPSD=... CSOPSCTL=... /usr/bin/python3 tests/chaos/chaos_test.py"""
import os
import random
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from csopsd_harness import (SOURCE_DIR, CaseClient, Csopsd, NotifyClient,  # noqa: E402
                            QueueClient, case_pb2, notify_pb2 as n, queue_pb2)
from fake_providers import ProviderServer, SmtpServer  # noqa: E402
from notify_e2e_test import bill, notify_config  # noqa: E402

import grpc  # noqa: E402

KILLS = int(os.environ.get("CHAOS_KILLS", "20"))
BRANCH = "taipei-south"
WORKERS = 8  # notify.workers in notify_config(): sends in flight at most per kill


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Acked:
    """What csopsd acknowledged, recorded only when an answer arrived."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tickets = {}      # idempotency key -> (service, number)
        self.cases = {}        # idempotency key -> acceptance number
        self.moved = set()     # acceptance numbers acknowledged in_progress
        self.notices = {}      # idempotency key -> notification id
        self.completed = set()  # ticket numbers acknowledged completed
        self.errors = 0        # calls that failed (retried with the same key)


def retrying(call, stop):
    """Calls until an answer comes (csopsd may be down); returns it, or None when stopping."""
    while not stop.is_set():
        try:
            return call()
        except grpc.RpcError as e:
            if e.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                                grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN,
                                grpc.StatusCode.INTERNAL):
                raise
            time.sleep(0.05)
    return None


class MixedLoad(unittest.TestCase):
    """The workload and the checks, shared with the database-outage test
    (tests/e2e/database_outage_test.py); no test of its own."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="csops-chaos-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(self.tmp, sub))
        self.gateway = ProviderServer()
        self.smtp = SmtpServer(self.tmp)
        self.config = os.path.join(self.tmp, "csopsd.textproto")
        with open(self.config, "w", encoding="utf-8") as f:
            # Complaints' 72 h first reply on the 24x7 clock becomes a minute, so SLA warnings
            # and breaches fire during the run.
            # Notices retry every second for as long as the gateway's outage lasts.
            f.write(notify_config(self.gateway.url, self.smtp).replace(
                "business_minutes: 4320 clock: ALWAYS", "business_minutes: 1 clock: ALWAYS")
                .replace("max_attempts: 5", "max_attempts: 1000"))
        self.data = os.path.join(self.tmp, "data")
        self.grpc_port = free_port()
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.close()
        self.smtp.close()
        self.gateway.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self):
        self.server = Csopsd("--listen=127.0.0.1:%d" % self.grpc_port, config=self.config,
                             data_dir=self.data).wait_serving()

    def kiosk(self, acked, stop, tag):
        queue = QueueClient("127.0.0.1:%d" % self.grpc_port)
        i = 0
        while not stop.is_set():
            key = "%s-%d" % (tag, i)
            service = "ABCD"[i % 4]
            r = retrying(lambda: queue.IssueTicket(
                timeout=2, branch_id=BRANCH, service_code=service,
                priority=queue_pb2.PRIORITY_CLASS_NORMAL, channel=queue_pb2.CHANNEL_KIOSK,
                idempotency_key=key), stop)
            if r is None:
                break
            with acked.lock:
                acked.tickets[key] = (service, r.ticket.number)
            i += 1
            time.sleep(0.05)  # a busy hall, within the day's 999 numbers per service
        queue.close()

    def counter(self, acked, stop, counter_id):
        queue = QueueClient("127.0.0.1:%d" % self.grpc_port)
        retrying(lambda: queue.OpenCounter(timeout=2, branch_id=BRANCH, counter_id=counter_id,
                                           staff_id="E" + counter_id), stop)
        while not stop.is_set():
            try:
                called = queue.CallNext(timeout=2, branch_id=BRANCH, counter_id=counter_id)
                if not called.called:
                    time.sleep(0.05)
                    continue
                number = called.ticket.number
                queue.StartServing(timeout=2, branch_id=BRANCH, counter_id=counter_id,
                                   ticket_number=number)
                queue.Complete(timeout=2, branch_id=BRANCH, counter_id=counter_id,
                               ticket_number=number, outcome=queue_pb2.OUTCOME_RESOLVED, rating=5)
                with acked.lock:
                    acked.completed.add(number)
            except grpc.RpcError as e:
                # Down, or the state moved on across a restart (e.g. the counter holds a ticket
                # from before): re-open, finish what it holds, go on.
                with acked.lock:
                    acked.errors += 1
                time.sleep(0.05)
                try:
                    queue.OpenCounter(timeout=2, branch_id=BRANCH, counter_id=counter_id,
                                      staff_id="E" + counter_id)
                except grpc.RpcError:
                    pass
                snap = None
                try:
                    snap = queue.GetBranchSnapshot(timeout=2, branch_id=BRANCH).snapshot
                except grpc.RpcError:
                    continue
                for c in snap.counters:
                    if c.counter_id == counter_id and c.current_ticket:
                        for step in (queue.StartServing, queue.Complete):
                            try:
                                extra = {"outcome": queue_pb2.OUTCOME_RESOLVED} \
                                    if step == queue.Complete else {}
                                step(timeout=2, branch_id=BRANCH, counter_id=counter_id,
                                     ticket_number=c.current_ticket, **extra)
                            except grpc.RpcError:
                                pass
                _ = e
        queue.close()

    def staff(self, acked, stop):
        cases = CaseClient("127.0.0.1:%d" % self.grpc_port)
        i = 0
        while not stop.is_set():
            key = "chaos-case-%d" % i
            r = retrying(lambda: cases.CreateCase(
                timeout=2, type_code="complaint" if i % 2 else "new_supply", branch_id=BRANCH,
                applicant=case_pb2.Applicant(name="測試"), received_via=case_pb2.RECEIVED_VIA_COUNTER,
                summary="chaos %d" % i, staff_id="E9", idempotency_key=key), stop)
            if r is None:
                break
            number = r.case.acceptance_number
            with acked.lock:
                acked.cases[key] = number
            if i % 3 == 0:
                try:
                    cases.Transition(timeout=2, acceptance_number=number,
                                     to_status=case_pb2.CASE_STATUS_IN_PROGRESS, staff_id="E9")
                    with acked.lock:
                        acked.moved.add(number)
                except grpc.RpcError:
                    with acked.lock:
                        acked.errors += 1
            i += 1
            time.sleep(0.02)
        cases.close()

    def billing(self, acked, stop):
        notify = NotifyClient("127.0.0.1:%d" % self.grpc_port)
        i = 0
        while not stop.is_set():
            key = "chaos-notice-%d" % i
            r = retrying(lambda: notify.Send(
                timeout=2, policy=n.ChannelPolicy(mode=n.ChannelPolicy.EXPLICIT,
                                                  channels=[n.CHANNEL_SMS]),
                **bill(key, mobile="09%08d" % (10000000 + i))), stop)
            if r is None:
                break
            with acked.lock:
                acked.notices[key] = r.id
            i += 1
            time.sleep(0.01)
        notify.close()

    def run_load(self):
        """Starts the workload threads; returns (acked, stop, threads)."""
        acked, stop = Acked(), threading.Event()
        workers = [threading.Thread(target=self.kiosk, args=(acked, stop, "k%d" % k))
                   for k in range(2)]
        workers += [threading.Thread(target=self.counter, args=(acked, stop, c)) for c in "12"]
        workers += [threading.Thread(target=self.staff, args=(acked, stop)),
                    threading.Thread(target=self.billing, args=(acked, stop))]
        for w in workers:
            w.start()
        return acked, stop, workers

    def verify(self, acked):
        queue = QueueClient(self.server.grpc_addr)
        cases = CaseClient(self.server.grpc_addr)
        notify = NotifyClient(self.server.grpc_addr)
        # Tickets: each acknowledged key still answers with its number.
        for key, (service, number) in acked.tickets.items():
            again = queue.IssueTicket(branch_id=BRANCH, service_code=service,
                                      priority=queue_pb2.PRIORITY_CLASS_NORMAL,
                                      channel=queue_pb2.CHANNEL_KIOSK, idempotency_key=key)
            self.assertEqual(again.ticket.number, number, key)
            self.assertEqual(queue.GetTicket(branch_id=BRANCH, ticket_number=number)
                             .ticket.number, number)
        self.assertEqual(len({number for _, number in acked.tickets.values()}), len(acked.tickets),
                         "a number was acknowledged to two keys")
        for number in acked.completed:
            t = queue.GetTicket(branch_id=BRANCH, ticket_number=number).ticket
            self.assertEqual(t.state, queue_pb2.TICKET_STATE_DONE, number)
        # Cases and transitions.
        for key, number in acked.cases.items():
            c = cases.GetCase(acceptance_number=number).case
            self.assertEqual(c.acceptance_number, number)
            if number in acked.moved:
                self.assertNotEqual(c.status, case_pb2.CASE_STATUS_ACCEPTED, number)
        # Notices: every one reaches the gateway; duplicates bounded by what was in flight.
        deadline = time.monotonic() + 120
        ids = list(acked.notices.values())
        while time.monotonic() < deadline:
            states = {i: notify.GetNotification(id=i).status for i in ids}
            pending = [i for i, st in states.items() if st == "pending"]
            if not pending:
                break
            time.sleep(0.5)
        self.assertEqual(pending, [], "notices never sent")
        not_sent = [notify.GetNotification(id=i) for i, st in states.items()
                    if st not in ("sent", "delivered")]
        self.assertEqual(not_sent, [], "notices not sent")
        # What the gateway accepted (a 503 during its outage is not a send).
        with self.gateway.lock:
            sent = [dest for _, dest in self.gateway.taken]
        wanted = {"09%08d" % (10000000 + int(k.rsplit("-", 1)[1])) for k in acked.notices}
        self.assertEqual(wanted - set(sent), set(), "acknowledged notices never reached it")
        duplicates = len(sent) - len(set(sent))
        self.assertLessEqual(duplicates, WORKERS * KILLS)
        queue.close()
        cases.close()
        notify.close()
        # SLA events once, and (SQLite) every database whole.
        twice = self.server.query(
            "case", "SELECT case_id, target, event, count(*) FROM case_sla_events "
            "GROUP BY 1, 2, 3 HAVING count(*) > 1")
        self.assertEqual(twice, [])
        history_twice = self.server.query(
            "case", "SELECT case_id, note, count(*) FROM case_history WHERE kind = 'sla' "
            "GROUP BY 1, 2 HAVING count(*) > 1")
        self.assertEqual(history_twice, [])
        sla_events = int(self.server.query("case", "SELECT count(*) FROM case_sla_events")[0][0])
        reissued = self.server.query(
            "queue", "SELECT branch_id, business_day, display, count(*) FROM tickets "
            "GROUP BY 1, 2, 3 HAVING count(*) > 1")
        self.assertEqual(reissued, [])
        if not self.server.pg_database:
            for name in ("queue", "case", "notify"):
                con = sqlite3.connect(os.path.join(self.data, name + ".db"))
                self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok", name)
                con.close()
        print("\nchaos: %d kills survived; acknowledged and checked: %d tickets (%d completed), "
              "%d cases (%d moved), %d notices; %d SLA events, none twice; %d duplicate sends "
              "at the gateway (bound %d); %d calls failed during kills and were retried"
              % (KILLS, len(acked.tickets), len(acked.completed), len(acked.cases),
                 len(acked.moved), len(acked.notices), sla_events, duplicates, WORKERS * KILLS,
                 acked.errors), flush=True)
        self.server.terminate()


class ChaosTest(MixedLoad):
    def test_mixed_load_survives_repeated_kill_9(self):
        self.start()
        acked, stop, workers = self.run_load()
        rng = random.Random(int(os.environ.get("CHAOS_SEED", "7")))
        try:
            for k in range(KILLS):
                # Halfway through, the SMS gateway goes down (503) for a few seconds, kills and
                # all: notices wait and retry, and all arrive once it is back.
                self.gateway.down = k >= KILLS // 2 and k < KILLS // 2 + 3
                time.sleep(rng.uniform(0.3, 1.5))
                self.server.proc.send_signal(signal.SIGKILL)
                self.server.proc.wait()
                time.sleep(rng.uniform(0, 0.3))
                self.start()
            self.gateway.down = False
            time.sleep(2)
        finally:
            stop.set()
            for w in workers:
                w.join(timeout=60)
        self.verify(acked)


if __name__ == "__main__":
    unittest.main()
