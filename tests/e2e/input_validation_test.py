"""Input the API must refuse, sent to a real csopsd by an outside client (issue 15, items 7-9
and 11): control characters in free text and idempotency keys, values echoed back unescaped,
loose dates and out-of-range Timestamps, length limits counted in bytes instead of characters,
and filters naming a type or branch that does not exist. Every refusal names its field; every
echoed value is quoted and escaped; Chinese text fits the documented character limits."""
import os
import re
import shutil
import tempfile
import time
import unittest

import grpc
from google.protobuf import timestamp_pb2

from csopsd_harness import (SOURCE_DIR, CaseClient, Csopsd, NotifyClient, QueueClient, case_pb2,
                            notify_pb2 as n, queue_pb2)
from fake_providers import ProviderServer, SmtpServer
from notify_e2e_test import notify_config

BRANCH = "taipei-south"
ESC = "\x1b[2J"                      # clear screen
OSC = "\x1b]0;owned\x07"             # set the terminal title
C1 = "\u009b31m"                     # CSI as a C1 control
# Any control character (C0, DEL, C1) must never come back raw in a message.
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND


def ts(seconds, nanos=0):
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def unary(channel, service, method, req_cls, resp_cls):
    stub = channel.unary_unary("/%s/%s" % (service, method),
                               request_serializer=req_cls.SerializeToString,
                               response_deserializer=resp_cls.FromString)
    return lambda timeout=10, **fields: stub(req_cls(**fields), timeout=timeout)


class InputValidationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csops-validation-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(cls.tmp, sub))
        cls.providers = ProviderServer()
        cls.smtp = SmtpServer(cls.tmp)
        cls.config = os.path.join(cls.tmp, "csopsd.textproto")
        with open(cls.config, "w", encoding="utf-8") as f:
            f.write(notify_config(cls.providers.url, cls.smtp))
        cls.server = Csopsd(config=cls.config).wait_serving()
        cls.cases = CaseClient(cls.server.grpc_addr)
        cls.queue = QueueClient(cls.server.grpc_addr)
        cls.notify = NotifyClient(cls.server.grpc_addr)
        ch = cls.notify.channel
        # staticmethod: a plain function stored on the class would be bound to the test.
        cls.queue_report = staticmethod(unary(
            cls.queue.channel, "csops.queue.v1.QueueService", "GetQueueReport",
            queue_pb2.GetQueueReportRequest, queue_pb2.GetQueueReportResponse))
        cls.notify_report = staticmethod(unary(
            ch, "csops.notify.v1.NotifyService", "GetNotifyReport", n.GetNotifyReportRequest,
            n.GetNotifyReportResponse))
        cls.keys = 0

    @classmethod
    def tearDownClass(cls):
        for c in (cls.cases, cls.queue, cls.notify):
            c.close()
        cls.server.close()
        cls.smtp.close()
        cls.providers.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------------

    def key(self):
        type(self).keys += 1
        return "validation-%d" % self.keys

    def refused(self, call, code, field, **fields):
        """Calls `call(**fields)`, expects `code` with `field` named; returns the message."""
        with self.assertRaises(grpc.RpcError, msg=repr(fields)) as e:
            call(**fields)
        details = e.exception.details() or ""
        self.assertEqual(e.exception.code(), code, "%r -> %s" % (fields, details))
        self.assertIn(field, details, repr(fields))
        self.assertIsNone(RAW_CONTROL.search(details), "raw control character in %r" % details)
        return details

    def create(self, **overrides):
        fields = dict(type_code="new_supply", branch_id=BRANCH,
                      applicant=case_pb2.Applicant(name="王小明"),
                      received_via=case_pb2.RECEIVED_VIA_COUNTER, staff_id="E0042",
                      summary="新設用電", idempotency_key=self.key())
        fields.update(overrides)
        return self.cases.CreateCase(**fields)

    def send(self, **overrides):
        fields = dict(idempotency_key=self.key(), kind="bill_unpaid", locale="zh-TW",
                      recipient=n.Recipient(customer_number="01234567890", name="王小明",
                                            email="ming@example.com"),
                      variables={"bill_month": "115年10月", "amount": "1,234",
                                 "due_date": "2026-12-05", "customer_number": "01234567890"},
                      policy=n.ChannelPolicy(mode=n.ChannelPolicy.EXPLICIT,
                                             channels=[n.CHANNEL_EMAIL]))
        fields.update(overrides)
        return self.notify.Send(**fields)

    # -- item 7: control characters ----------------------------------------------------------

    def test_control_characters_in_case_text_are_refused_naming_the_field(self):
        for field, bad in [
                ("applicant.name", dict(applicant=case_pb2.Applicant(name="王" + ESC))),
                ("applicant.name", dict(applicant=case_pb2.Applicant(name="王\x00明"))),
                ("applicant.name", dict(applicant=case_pb2.Applicant(name="王\n明"))),
                ("summary", dict(summary="停電" + OSC)),
                ("summary", dict(summary="停電 " + C1)),
                ("summary", dict(summary="停電\x7f")),
                ("staff_id", dict(staff_id="E0042\x00"))]:
            details = self.refused(self.create, INVALID, field, **bad)
            self.assertIn("control character", details)
        # A multi-line field keeps its line breaks and tabs.
        ok = self.create(summary="第一行\n第二行\r\n\t附件：用電地址證明")
        self.assertEqual(ok.case.summary, "第一行\n第二行\r\n\t附件：用電地址證明")

        number = ok.case.acceptance_number
        self.refused(self.cases.AddNote, INVALID, "note", acceptance_number=number,
                     staff_id="E0042", note="請補件" + ESC)
        self.refused(self.cases.Transition, INVALID, "note", acceptance_number=number,
                     to_status=case_pb2.CASE_STATUS_IN_PROGRESS, staff_id="E0042",
                     note="處理中\x00")
        self.refused(self.cases.DeclareDelay, INVALID, "reason", acceptance_number=number,
                     staff_id="E0042", reason="現場勘查\u0085", new_expected_date="2027-01-05")
        self.refused(self.cases.Assign, INVALID, "department", acceptance_number=number,
                     staff_id="E0042", department="業務\n課")
        # Nothing of that was written.
        got = self.cases.GetCase(acceptance_number=number).case
        self.assertEqual([h.kind for h in got.history], ["created"])
        self.assertEqual(got.delay_reason, "")

    def test_control_characters_in_queue_and_notify_text_are_refused(self):
        ticket = self.queue.IssueTicket(branch_id=BRANCH, service_code="A",
                                        priority=queue_pb2.PRIORITY_CLASS_NORMAL,
                                        channel=queue_pb2.CHANNEL_KIOSK,
                                        idempotency_key=self.key()).ticket
        self.refused(self.queue.Transfer, INVALID, "note", branch_id=BRANCH, counter_id="1",
                     ticket_number=ticket.number, to_service_code="C", note="帶文件" + ESC)
        self.refused(self.queue.OpenCounter, INVALID, "staff_id", branch_id=BRANCH,
                     counter_id="4", staff_id="E1" + C1)
        self.refused(self.send, INVALID, "recipient.name",
                     recipient=n.Recipient(customer_number="01234567890", name="王" + ESC,
                                           email="ming@example.com"))
        self.refused(self.send, INVALID, "recipient.postal_address",
                     recipient=n.Recipient(customer_number="01234567890", name="王",
                                           email="ming@example.com",
                                           postal_address=["台北市\x00中正區"]))
        details = self.refused(self.send, INVALID, "variables.amount",
                               variables={"bill_month": "115年10月", "amount": "1,234" + OSC,
                                          "due_date": "2026-12-05",
                                          "customer_number": "01234567890"})
        self.assertIn("control character", details)

    def test_idempotency_keys_are_1_to_128_printable_ascii(self):
        for bad in ["with space", "k" + ESC, "k\x00", "鍵", "k\x7f", "x" * 129]:
            self.refused(self.create, INVALID, "idempotency_key", idempotency_key=bad)
            self.refused(self.queue.IssueTicket, INVALID, "idempotency_key", branch_id=BRANCH,
                         service_code="A", priority=queue_pb2.PRIORITY_CLASS_NORMAL,
                         channel=queue_pb2.CHANNEL_KIOSK, idempotency_key=bad)
            self.refused(self.send, INVALID, "idempotency_key", idempotency_key=bad)
        self.refused(self.notify.GetNotification, INVALID, "idempotency_key",
                     idempotency_key="k" + ESC)
        self.assertTrue(self.create(idempotency_key="~" * 128).case.acceptance_number)

    def test_echoed_values_are_quoted_and_escaped(self):
        details = self.refused(self.create, NOT_FOUND, "type_code", type_code=ESC)
        self.assertIn("'\\x1b[2J'", details)
        details = self.refused(self.create, NOT_FOUND, "branch_id", branch_id=OSC)
        self.assertIn("'\\x1b]0;owned\\x07'", details)
        details = self.refused(self.queue.IssueTicket, NOT_FOUND, "service_code",
                               branch_id=BRANCH, service_code=ESC,
                               priority=queue_pb2.PRIORITY_CLASS_NORMAL,
                               channel=queue_pb2.CHANNEL_KIOSK, idempotency_key=self.key())
        self.assertIn("'\\x1b[2J'", details)
        details = self.refused(self.queue.GetTicket, INVALID, "ticket_number", branch_id=BRANCH,
                               ticket_number=C1)
        self.assertIn("'\\u009b31m'", details)
        details = self.refused(self.cases.GetCase, INVALID, "acceptance_number",
                               acceptance_number="TS" + ESC)
        self.assertIn("'TS\\x1b[2J'", details)
        details = self.refused(self.send, INVALID, "kind", kind=ESC)
        self.assertIn("'\\x1b[2J'", details)
        details = self.refused(self.notify.ReportDelivery, NOT_FOUND, "provider", provider=OSC,
                               provider_message_id="m1", delivered=True)
        self.assertIn("'\\x1b]0;owned\\x07'", details)

    def test_z_the_log_holds_no_raw_control_character(self):
        # Runs last (by name): everything above went through csopsd's log writer.
        self.refused(self.create, NOT_FOUND, "type_code", type_code=OSC)
        time.sleep(0.2)
        log = self.server.stderr()
        self.assertNotIn("\x1b", log)
        self.assertNotIn("\u009b", log)

    # -- item 8: dates and timestamps ----------------------------------------------------------

    def test_delay_dates_are_strict_yyyy_mm_dd(self):
        created = self.create()
        number = created.case.acceptance_number
        for bad in ["2027- 1- 5", "2027-01-+5", "2027-1-5", " 2027-01-05", "2027-02-30",
                    "２０２７-01-05", "2150-01-01"]:
            self.refused(self.cases.DeclareDelay, INVALID, "new_expected_date",
                         acceptance_number=number, staff_id="E0042", reason="需會同現場勘查",
                         new_expected_date=bad)
        self.assertEqual(self.cases.GetCase(acceptance_number=number).case.delay_new_date, "")
        self.cases.DeclareDelay(acceptance_number=number, staff_id="E0042",
                                reason="需會同現場勘查", new_expected_date="2027-01-05")
        progress = self.cases.LookupProgress(acceptance_number=number,
                                             lookup_code=created.lookup_code)
        self.assertEqual(progress.expected_completion_date, "2027-01-05")

    def test_timestamps_outside_protobufs_rules_or_the_window_are_refused(self):
        now = int(time.time())
        for bad in [ts(now, -1), ts(now, 2_000_000_000), ts(253402300800), ts(-2**63),
                    ts(631152000)]:   # nanos -1, nanos 2e9, year 10000, -2^63, 1990
            self.refused(self.cases.ListCases, INVALID, "due_before", due_before=bad)
        self.cases.ListCases(due_before=ts(now + 86400))
        self.refused(self.cases.GetSlaReport, INVALID, "from", **{"from": ts(now, -1),
                                                                 "to": ts(now + 60)})
        self.refused(self.queue_report, INVALID, "to", **{"from": ts(now - 60),
                                                          "to": ts(-2**63)})
        details = self.refused(self.send, INVALID, "send_after", send_after=ts(now, -5))
        self.assertIn("send_after.nanos", details)
        details = self.refused(self.send, INVALID, "send_after", send_after=ts(-10**13))
        self.assertIn("send_after.seconds", details)
        self.refused(self.notify_report, INVALID, "from", **{"from": ts(now, 1_000_000_000),
                                                             "to": ts(now + 60)})

    # -- item 9: limits in characters ----------------------------------------------------------

    def test_limits_count_characters_not_bytes(self):
        company = ("台北南區用電設備維護工程股份有限公司" * 3)[:40]
        self.assertEqual(len(company), 40)           # 120 bytes in UTF-8
        created = self.create(applicant=case_pb2.Applicant(name=company),
                              summary="停電" * 500)  # 1000 characters, 3000 bytes
        self.assertEqual(created.case.applicant.name, company)
        details = self.refused(self.create, INVALID, "applicant.name",
                               applicant=case_pb2.Applicant(name="電" * 101))
        self.assertIn("101 characters; the limit is 100", details)
        self.refused(self.create, INVALID, "summary", summary="電" * 2001)
        number = created.case.acceptance_number
        self.cases.DeclareDelay(acceptance_number=number, staff_id="E0042", reason="勘" * 500,
                                new_expected_date="2027-01-05")
        self.cases.AddNote(acceptance_number=number, staff_id="E0042", note="註" * 2000)
        ticket = self.queue.IssueTicket(branch_id=BRANCH, service_code="A",
                                        priority=queue_pb2.PRIORITY_CLASS_NORMAL,
                                        channel=queue_pb2.CHANNEL_KIOSK,
                                        idempotency_key=self.key()).ticket
        moved = self.queue.Transfer(branch_id=BRANCH, counter_id="1", ticket_number=ticket.number,
                                    to_service_code="C", note="備" * 500).ticket
        self.assertEqual(moved.transfer_note, "備" * 500)
        self.assertTrue(self.send(recipient=n.Recipient(customer_number="01234567890",
                                                        name="王" * 200,
                                                        email="ming@example.com")).id)

    # -- item 11: unknown filters -------------------------------------------------------------

    def test_unknown_filters_are_refused_naming_the_filter(self):
        now = int(time.time())
        period = {"from": ts(now - 86400), "to": ts(now + 60)}
        self.refused(self.cases.ListCases, NOT_FOUND, "type_code", type_code="no_such_type")
        self.refused(self.cases.ListCases, NOT_FOUND, "branch_id", branch_id="nowhere")
        self.refused(self.cases.GetSlaReport, NOT_FOUND, "type_code", type_code="no_such_type",
                     **period)
        self.refused(self.cases.GetSlaReport, NOT_FOUND, "branch_id", branch_id="nowhere",
                     **period)
        self.refused(self.queue_report, NOT_FOUND, "branch_id", branch_id="nowhere", **period)
        self.refused(self.queue.ListNearTurnNotices, NOT_FOUND, "branch_id", branch_id="nowhere")
        self.refused(self.notify.ListNotifications, INVALID, "customer_number",
                     customer_number="01234" + ESC)
        # Known values filter as before.
        self.cases.ListCases(type_code="new_supply", branch_id=BRANCH)
        self.cases.GetSlaReport(type_code="new_supply", branch_id=BRANCH, **period)


if __name__ == "__main__":
    unittest.main()
