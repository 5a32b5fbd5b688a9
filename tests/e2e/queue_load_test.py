"""Queue under load on a real csopsd: 8 counters call while kiosks issue 10,000 tickets over
3 services, and the same load cut by kill -9 and restarted."""
import collections
import os
import signal
import threading
import time
import unittest

import grpc

from csopsd_harness import SOURCE_DIR, Csopsd, QueueClient, queue_pb2 as q

CONFIG = os.path.join(SOURCE_DIR, "tests", "e2e", "configs", "load.textproto")
BRANCH = "load"
SERVICES = ["A", "B", "C"]
PROFILES = {"1": "AB", "2": "AB", "3": "A", "4": "BC", "5": "BC", "6": "C", "7": "CA", "8": "ABC"}


class Load:
    """Kiosk and counter threads sharing one record of what the server acknowledged."""

    def __init__(self, client, tickets, kiosks=4):
        self.client = client
        self.tickets = tickets
        self.kiosks = kiosks
        self.lock = threading.Lock()
        self.issued = {}                       # number -> service (acknowledged)
        self.keys = {}                         # idempotency key -> (number, service)
        self.calls = collections.defaultdict(list)  # number -> [counter, ...]
        self.state = {}                        # number -> last acknowledged state
        self.kiosks_done = threading.Event()
        self.stop = threading.Event()
        self.errors = []

    def kiosk(self, k):
        for i in range(k, self.tickets, self.kiosks):
            if self.stop.is_set():
                return
            service = SERVICES[i % 3]
            try:
                t = self.client.IssueTicket(branch_id=BRANCH, service_code=service,
                                            priority=q.PRIORITY_CLASS_NORMAL,
                                            channel=q.CHANNEL_KIOSK,
                                            idempotency_key="load-%d" % i).ticket
            except grpc.RpcError as e:
                self.note_error(e)
                return
            with self.lock:
                self.issued[t.number] = service
                self.keys["load-%d" % i] = (t.number, service)
                self.state.setdefault(t.number, "waiting")

    def counter(self, cid):
        c = self.client
        while not self.stop.is_set():
            try:
                r = c.CallNext(branch_id=BRANCH, counter_id=cid)
                if not r.called:
                    with self.lock:
                        drained = self.kiosks_done.is_set() and len(self.calls) >= len(self.issued)
                    if drained:
                        return
                    time.sleep(0.002)
                    continue
                n = r.ticket.number
                with self.lock:
                    self.calls[n].append(cid)
                    self.state[n] = "called"
                c.StartServing(branch_id=BRANCH, counter_id=cid, ticket_number=n)
                with self.lock:
                    self.state[n] = "serving"
                c.Complete(branch_id=BRANCH, counter_id=cid, ticket_number=n,
                           outcome=q.OUTCOME_RESOLVED)
                with self.lock:
                    self.state[n] = "done"
            except grpc.RpcError as e:
                self.note_error(e)
                return

    def note_error(self, e):
        with self.lock:
            self.errors.append(e)

    def run(self, until=None):
        for cid in PROFILES:
            self.client.OpenCounter(branch_id=BRANCH, counter_id=cid, staff_id="E" + cid)
        kiosks = [threading.Thread(target=self.kiosk, args=(k,)) for k in range(self.kiosks)]
        counters = [threading.Thread(target=self.counter, args=(cid,)) for cid in PROFILES]
        for t in kiosks + counters:
            t.start()
        if until:
            until(self)
        for t in kiosks:
            t.join()
        self.kiosks_done.set()
        for t in counters:
            t.join()


