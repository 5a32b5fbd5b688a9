"""Limits: each one exceeded gets a clear error naming it, and the server goes on serving.
gRPC message size, long-lived streams per client (WatchBoard and WatchSlaEvents share the
budget), SendBatch items, field lengths, and the per-client rate of public page requests."""
import os
import re
import shutil
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import grpc

from csopsd_harness import (SOURCE_DIR, CaseClient, Csopsd, NotifyClient, QueueClient, case_pb2,
                            notify_pb2 as n, queue_pb2)
from fake_providers import ProviderServer, SmtpServer
from notify_e2e_test import bill, notify_config

BRANCH = "taipei-south"


class LimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csops-limits-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(cls.tmp, sub))
        cls.providers = ProviderServer()
        cls.smtp = SmtpServer(cls.tmp)
        text = notify_config(cls.providers.url, cls.smtp, extra="max_batch_items: 5")
        text = re.sub(r"max_message_bytes: \d+", "max_message_bytes: 65536", text)
        text = re.sub(r"max_streams_per_client: \d+", "max_streams_per_client: 3", text)
        text += "\nweb { public_requests_per_minute: 10 }\n"
        cls.config = os.path.join(cls.tmp, "csopsd.textproto")
        with open(cls.config, "w", encoding="utf-8") as f:
            f.write(text)
        cls.server = Csopsd(config=cls.config).wait_serving()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.smtp.close()
        cls.providers.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_a_message_over_the_size_limit_is_refused(self):
        cases = CaseClient(self.server.grpc_addr)
        with self.assertRaises(grpc.RpcError) as e:
            cases.CreateCase(type_code="new_supply", branch_id=BRANCH,
                             applicant=case_pb2.Applicant(name="王"), summary="x" * 100000,
                             received_via=case_pb2.RECEIVED_VIA_COUNTER, staff_id="E1",
                             idempotency_key="big")
        self.assertEqual(e.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("larger than max", e.exception.details())
        # Under it, a field's own length limit names the field.
        with self.assertRaises(grpc.RpcError) as e:
            cases.CreateCase(type_code="new_supply", branch_id=BRANCH,
                             applicant=case_pb2.Applicant(name="王"), summary="x" * 3000,
                             received_via=case_pb2.RECEIVED_VIA_COUNTER, staff_id="E1",
                             idempotency_key="long")
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("summary", e.exception.details())
        ok = cases.CreateCase(type_code="new_supply", branch_id=BRANCH,
                              applicant=case_pb2.Applicant(name="王"), summary="ok",
                              received_via=case_pb2.RECEIVED_VIA_COUNTER, staff_id="E1",
                              idempotency_key="fine")
        self.assertTrue(ok.case.acceptance_number)
        cases.close()

    def test_streams_per_client_are_capped_and_given_back(self):
        queue = QueueClient(self.server.grpc_addr)
        cases = CaseClient(self.server.grpc_addr)
        open_streams = []
        for _ in range(2):
            s = queue.WatchBoard(BRANCH)
            next(s)  # the snapshot: the stream is established
            open_streams.append(s)
        sla = cases.WatchSlaEvents(timeout=30, branch_id=BRANCH)
        open_streams.append(sla)  # the third: a WatchSlaEvents counts too
        time.sleep(0.3)  # it sends nothing until an event: give it time to be opened
        over = queue.WatchBoard(BRANCH)
        with self.assertRaises(grpc.RpcError) as e:
            next(over)
        self.assertEqual(e.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("max_streams_per_client", e.exception.details())
        open_streams[0].cancel()
        time.sleep(0.3)
        again = queue.WatchBoard(BRANCH)
        self.assertEqual(next(again).kind, queue_pb2.BOARD_EVENT_KIND_SNAPSHOT)
        for s in open_streams[1:] + [again]:
            s.cancel()
        queue.close()
        cases.close()

    def test_a_batch_over_its_item_limit_rejects_the_rest_by_name(self):
        notify = NotifyClient(self.server.grpc_addr)
        items = [n.SendRequest(policy=n.ChannelPolicy(mode=n.ChannelPolicy.EXPLICIT,
                                                      channels=[n.CHANNEL_SMS]),
                               **bill("batch-%d" % i, mobile="0911%06d" % i)) for i in range(7)]
        summary = notify.SendBatch(items)
        self.assertEqual((summary.accepted, summary.rejected_count), (5, 2))
        self.assertEqual([r.index for r in summary.rejected], [5, 6])
        self.assertIn("at most 5 items", summary.rejected[0].reason)
        self.assertEqual(summary.rejected[1].idempotency_key, "batch-6")
        notify.close()

    def test_public_pages_are_rate_limited_per_client(self):
        url = self.server.web_url + "/progress/TS-260101-0001-1?code=X"
        statuses = []
        for _ in range(12):
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    statuses.append(r.status)
            except urllib.error.HTTPError as e:
                statuses.append(e.code)
                retry_after = e.headers.get("Retry-After")
        self.assertEqual(statuses[:10], [404] * 10)  # unknown case: answered
        self.assertEqual(statuses[10:], [429, 429])
        self.assertEqual(retry_after, "60")
        # Static files and staff pages are not public page budget.
        with urllib.request.urlopen(self.server.web_url + "/static/page.css", timeout=10) as r:
            self.assertEqual(r.status, 200)


if __name__ == "__main__":
    unittest.main()
