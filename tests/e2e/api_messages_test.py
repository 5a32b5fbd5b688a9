"""What the API says about bad input, and how /metrics takes a key (issue 15, item 13 a-c).

(a) An enum field holding a number that is not one of its values (e.g. to_status 99) is refused
    as "not a known value", naming the field and the number; an unset required enum still says
    "must be set". Every enum field of every request is checked.
(b) An acceptance number that does not exist is written in its printed form (TS-261224-9999-x)
    in every message, never in the compact one.
(c) A METRICS key is accepted as Bearer and as HTTP Basic on both the dedicated metrics listener
    and the web listener, and both refuse alike."""
import base64
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

import grpc

from csopsd_harness import (CSOPSCTL, SOURCE_DIR, CaseClient, Csopsd, NotifyClient, QueueClient,
                            case_pb2 as c, notify_pb2 as n, queue_pb2 as q)

BRANCH = "taipei-south"


def damm(digits):
    table = [[0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
             [4, 2, 0, 6, 8, 7, 1, 3, 5, 9], [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
             [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
             [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
             [9, 4, 3, 8, 6, 1, 7, 2, 0, 5], [2, 5, 8, 1, 4, 3, 6, 7, 9, 0]]
    interim = 0
    for ch in digits:
        interim = table[interim][int(ch)]
    return str(interim)


def refusal(call, **fields):
    try:
        call(**fields)
    except grpc.RpcError as e:
        return e.code(), e.details()
    return grpc.StatusCode.OK, ""


class MessagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Csopsd().wait_serving()
        cls.case = CaseClient(cls.server.grpc_addr)
        cls.queue = QueueClient(cls.server.grpc_addr)
        cls.notify = NotifyClient(cls.server.grpc_addr)

    @classmethod
    def tearDownClass(cls):
        for client in (cls.case, cls.queue, cls.notify):
            client.close()
        cls.server.close()

    def new_case(self, key):
        return self.case.CreateCase(
            type_code="complaint", branch_id=BRANCH, applicant=c.Applicant(name="王"),
            received_via=c.RECEIVED_VIA_COUNTER, summary="s", staff_id="E1", idempotency_key=key)

    def test_a_out_of_range_enums_are_not_known_values(self):
        number = self.new_case("enum-1").case.acceptance_number
        applicant = c.Applicant(name="王")
        checks = [
            ("to_status", self.case.Transition,
             dict(acceptance_number=number, to_status=99, staff_id="E1")),
            ("received_via", self.case.CreateCase,
             dict(type_code="complaint", branch_id=BRANCH, applicant=applicant, received_via=99,
                  summary="s", staff_id="E1", idempotency_key="enum-2")),
            ("applicant.preferred_channels", self.case.CreateCase,
             dict(type_code="complaint", branch_id=BRANCH,
                  applicant=c.Applicant(name="王", preferred_channels=[99]),
                  received_via=c.RECEIVED_VIA_COUNTER, summary="s", staff_id="E1",
                  idempotency_key="enum-3")),
            ("status", self.case.ListCases, dict(status=99)),
            ("sla_state", self.case.ListCases, dict(sla_state=99)),
            ("priority", self.queue.IssueTicket,
             dict(branch_id=BRANCH, service_code="A", priority=99, channel=q.CHANNEL_KIOSK,
                  idempotency_key="enum-4")),
            ("channel", self.queue.IssueTicket,
             dict(branch_id=BRANCH, service_code="A", priority=q.PRIORITY_CLASS_NORMAL,
                  channel=99, idempotency_key="enum-5")),
            ("contact.kind", self.queue.IssueTicket,
             dict(branch_id=BRANCH, service_code="A", priority=q.PRIORITY_CLASS_NORMAL,
                  channel=q.CHANNEL_APP, contact=q.Contact(kind=99, address="0912345678"),
                  idempotency_key="enum-6")),
            ("outcome", self.queue.Complete,
             dict(branch_id=BRANCH, counter_id="1", ticket_number="A001", outcome=99)),
            ("policy.mode", self.notify.Send,
             dict(idempotency_key="enum-7", kind="bill_unpaid",
                  recipient=n.Recipient(email="a@example.com"),
                  policy=n.ChannelPolicy(mode=99))),
            ("policy.channels", self.notify.Send,
             dict(idempotency_key="enum-8", kind="bill_unpaid",
                  recipient=n.Recipient(email="a@example.com"),
                  policy=n.ChannelPolicy(mode=n.ChannelPolicy.EXPLICIT, channels=[99]))),
            ("preferences.opted_out", self.notify.SetPreferences,
             dict(preferences=n.Preferences(customer_number="01234567890", opted_out=[99]))),
        ]
        for field, call, fields in checks:
            with self.subTest(field=field):
                code, details = refusal(call, **fields)
                self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT, details)
                self.assertTrue(details.startswith(field + ": "), details)
                self.assertIn("99 is not a known value", details)
                self.assertNotIn("must be set", details)

    def test_b_an_unset_required_enum_must_be_set(self):
        number = self.new_case("enum-9").case.acceptance_number
        for field, call, fields in [
                ("to_status", self.case.Transition, dict(acceptance_number=number, staff_id="E1")),
                ("received_via", self.case.CreateCase,
                 dict(type_code="complaint", branch_id=BRANCH, applicant=c.Applicant(name="王"),
                      summary="s", staff_id="E1", idempotency_key="enum-10")),
                ("priority", self.queue.IssueTicket,
                 dict(branch_id=BRANCH, service_code="A", channel=q.CHANNEL_KIOSK,
                      idempotency_key="enum-11"))]:
            with self.subTest(field=field):
                code, details = refusal(call, **fields)
                self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT, details)
                self.assertTrue(details.startswith(field + ": must be set"), details)

    def test_c_an_unknown_number_is_written_as_printed(self):
        digits = "2612249999"
        compact = "TS" + digits + damm(digits)
        printed = "TS-261224-9999-" + damm(digits)
        calls = {
            "GetCase": (self.case.GetCase, {}),
            "Transition": (self.case.Transition,
                           dict(to_status=c.CASE_STATUS_IN_PROGRESS, staff_id="E1")),
            "AddNote": (self.case.AddNote, dict(staff_id="E1", note="n")),
            "Assign": (self.case.Assign, dict(staff_id="E1", department="business")),
            "DeclareDelay": (self.case.DeclareDelay,
                             dict(staff_id="E1", reason="r", new_expected_date="2099-01-01")),
        }
        for name, (call, fields) in calls.items():
            for given in (compact, printed):
                with self.subTest(method=name, given=given):
                    code, details = refusal(call, acceptance_number=given, **fields)
                    self.assertEqual(code, grpc.StatusCode.NOT_FOUND, details)
                    self.assertIn(printed, details)
                    self.assertNotIn(compact, details)
        created = self.new_case("number-1").case.acceptance_number
        code, details = refusal(
            self.case.CreateCase, type_code="complaint", branch_id=BRANCH,
            applicant=c.Applicant(name="王"), received_via=c.RECEIVED_VIA_COUNTER,
            summary="something else", staff_id="E1", idempotency_key="number-1")
        self.assertEqual(code, grpc.StatusCode.ALREADY_EXISTS, details)
        self.assertIn(created, details)
        self.assertNotIn(created.replace("-", ""), details)


def keygen(name, role):
    out = subprocess.run([CSOPSCTL, "keygen", "--name=" + name, "--role=" + role],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    return out[0], out[2]


def status_of(url, authorization=None):
    req = urllib.request.Request(url)
    if authorization:
        req.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read().decode()
            return r.status, body
    except urllib.error.HTTPError as e:
        return e.code, ""


class MetricsKeyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csops-metrics-key-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(cls.tmp, sub))
        cls.metrics_key, metrics = keygen("prometheus", "metrics")
        cls.kiosk_key, kiosk = keygen("kiosk-1", "kiosk")
        with open(os.path.join(SOURCE_DIR, "deploy", "csopsd.textproto"), encoding="utf-8") as f:
            text = f.read()
        config = os.path.join(cls.tmp, "csopsd.textproto")
        with open(config, "w", encoding="utf-8") as f:
            f.write(text + "\nauth {\n  %s\n  %s\n}\n" % (metrics, kiosk))
        cls.server = Csopsd(config=config).wait_serving()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_bearer_and_basic_work_on_both_listeners_and_both_refuse_alike(self):
        def basic(key):
            return "Basic " + base64.b64encode(b"prometheus:" + key.encode()).decode()
        cases = [("Bearer metrics key", "Bearer " + self.metrics_key, 200),
                 ("Basic metrics key", basic(self.metrics_key), 200),
                 ("no key", None, 401),
                 ("unknown key", "Bearer csk_unknown", 401),
                 ("Bearer kiosk key", "Bearer " + self.kiosk_key, 403),
                 ("Basic kiosk key", basic(self.kiosk_key), 403)]
        listeners = {"metrics_listen": self.server.metrics_url,
                     "web": self.server.web_url + "/metrics"}
        self.assertNotEqual(listeners["metrics_listen"], listeners["web"])
        for what, authorization, expected in cases:
            for name, url in listeners.items():
                with self.subTest(listener=name, auth=what):
                    status, body = status_of(url, authorization)
                    self.assertEqual(status, expected)
                    if status == 200:
                        self.assertIn("csops_auth_enabled 1", body)


if __name__ == "__main__":
    unittest.main()
