"""The queue service end to end: every RPC through python3-grpcio and through csopsctl against
a real csopsd, bad input, privacy of answers and logs, and /metrics through promtool."""
import os
import subprocess
import unittest

import grpc

from csopsd_harness import Csopsd, QueueClient, queue_pb2 as q

BRANCH = "taipei-south"
PHONE = "0912345678"
EMAIL = "chen.mei@example.com"


class QueueEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Csopsd().wait_serving()
        cls.client = QueueClient(cls.server.grpc_addr)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.close()

    def issue(self, service, key, priority=q.PRIORITY_CLASS_NORMAL, channel=q.CHANNEL_KIOSK,
              contact=None):
        return self.client.IssueTicket(branch_id=BRANCH, service_code=service, priority=priority,
                                       channel=channel, contact=contact,
                                       idempotency_key=key).ticket

    def test_a_counter_day_through_every_rpc(self):
        c = self.client
        opened = c.OpenCounter(branch_id=BRANCH, counter_id="3", staff_id="E0042").counter
        self.assertEqual(opened.state, q.COUNTER_STATE_OPEN)
        self.assertEqual(list(opened.service_codes), ["B", "D"])

        b1 = self.issue("B", "flow-1")
        self.assertRegex(b1.number, r"^B\d{3}$")
        self.assertEqual(self.issue("B", "flow-1").number, b1.number)  # idempotent retry
        b2 = self.issue("B", "flow-2", contact=q.Contact(kind=q.CONTACT_KIND_SMS, address=PHONE),
                        channel=q.CHANNEL_APP)
        self.assertTrue(b2.has_contact)
        self.assertEqual(b2.people_ahead, b1.people_ahead + 1)
        self.assertGreater(b2.estimated_wait.seconds, 0)

        called = c.CallNext(branch_id=BRANCH, counter_id="3")
        self.assertTrue(called.called)
        self.assertEqual(called.ticket.number, b1.number)
        self.assertEqual(c.Recall(branch_id=BRANCH, counter_id="3",
                                  ticket_number=b1.number).ticket.calls, 2)
        serving = c.StartServing(branch_id=BRANCH, counter_id="3", ticket_number=b1.number)
        self.assertEqual(serving.ticket.state, q.TICKET_STATE_SERVING)
        done = c.Complete(branch_id=BRANCH, counter_id="3", ticket_number=b1.number,
                          outcome=q.OUTCOME_RESOLVED, rating=4)
        self.assertEqual(done.ticket.state, q.TICKET_STATE_DONE)

        # The remote customer is late: no-show, then back with the same number.
        self.assertEqual(c.CallNext(branch_id=BRANCH, counter_id="3").ticket.number, b2.number)
        gone = c.MarkNoShow(branch_id=BRANCH, counter_id="3", ticket_number=b2.number)
        self.assertEqual(gone.ticket.state, q.TICKET_STATE_NO_SHOW)
        back = c.Requeue(branch_id=BRANCH, ticket_number=b2.number)
        self.assertEqual(back.ticket.state, q.TICKET_STATE_WAITING)
        self.assertEqual(back.ticket.number, b2.number)

        # Transfer to service A at counter 2 with a note for the next clerk.
        self.assertEqual(c.CallNext(branch_id=BRANCH, counter_id="3").ticket.number, b2.number)
        moved = c.Transfer(branch_id=BRANCH, counter_id="3", ticket_number=b2.number,
                           to_service_code="A", to_counter_id="2", note="需補附身分證影本")
        self.assertEqual(moved.ticket.service_code, "A")
        self.assertEqual(moved.ticket.reserved_counter_id, "2")
        looked = c.GetTicket(branch_id=BRANCH, ticket_number=b2.number).ticket
        self.assertEqual(looked.state, q.TICKET_STATE_WAITING)
        self.assertEqual(looked.transfer_note, "需補附身分證影本")
        c.OpenCounter(branch_id=BRANCH, counter_id="2", staff_id="E0007")
        at2 = c.CallNext(branch_id=BRANCH, counter_id="2").ticket
        self.assertEqual(at2.number, b2.number)
        cancelled = c.Cancel(branch_id=BRANCH, counter_id="2", ticket_number=b2.number)
        self.assertEqual(cancelled.ticket.state, q.TICKET_STATE_CANCELLED)

        snap = c.GetBranchSnapshot(branch_id=BRANCH).snapshot
        self.assertEqual(snap.branch_id, BRANCH)
        self.assertEqual({s.code for s in snap.services}, {"A", "B", "C", "D"})
        b = next(s for s in snap.services if s.code == "B")
        self.assertEqual(b.last_called, b2.number)
        self.assertEqual(b.target_wait.seconds, 300)

        notices = c.ListNearTurnNotices(branch_id=BRANCH).notices
        mine = [n for n in notices if n.ticket_number == b2.number]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0].masked_address, "*******678")

        self.assertEqual(c.PauseCounter(branch_id=BRANCH, counter_id="3").counter.state,
                         q.COUNTER_STATE_PAUSED)
        self.assertEqual(c.CloseCounter(branch_id=BRANCH, counter_id="3").counter.state,
                         q.COUNTER_STATE_CLOSED)
        c.CloseCounter(branch_id=BRANCH, counter_id="2")

        # Personal data never comes back and never reaches the log.
        for msg in (b2, back, moved, looked, snap):
            self.assertNotIn(PHONE, str(msg))
        self.assertNotIn(PHONE, self.server.stderr())

    def assertRpcError(self, code, text, fn, **kw):
        with self.assertRaises(grpc.RpcError) as err:
            fn(**kw)
        self.assertEqual(err.exception.code(), code, err.exception.details())
        self.assertIn(text, err.exception.details())

    def test_bad_input_is_refused_with_named_fields_and_states(self):
        c = self.client
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, "branch 'nowhere'", c.IssueTicket,
                            branch_id="nowhere", service_code="A",
                            priority=q.PRIORITY_CLASS_NORMAL, channel=q.CHANNEL_KIOSK,
                            idempotency_key="bad-1")
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "priority", c.IssueTicket,
                            branch_id=BRANCH, service_code="A", channel=q.CHANNEL_KIOSK,
                            idempotency_key="bad-2")
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "idempotency_key", c.IssueTicket,
                            branch_id=BRANCH, service_code="A",
                            priority=q.PRIORITY_CLASS_NORMAL, channel=q.CHANNEL_KIOSK)
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, "service 'Q'", c.IssueTicket,
                            branch_id=BRANCH, service_code="Q",
                            priority=q.PRIORITY_CLASS_NORMAL, channel=q.CHANNEL_KIOSK,
                            idempotency_key="bad-3")
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "contact.address", c.IssueTicket,
                            branch_id=BRANCH, service_code="A",
                            priority=q.PRIORITY_CLASS_NORMAL, channel=q.CHANNEL_APP,
                            contact=q.Contact(kind=q.CONTACT_KIND_EMAIL, address="not-mail"),
                            idempotency_key="bad-4")
        self.assertRpcError(grpc.StatusCode.NOT_FOUND, "counter '99'", c.CallNext,
                            branch_id=BRANCH, counter_id="99")
        self.assertRpcError(grpc.StatusCode.FAILED_PRECONDITION, "counter 5 is 'closed'",
                            c.CallNext, branch_id=BRANCH, counter_id="5")
        t = self.issue("C", "bad-5")
        self.assertRpcError(grpc.StatusCode.FAILED_PRECONDITION, "is 'waiting'",
                            c.Complete, branch_id=BRANCH, counter_id="5", ticket_number=t.number,
                            outcome=q.OUTCOME_RESOLVED)
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "outcome", c.Complete,
                            branch_id=BRANCH, counter_id="5", ticket_number=t.number)
        c.Cancel(branch_id=BRANCH, ticket_number=t.number)  # leave the line empty for others
        self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, "ticket_number", c.GetTicket,
                            branch_id=BRANCH, ticket_number="12")
        self.assertRpcError(grpc.StatusCode.FAILED_PRECONDITION, "not set up for service B",
                            c.OpenCounter, branch_id=BRANCH, counter_id="1", staff_id="E1",
                            service_codes=["B"])
        c.OpenCounter(branch_id=BRANCH, counter_id="4", staff_id="E0044")
        nothing = c.CallNext(branch_id=BRANCH, counter_id="4")  # B only; nobody waits there
        self.assertFalse(nothing.called)
        c.CloseCounter(branch_id=BRANCH, counter_id="4")

    def test_csopsctl_runs_a_counter_from_a_terminal(self):
        env = dict(os.environ, CSOPS_BRANCH=BRANCH)

        def ctl(*args):
            r = subprocess.run([os.environ["CSOPSCTL"], "--addr=" + self.server.grpc_addr,
                                "queue", *args], capture_output=True, text=True, env=env,
                               timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            return r.stdout

        issued = ctl("issue", "--service=C", "--channel=kiosk", "--email=" + EMAIL)
        number = issued.split()[0]
        self.assertRegex(number, r"^C\d{3}$")
        self.assertNotIn(EMAIL, issued)
        ctl("open", "--counter=5", "--staff=E0055", "--services=C")
        self.assertIn(number, ctl("call-next", "--counter=5"))
        self.assertIn("serving", ctl("start", "--counter=5", number))
        self.assertIn("done", ctl("complete", "--counter=5", "--rating=5", number))
        self.assertIn("counter 5", ctl("snapshot"))
        self.assertIn("c***@example.com", ctl("notices"))
        board = ctl("board", "--count=1", "--for=10")
        self.assertIn("SNAPSHOT", board)
        ctl("close", "--counter=5")

    def test_queue_metrics_are_exported_and_pass_promtool(self):
        self.issue("D", "metrics-1")
        text = self.server.scrape()
        check = subprocess.run(["promtool", "check", "metrics"], input=text,
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        for name in ("csops_queue_tickets_issued_total", "csops_queue_wait_seconds_bucket",
                     "csops_queue_service_seconds_bucket", "csops_queue_waiting_tickets",
                     "csops_queue_no_shows_total", "csops_queue_transfers_total",
                     "csops_queue_open_counters", "csops_queue_wait_estimate_error_seconds_bucket",
                     "csops_queue_ratings_total", "csops_queue_waits_over_target_total"):
            self.assertIn(name, text)
        self.assertRegex(text, r'csops_queue_tickets_issued_total\{branch="taipei-south",'
                               r'channel="kiosk",service="D"\} [1-9]')
        self.assertNotIn("D0", text.replace('service="D"', ""))  # no ticket numbers as labels


if __name__ == "__main__":
    unittest.main()
