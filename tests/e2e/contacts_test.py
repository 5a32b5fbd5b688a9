"""Contacts taken by one service are contacts notify can send to (issue 15, item 10): the queue's
remote tickets and the case service's applicants follow the rules notify sends by, and a notice
notify refuses anyway shows as refused, with notify's reason, in ListNearTurnNotices."""
import os
import shutil
import tempfile
import time
import unittest

import grpc

from csopsd_harness import (EXAMPLE_CONFIG, SOURCE_DIR, CaseClient, Csopsd, QueueClient,
                            case_pb2 as c, queue_pb2 as q)

BRANCH = "taipei-south"


def config():
    with open(EXAMPLE_CONFIG, encoding="utf-8") as f:
        base = f.read()
    base = base[:base.index("\n# Notices to customers")]
    # E-mail only: notify refuses every SMS (no provider), the one refusal left once the queue
    # checks contacts by notify's rules. The mail server is never reached within the test.
    return base + '''
notify {
  templates_dir: "templates"
  kinds { name: "queue_turn_near" }
  kinds { name: "case_accepted" }
  kinds { name: "case_delayed" }
  kinds { name: "case_completed" }
  kinds { name: "sla_alert" }
  supervisor_emails: ["taipei-south=supervisors@example.com"]
  providers { name: "mail" kind: SMTP url: "smtp://127.0.0.1:1" from: "noreply@csops.example" }
}
'''


class ContactsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csops-contacts-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(cls.tmp, sub))
        path = os.path.join(cls.tmp, "csopsd.textproto")
        with open(path, "w", encoding="utf-8") as f:
            f.write(config())
        cls.server = Csopsd(config=path).wait_serving()
        cls.queue = QueueClient(cls.server.grpc_addr)
        cls.case = CaseClient(cls.server.grpc_addr)

    @classmethod
    def tearDownClass(cls):
        cls.queue.close()
        cls.case.close()
        cls.server.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def issue(self, service, key, kind, address):
        return self.queue.IssueTicket(
            branch_id=BRANCH, service_code=service, priority=q.PRIORITY_CLASS_NORMAL,
            channel=q.CHANNEL_APP, contact=q.Contact(kind=kind, address=address),
            idempotency_key=key).ticket

    def assertRefused(self, text, fn, *args, **kw):
        with self.assertRaises(grpc.RpcError) as err:
            fn(*args, **kw)
        self.assertEqual(err.exception.code(), grpc.StatusCode.INVALID_ARGUMENT,
                         err.exception.details())
        self.assertIn(text, err.exception.details())
        return err.exception.details()

    def test_issue_ticket_refuses_contacts_notify_cannot_send_to(self):
        msg = self.assertRefused("contact.address: a landline cannot receive SMS", self.issue, "A",
                                 "landline", q.CONTACT_KIND_SMS, "0223456789")
        self.assertNotIn("0223456789", msg)
        for i, bad in enumerate(("two@@at.example", "sp ace@example.com", "a@localhost")):
            self.assertRefused("contact.address:", self.issue, "A", "mail-%d" % i,
                               q.CONTACT_KIND_EMAIL, bad)

    def test_a_notice_notify_refuses_shows_as_refused_with_the_reason(self):
        sms = self.issue("D", "near-sms", q.CONTACT_KIND_SMS, "0912-345-678")
        mail = self.issue("D", "near-mail", q.CONTACT_KIND_EMAIL, "chen@example.com")
        # Nobody is ahead: both notices are written at once, and the relay hands them on.
        deadline = time.monotonic() + 20
        while True:
            notices = {x.ticket_number: x
                       for x in self.queue.ListNearTurnNotices(branch_id=BRANCH).notices}
            mine = [notices.get(sms.number), notices.get(mail.number)]
            settled = (q.NEAR_TURN_NOTICE_STATUS_REFUSED, q.NEAR_TURN_NOTICE_STATUS_DELIVERED)
            if all(x and x.status in settled for x in mine):
                break
            self.assertLess(time.monotonic(), deadline, mine)
            time.sleep(0.1)
        refused, taken = mine
        self.assertEqual(refused.status, q.NEAR_TURN_NOTICE_STATUS_REFUSED, refused)
        self.assertFalse(refused.delivered)
        self.assertIn("no provider is configured for sms", refused.refusal_reason)
        self.assertEqual(refused.masked_address, "*******678")
        self.assertEqual(taken.status, q.NEAR_TURN_NOTICE_STATUS_DELIVERED, taken)
        self.assertTrue(taken.delivered)
        self.assertEqual(taken.refusal_reason, "")
        ctl = self.server.ctl("queue", "notices", "--branch=" + BRANCH)
        self.assertEqual(ctl.returncode, 0, ctl.stderr)
        self.assertIn("(refused: policy.channels: no provider is configured for sms)", ctl.stdout)

    def create_case(self, key, phone="", email="", channels=()):
        return self.case.CreateCase(
            type_code="complaint", branch_id=BRANCH,
            applicant=c.Applicant(name="王小明", phone=phone, email=email,
                                  preferred_channels=list(channels)),
            received_via=c.RECEIVED_VIA_COUNTER, summary="電費疑義", staff_id="E0042",
            idempotency_key=key)

    def test_case_applicants_follow_the_same_rules(self):
        self.assertRefused("applicant.email:", self.create_case, "c1", email="two@@at.example",
                           channels=[c.NOTICE_CHANNEL_EMAIL])
        self.assertRefused("applicant.email:", self.create_case, "c2", email="sp ace@example.com")
        self.assertRefused("applicant.phone: a landline cannot receive SMS", self.create_case, "c3",
                           phone="0223456789", channels=[c.NOTICE_CHANNEL_SMS])
        # A landline is fine for calls, with e-mail notices.
        self.create_case("c4", phone="(02) 2345-6789", email="chen@example.com.tw",
                         channels=[c.NOTICE_CHANNEL_EMAIL])


if __name__ == "__main__":
    unittest.main()