class QueueConcurrencyTest(unittest.TestCase):
    def test_eight_counters_and_ten_thousand_tickets(self):
        server = Csopsd(config=CONFIG).wait_serving()
        client = QueueClient(server.grpc_addr)
        try:
            started = time.monotonic()
            load = Load(client, tickets=10_000)
            load.run()
            took = time.monotonic() - started
            self.assertEqual(load.errors, [])
            self.assertEqual(len(load.issued), 10_000)
            # Every ticket was called exactly once.
            self.assertEqual(set(load.calls), set(load.issued))
            twice = {n: c for n, c in load.calls.items() if len(c) != 1}
            self.assertEqual(twice, {})
            # Numbers are unique and consecutive per service.
            per_service = collections.defaultdict(list)
            for number, service in load.issued.items():
                self.assertEqual(number[0], service)
                per_service[service].append(int(number[1:]))
            for service, numbers in per_service.items():
                self.assertEqual(sorted(numbers), list(range(1, len(numbers) + 1)), service)
            # No counter got a service it does not serve.
            for number, counters in load.calls.items():
                self.assertIn(number[0], PROFILES[counters[0]], (number, counters))
            snap = client.GetBranchSnapshot(branch_id=BRANCH).snapshot
            self.assertEqual(sum(s.waiting for s in snap.services), 0)
            print("\n10,000 tickets issued and served by 8 counters in %.1f s" % took)
        finally:
            client.close()
            server.close()


class QueueCrashTest(unittest.TestCase):
    def test_kill_9_mid_load_loses_no_acknowledged_ticket(self):
        data = None
        server = Csopsd(config=CONFIG).wait_serving()
        data = server.data_dir
        client = QueueClient(server.grpc_addr)

        def kill_when_busy(load):
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with load.lock:
                    if len(load.issued) >= 2000 and len(load.calls) >= 500:
                        break
                time.sleep(0.01)
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
            load.stop.set()

        load = Load(client, tickets=10_000)
        load.run(until=kill_when_busy)
        client.close()
        self.assertGreaterEqual(len(load.issued), 2000)
        self.assertTrue(all(e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
                            for e in load.errors), [e.code() for e in load.errors])

        restarted = Csopsd(config=CONFIG, data_dir=data).wait_serving()
        client = QueueClient(restarted.grpc_addr)
        try:
            order = {"waiting": 0, "called": 1, "serving": 2, "done": 3}
            names = {q.TICKET_STATE_WAITING: "waiting", q.TICKET_STATE_CALLED: "called",
                     q.TICKET_STATE_SERVING: "serving", q.TICKET_STATE_DONE: "done"}
            for number, acked in load.state.items():
                t = client.GetTicket(branch_id=BRANCH, ticket_number=number).ticket
                self.assertIn(t.state, names, number)
                # The stored state is at least as far as the last acknowledged one (a later
                # step may have committed just before the kill without its answer arriving).
                self.assertGreaterEqual(order[names[t.state]], order[acked], number)
                if acked != "waiting":
                    self.assertEqual(t.counter_id, load.calls[number][0], number)
            for service in SERVICES:
                acked = [int(n[1:]) for n, s in load.issued.items() if s == service]
                fresh = client.IssueTicket(branch_id=BRANCH, service_code=service,
                                           priority=q.PRIORITY_CLASS_NORMAL,
                                           channel=q.CHANNEL_KIOSK,
                                           idempotency_key="after-crash-" + service).ticket
                nxt = int(fresh.number[1:])
                self.assertGreater(nxt, max(acked), service)
                # No gaps: every number before the fresh one exists.
                for n in range(1, nxt):
                    client.GetTicket(branch_id=BRANCH, ticket_number="%s%04d" % (service, n))
            # A kiosk retrying an acknowledged request after the restart gets the same ticket.
            for key, (number, service) in list(load.keys.items())[:50]:
                again = client.IssueTicket(branch_id=BRANCH, service_code=service,
                                           priority=q.PRIORITY_CLASS_NORMAL,
                                           channel=q.CHANNEL_KIOSK, idempotency_key=key).ticket
                self.assertEqual(again.number, number, key)
        finally:
            client.close()
            restarted.close()
            server.close()


if __name__ == "__main__":
    unittest.main()
