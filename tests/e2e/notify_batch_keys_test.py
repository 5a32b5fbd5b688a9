"""SendBatch streams that break, and idempotency keys reused with a different request, seen from
outside (issue 15, items 3 and 6): python3-grpcio sends the stream's items as raw bytes, so an
item can hold what no well-behaved client would send (a string that is not UTF-8)."""
import os
import re
import shutil
import tempfile
import time
import unittest

import grpc

from csopsd_harness import EXAMPLE_CONFIG, SOURCE_DIR, Csopsd, NotifyClient, notify_pb2 as n


def config():
    with open(EXAMPLE_CONFIG, encoding="utf-8") as f:
        base = f.read()
    base = base[:base.index("\n# Notices to customers")]
    # Nothing is dispatched during the test (every notice is due an hour later); the provider
    # only has to exist.
    return base + '''
notify {
  templates_dir: "templates"
  kinds { name: "bill_unpaid" }
  providers { name: "mail" kind: SMTP url: "smtp://127.0.0.1:1" from: "noreply@csops.example" }
}
'''


def bill(key, amount="1,234", name="王小明"):
    req = n.SendRequest(
        idempotency_key=key, kind="bill_unpaid", locale="zh-TW",
        recipient=n.Recipient(customer_number="01234567890", name=name, email="ming@example.com"),
        variables={"bill_month": "115年10月", "amount": amount, "due_date": "2026-12-05",
                   "customer_number": "01234567890"},
        policy=n.ChannelPolicy(mode=n.ChannelPolicy.EXPLICIT, channels=[n.CHANNEL_EMAIL]))
    req.send_after.seconds = int(time.time()) + 3600
    return req


class NotifyBatchAndKeysTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csops-batch-keys-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(cls.tmp, sub))
        path = os.path.join(cls.tmp, "csopsd.textproto")
        with open(path, "w", encoding="utf-8") as f:
            f.write(config())
        cls.server = Csopsd("--target=notify", config=path).wait_serving()
        cls.client = NotifyClient(cls.server.grpc_addr)
        cls.channel = grpc.insecure_channel(cls.server.grpc_addr)
        cls.raw_batch = cls.channel.stream_unary(
            "/csops.notify.v1.NotifyService/SendBatch",
            request_serializer=lambda b: b, response_deserializer=n.SendBatchSummary.FromString)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.client.close()
        cls.server.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def stored(self, key):
        try:
            self.client.GetNotification(idempotency_key=key)
            return True
        except grpc.RpcError as e:
            self.assertEqual(e.code(), grpc.StatusCode.NOT_FOUND, e.details())
            return False

    def broken_stream_errors(self):
        m = re.search(r'^csops_notify_batch_stream_errors_total\{reason="unreadable_item"\} (\S+)$',
                      self.server.scrape(), re.M)
        return float(m.group(1)) if m else None

    def test_an_unreadable_item_ends_the_call_with_an_error_naming_it(self):
        items = [bill("brk-%d" % i).SerializeToString() for i in range(1, 6)]
        # Item 2: its recipient.name is not UTF-8 (same length, so the framing stays right).
        marked = bill("brk-2", name="XXXX").SerializeToString()
        items[1] = marked.replace(b"XXXX", b"\xff\xfeXX")
        before = self.broken_stream_errors()
        with self.assertRaises(grpc.RpcError) as err:
            self.raw_batch(iter(items), timeout=30)
        e = err.exception
        self.assertEqual(e.code(), grpc.StatusCode.INVALID_ARGUMENT, e.details())
        self.assertIn("item 2 ", e.details())
        self.assertIn("recipient.name: not valid UTF-8", e.details())
        self.assertIn("1 accepted, 0 duplicates, 0 rejected", e.details())
        self.assertIn("resend from item 2", e.details())
        trailer = dict(e.trailing_metadata() or ())
        summary = n.SendBatchSummary.FromString(trailer["csops-batch-summary-bin"])
        self.assertEqual((summary.accepted, summary.rejected_count), (1, 0))
        # Item 1 was committed and stays; nothing from the break on was stored.
        self.assertTrue(self.stored("brk-1"))
        for key in ("brk-2", "brk-3", "brk-4", "brk-5"):
            self.assertFalse(self.stored(key), key)
        self.assertEqual(self.broken_stream_errors(), (before or 0) + 1)
        # The client resumes from item 2 with a readable item and gets the rest in.
        rest = self.raw_batch(iter([bill("brk-%d" % i).SerializeToString() for i in range(2, 6)]),
                              timeout=30)
        self.assertEqual((rest.accepted, rest.duplicates, rest.rejected_count), (4, 0, 0))

    def test_a_well_formed_stream_still_answers_its_summary(self):
        summary = self.client.SendBatch([bill("ok-1"), bill("ok-2"), bill("ok-1"),
                                         n.SendRequest(idempotency_key="ok-3", kind="nope")])
        self.assertEqual((summary.accepted, summary.duplicates, summary.rejected_count), (2, 1, 1))
        self.assertEqual(summary.rejected[0].index, 3)
        self.assertIn("kind", summary.rejected[0].reason)

    def test_a_key_reused_with_a_different_request_is_already_exists(self):
        first = self.client.Send(**_fields(bill("reuse-1")))
        again = self.client.Send(**_fields(bill("reuse-1")))
        self.assertEqual((again.id, again.duplicate), (first.id, True))
        with self.assertRaises(grpc.RpcError) as err:
            self.client.Send(**_fields(bill("reuse-1", amount="9,999")))
        self.assertEqual(err.exception.code(), grpc.StatusCode.ALREADY_EXISTS)
        self.assertIn("idempotency_key: 'reuse-1'", err.exception.details())
        got = self.client.GetNotification(idempotency_key="reuse-1")
        self.assertEqual(got.id, first.id)
        # In a batch the reused key is one rejected item; the others go in.
        summary = self.client.SendBatch([bill("reuse-2"), bill("reuse-1", amount="1")])
        self.assertEqual((summary.accepted, summary.rejected_count), (1, 1))
        self.assertEqual(summary.rejected[0].index, 1)
        self.assertIn("idempotency_key: 'reuse-1'", summary.rejected[0].reason)


def _fields(req):
    return {f.name: v for f, v in req.ListFields()}


if __name__ == "__main__":
    unittest.main()
