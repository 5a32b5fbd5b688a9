"""The notify service end to end: a real csopsd sends through local providers that speak the
real protocols (SMTP with STARTTLS and AUTH, a Mitake-style SMS gateway, a JSON SMS webhook, a
voice webhook, FCM HTTP v1), checked by python3-grpcio and by what the providers received."""
import email
import json
import email.policy
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import grpc

from csopsd_harness import (EXAMPLE_CONFIG, SOURCE_DIR, CaseClient, Csopsd, NotifyClient,
                            QueueClient, case_pb2, notify_pb2 as n, queue_pb2)
from fake_providers import ProviderServer, SmtpServer

NAME, MOBILE, EMAIL = "王小明", "0912345678", "ming@example.com"


def notify_config(providers_url, smtp, extra=""):
    with open(EXAMPLE_CONFIG, encoding="utf-8") as f:
        base = f.read()
    base = base[:base.index("\n# Notices to customers")]
    return base + f'''
notify {{
  templates_dir: "templates"
  quiet_start: "00:00"
  quiet_end: "00:00"
  retry_base_seconds: 1
  retry_max_seconds: 1
  max_attempts: 5
  workers: 8
  supervisor_emails: ["taipei-south=supervisors@example.com"]
  kinds {{ name: "bill_unpaid" }}
  kinds {{ name: "bill_unpaid_final" critical: true }}
  kinds {{ name: "case_accepted" }}
  kinds {{ name: "case_delayed" }}
  kinds {{ name: "case_completed" }}
  kinds {{ name: "sla_alert" }}
  kinds {{ name: "queue_turn_near" }}
  providers {{ name: "mail" kind: SMTP url: "smtp://127.0.0.1:{smtp.port}"
              from: "noreply@csops.example" username: "{smtp.USER}" password: "{smtp.PASSWORD}"
              ca_file: "{smtp.cert}" timeout_ms: 5000 }}
  providers {{ name: "mitake" kind: MITAKE_SMS url: "{providers_url}/mitake"
              username: "acct" password: "pw" timeout_ms: 1000 }}
  providers {{ name: "json_sms" kind: JSON_SMS url: "{providers_url}/json-sms" timeout_ms: 1000 }}
  providers {{ name: "voice" kind: VOICE_WEBHOOK url: "{providers_url}/voice"
              callback_url: "https://csops.example/receipts/voice" timeout_ms: 1000 }}
  providers {{ name: "fcm" kind: FCM url: "{providers_url}/fcm" project_id: "csops-test"
              bearer_token: "test-token" timeout_ms: 1000 }}
  plans {{
    name: "unpaid_bill"
    steps {{ name: "day0_notice" kind: "bill_unpaid" channels: ["email", "app_push"] }}
    steps {{ name: "day7_sms" delay_days: 7 kind: "bill_unpaid" channels: ["sms"] }}
    steps {{ name: "staff_call" after_variable: "second_due_date" task_case_type: "dunning_call" }}
    steps {{ name: "home_visit" after_variable: "second_due_date" delay_days: 10
             task_case_type: "dunning_visit" }}
  }}
  {extra}
}}
'''


def bill(key, **recipient):
    return dict(idempotency_key=key, kind="bill_unpaid", locale="zh-TW",
                recipient=n.Recipient(customer_number="01234567890", name=NAME, **recipient),
                variables={"bill_month": "115年10月", "amount": "1,234", "due_date": "2026-12-05",
                           "customer_number": "01234567890"},
                urgent=True)


class NotifyEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csops-notify-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(cls.tmp, sub))
        cls.providers = ProviderServer()
        cls.smtp = SmtpServer(cls.tmp)
        cls.config = os.path.join(cls.tmp, "csopsd.textproto")
        with open(cls.config, "w", encoding="utf-8") as f:
            f.write(notify_config(cls.providers.url, cls.smtp))
        cls.server = Csopsd("--target=notify", config=cls.config).wait_serving()
        cls.client = NotifyClient(cls.server.grpc_addr)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.close()
        cls.smtp.close()
        cls.providers.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def send(self, channels, mode=n.ChannelPolicy.EXPLICIT, **kw):
        return self.client.Send(policy=n.ChannelPolicy(mode=mode, channels=channels), **kw)

    def test_email_goes_over_starttls_with_auth_in_utf8(self):
        r = self.send([n.CHANNEL_EMAIL], **bill("mail-1", email=EMAIL))
        got = self.client.wait_status(r.id)
        self.assertEqual(got.status, "sent", got)
        mail = next(m for m in self.smtp.box if EMAIL in m["to"])
        self.assertTrue(mail["tls"])
        self.assertTrue(mail["auth"])
        msg = email.message_from_bytes(mail["data"], policy=email.policy.default)
        self.assertEqual(str(msg["Subject"]), "台電電費繳費提醒（115年10月）")
        self.assertEqual(msg["To"], EMAIL)
        self.assertEqual(msg["Message-ID"], got.deliveries[0].provider_message_id)
        self.assertIn("新台幣 1,234 元", msg.get_content())
        self.assertEqual(got.deliveries[0].destination, "m***@example.com")

    def test_mitake_sms_success_retry_and_permanent_error(self):
        self.providers.modes.update({"0911000001": "fail_once", "0911000002": "reject",
                                     "0911000003": "malformed"})
        ok = self.send([n.CHANNEL_SMS], **bill("sms-ok", mobile="0911-000-000"))
        flaky = self.send([n.CHANNEL_SMS], **bill("sms-flaky", mobile="0911000001"))
        bad = self.send([n.CHANNEL_SMS], **bill("sms-bad", mobile="0911000002"))
        got = self.client.wait_status(ok.id)
        self.assertEqual(got.status, "sent")
        self.assertRegex(got.deliveries[0].provider_message_id, r"^M\d{8}$")
        sent = [b for b in self.providers.received("/mitake") if b["dstaddr"] == "0911000000"][0]
        self.assertEqual((sent["username"], sent["password"]), ("acct", "pw"))
        self.assertIn("1,234元尚未繳納", sent["smbody"])
        self.assertTrue(sent["clientid"].startswith("csops-"))
        # 503 first, then the retry (to the other SMS provider, the JSON one) goes through.
        got = self.client.wait_status(flaky.id)
        self.assertEqual(got.status, "sent", got)
        self.assertEqual([a.result for a in got.attempts], ["transient", "ok"])
        self.assertEqual([a.provider for a in got.attempts], ["mitake", "json_sms"])
        self.assertIn("HTTP 503", got.attempts[0].error)
        got = self.client.wait_status(bad.id)
        self.assertEqual(got.status, "failed")
        self.assertEqual(len(got.attempts), 1)
        self.assertIn("statuscode k", got.deliveries[0].last_error)
        # The JSON SMS adapter's permanent error: Mitake answers 503, the retry goes to the
        # JSON provider, which refuses the number for good (HTTP 400).
        self.providers.modes["0911000004"] = "fail_once_then_reject"
        json_bad = self.send([n.CHANNEL_SMS], **bill("sms-json-bad", mobile="0911000004"))
        got = self.client.wait_status(json_bad.id)
        self.assertEqual(got.status, "failed")
        self.assertEqual([(a.provider, a.result) for a in got.attempts],
                         [("mitake", "transient"), ("json_sms", "permanent")])
        self.assertEqual(got.deliveries[0].last_error, "HTTP 400")

    def test_timeouts_429_and_malformed_replies_are_retried_until_given_up(self):
        for number, mode in (("0922000001", "slow"), ("0922000002", "busy"),
                             ("0922000003", "malformed")):
            self.providers.modes[number] = mode
        ids = [self.send([n.CHANNEL_SMS], **bill("retry-" + m, mobile=m)).id
               for m in ("0922000001", "0922000002", "0922000003")]
        for i in ids:
            got = self.client.wait_status(i, timeout=60)
            self.assertEqual(got.status, "failed", got)
            self.assertEqual(len(got.attempts), 5)  # max_attempts
            self.assertTrue(all(a.result == "transient" for a in got.attempts))
            self.assertIn("gave up after 5 attempts", got.deliveries[0].last_error)
        slow = self.client.GetNotification(id=ids[0])
        self.assertTrue(any("timeout" in a.error.lower() or "503" in a.error
                            for a in slow.attempts))

    def test_voice_and_fcm_adapters_classify_every_failure(self):
        # Each mode against each adapter: transient ones end "gave up after 5 attempts",
        # permanent ones fail at the first attempt.
        expect = {"busy": "transient", "down": "transient", "slow": "transient",
                  "malformed": "transient", "reject": "permanent", "ok": "ok"}
        ids = {}
        for i, mode in enumerate(expect):
            number = "09550000%02d" % i
            token = "fcm-%s-token" % mode
            self.providers.modes[number] = mode
            self.providers.modes[token] = mode
            ids[("voice", mode)] = self.send([n.CHANNEL_VOICE],
                                             **bill("voice-" + mode, mobile=number)).id
            ids[("fcm", mode)] = self.send([n.CHANNEL_APP_PUSH],
                                           **bill("fcm-" + mode, push_tokens=[token])).id
        for (adapter, mode), nid in ids.items():
            got = self.client.wait_status(nid, timeout=60)
            results = [a.result for a in got.attempts]
            if expect[mode] == "ok":
                self.assertEqual((got.status, results), ("sent", ["ok"]), (adapter, mode))
            elif expect[mode] == "permanent":
                self.assertEqual((got.status, results), ("failed", ["permanent"]), (adapter, mode))
            else:
                self.assertEqual(got.status, "failed", (adapter, mode))
                self.assertEqual(results, ["transient"] * 5, (adapter, mode))

    def test_fallback_chain_moves_to_the_next_channel_when_email_bounces(self):
        r = self.send([n.CHANNEL_EMAIL, n.CHANNEL_SMS, n.CHANNEL_VOICE],
                      mode=n.ChannelPolicy.FALLBACK,
                      **bill("chain-1", email="nobody@example.com", mobile="0933000000"))
        got = self.client.wait_status(r.id)
        self.assertEqual(got.status, "sent", got)
        self.assertEqual([d.status for d in got.deliveries],
                         [n.DELIVERY_STATUS_FAILED, n.DELIVERY_STATUS_SENT,
                          n.DELIVERY_STATUS_CANCELLED])
        self.assertIn("550", got.deliveries[0].last_error)

    def test_voice_and_app_push_speak_their_protocols(self):
        r = self.send([n.CHANNEL_VOICE], **bill("voice-1", mobile="0944000000"))
        self.assertEqual(self.client.wait_status(r.id).status, "sent")
        call = [b for b in self.providers.received("/voice") if b["to"] == "0944000000"][0]
        self.assertEqual(call["callback_url"], "https://csops.example/receipts/voice")
        self.assertIn("1,234", call["text"])
        self.providers.modes["gone-token"] = "reject"
        r = self.send([n.CHANNEL_APP_PUSH], **bill("push-1", push_tokens=["live-token", "gone-token"]))
        got = self.client.wait_status(r.id)
        self.assertEqual(got.status, "sent", got)
        pushes = self.providers.received("/fcm/v1/projects/csops-test/messages:send")
        live = [p for p in pushes if p["message"]["token"] == "live-token"][0]
        self.assertEqual(live["_authorization"], "Bearer test-token")
        self.assertEqual(live["message"]["notification"]["title"], "台電電費繳費提醒（115年10月）")
        self.assertEqual(live["message"]["data"]["amount"], "1,234")
        self.assertTrue(all(isinstance(v, str) for v in live["message"]["data"].values()))
        # The gone installation was pruned: a notice to it alone fails without calling FCM.
        before = len(self.providers.received("/fcm"))
        r = self.send([n.CHANNEL_APP_PUSH], **bill("push-2", push_tokens=["gone-token"]))
        got = self.client.wait_status(r.id)
        self.assertEqual(got.status, "failed")
        self.assertIn("no live app installation", got.deliveries[0].last_error)
        self.assertEqual(len(self.providers.received("/fcm")), before)

    def test_same_key_same_id_and_nothing_sent_twice(self):
        first = self.send([n.CHANNEL_SMS], **bill("dup-1", mobile="0955000000"))
        again = self.send([n.CHANNEL_SMS], **bill("dup-1", mobile="0955000000"))
        self.assertEqual(first.id, again.id)
        self.assertFalse(first.duplicate)
        self.assertTrue(again.duplicate)
        self.client.wait_status(first.id)
        time.sleep(0.3)
        self.assertEqual(self.providers.seen.get("0955000000"), 1)

    def test_receipts_mark_delivered_even_when_they_come_first(self):
        r = self.send([n.CHANNEL_SMS], **bill("rcpt-1", mobile="0966000000"))
        got = self.client.wait_status(r.id)
        self.assertTrue(self.client.ReportDelivery(
            provider=got.attempts[-1].provider,
            provider_message_id=got.deliveries[0].provider_message_id, delivered=True).applied)
        self.assertEqual(self.client.GetNotification(id=r.id).status, "delivered")
        early = self.client.ReportDelivery(provider="mitake", provider_message_id="M99999999",
                                           delivered=True)
        self.assertFalse(early.applied)  # kept until the send it names is recorded
        # The same over HTTP, as providers call back: a Mitake-style GET DLR ...
        r2 = self.send([n.CHANNEL_SMS], **bill("rcpt-2", mobile="0966000001"))
        got = self.client.wait_status(r2.id)
        self.assertEqual(got.attempts[-1].provider, "mitake")
        msgid = got.deliveries[0].provider_message_id
        with urllib.request.urlopen(self.server.web_url + "/receipts/mitake?msgid=" + msgid +
                                    "&dstaddr=0966000001&statuscode=0&statusstr=DELIVRD",
                                    timeout=10) as resp:
            self.assertEqual(resp.read().decode(),
                             "magicid=sms_gateway_rpack\nmsgid=%s\n" % msgid)
        self.assertEqual(self.client.GetNotification(id=r2.id).status, "delivered")
        # ... and a JSON webhook POST that reports a failure (an unanswered call).
        r3 = self.send([n.CHANNEL_VOICE], **bill("rcpt-3", mobile="0966000002"))
        got = self.client.wait_status(r3.id)
        req = urllib.request.Request(
            self.server.web_url + "/receipts/voice", method="POST",
            data=json.dumps({"id": got.deliveries[0].provider_message_id, "delivered": False,
                             "detail": "no answer"}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            self.assertEqual(json.loads(resp.read()), {"applied": True})
        failed = self.client.GetNotification(id=r3.id)
        self.assertEqual(failed.status, "failed")
        self.assertIn("no answer", failed.deliveries[0].last_error)
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(self.server.web_url + "/receipts/mitake?statusstr=DELIVRD",
                                   timeout=10)
        self.assertEqual(e.exception.code, 400)
        # Hostile bodies are refused, and the server stays up.
        for body in (b"{not json", b'{"id": 5, "delivered": true}', b"[]",
                     b'{"id": "x", "delivered": true, "detail": 5}', b"\xff" * 70000):
            bad = urllib.request.Request(self.server.web_url + "/receipts/voice", method="POST",
                                         data=body, headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(bad, timeout=10) as resp:
                    self.assertIn(resp.status, (200,))
            except urllib.error.HTTPError as err:
                self.assertIn(err.code, (400, 413))
            except (ConnectionResetError, urllib.error.URLError):
                pass  # the 64 KiB body limit closes the connection
        with urllib.request.urlopen(self.server.web_url + "/healthz", timeout=10) as resp:
            self.assertEqual(resp.read(), b"ok\n")

    def test_bad_input_is_refused_by_name(self):
        cases = [
            (dict(bill(""), policy=n.ChannelPolicy(channels=[n.CHANNEL_SMS])), "idempotency_key"),
            (dict(bill("b1", mobile="12345")), "recipient.mobile"),
            (dict(bill("b2", email="x@"), policy=n.ChannelPolicy(channels=[n.CHANNEL_EMAIL])),
             "recipient.email"),
            (dict(bill("b3", mobile=MOBILE), kind="lottery"), "kind"),
            (dict(bill("b4", mobile=MOBILE), locale="fr"), "locale"),
            (dict(bill("b5", mobile=MOBILE), variables={"amount": "1"}), "variables."),
            (dict(bill("b6"), policy=n.ChannelPolicy(mode=n.ChannelPolicy.EXPLICIT,
                                                     channels=[n.CHANNEL_SMS])),
             "recipient.mobile: required for sms"),
            (dict(bill("b7", postal_address=["台北市"]),
                  policy=n.ChannelPolicy(mode=n.ChannelPolicy.EXPLICIT,
                                         channels=[n.CHANNEL_POSTCARD])),
             "no provider is configured for postcard"),
        ]
        for request, text in cases:
            with self.assertRaises(grpc.RpcError) as e:
                self.client.Send(**request)
            self.assertIn(e.exception.code(), (grpc.StatusCode.INVALID_ARGUMENT,
                                               grpc.StatusCode.FAILED_PRECONDITION))
            self.assertIn(text, e.exception.details())
        with self.assertRaises(grpc.RpcError) as e:
            self.client.GetNotification(idempotency_key="b1")
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        from google.protobuf.timestamp_pb2 import Timestamp
        with self.assertRaises(grpc.RpcError) as e:  # far beyond any valid instant
            self.client.Send(send_after=Timestamp(seconds=2**62),
                             **bill("b8", mobile=MOBILE))
        self.assertIn("send_after", e.exception.details())
        with self.assertRaises(grpc.RpcError) as e:
            self.client.SetPreferences(preferences=n.Preferences(
                customer_number="1", quiet_start="２２:00", quiet_end="07:00"))
        self.assertIn("preferences.quiet_start", e.exception.details())

    def test_batch_accepts_good_items_and_names_each_bad_one(self):
        def items():
            for i in range(3000):
                # A repeated key repeats its request (a different one would be ALREADY_EXISTS).
                mobile = "0977%06d" % (i % 2990) if i % 1000 != 7 else "bad"
                yield n.SendRequest(policy=n.ChannelPolicy(channels=[n.CHANNEL_SMS]),
                                    **bill("batch-%d" % (i % 2990), mobile=mobile))
        summary = self.client.SendBatch(items())
        self.assertEqual(summary.rejected_count, 3)
        # Keys batch-0..9 come twice; batch-7's first item is the bad one, so its second is new.
        self.assertEqual(summary.duplicates, 9)
        self.assertEqual(summary.accepted, 3000 - 3 - 9)
        self.assertEqual([r.index for r in summary.rejected], [7, 1007, 2007])
        self.assertIn("recipient.mobile", summary.rejected[0].reason)

    def test_preferences_opt_out_and_listing_by_customer(self):
        prefs = self.client.SetPreferences(preferences=n.Preferences(
            customer_number="77777", opted_out=[n.CHANNEL_EMAIL], quiet_start="22:00",
            quiet_end="07:30"))
        self.assertEqual(prefs.quiet_end, "07:30")
        req = bill("pref-1", email=EMAIL, mobile="0988000000")
        req["recipient"].customer_number = "77777"
        r = self.send([n.CHANNEL_EMAIL, n.CHANNEL_SMS], mode=n.ChannelPolicy.FALLBACK, **req)
        got = self.client.wait_status(r.id)
        self.assertEqual([d.channel for d in got.deliveries], [n.CHANNEL_SMS])
        listed = self.client.ListNotifications(customer_number="77777")
        self.assertEqual([x.id for x in listed.notifications], [r.id])
        self.assertEqual(self.client.GetPreferences(customer_number="77777").opted_out,
                         [n.CHANNEL_EMAIL])

    def test_metrics_pass_promtool_and_hold_no_personal_data(self):
        r = self.send([n.CHANNEL_SMS], **bill("metrics-1", mobile="0999000000"))
        self.client.wait_status(r.id)
        text = self.server.scrape()
        for series in ('csops_notify_accepted_total{kind="bill_unpaid"}',
                       'csops_notify_attempts_total{channel="sms",provider="mitake",result="ok"}',
                       'csops_notify_queue_depth{channel="sms"}',
                       'csops_notify_delivery_seconds_bucket{channel="sms",stage="sent"'):
            self.assertIn(series, text)
        check = subprocess.run(["promtool", "check", "metrics"], input=text,
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        logs = self.server.stderr()
        for secret in (NAME, "0999000000", EMAIL):
            self.assertNotIn(secret, text)
            self.assertNotIn(secret, logs)


    def wait_committed_sends(self, server, want, timeout=20):
        deadline = time.monotonic() + timeout
        got = {}
        while time.monotonic() < deadline:
            got = {}
            for line in server.scrape().splitlines():
                m = re.match(r'csops_notify_attempts_total\{channel="(\w+)",provider="[^"]*",'
                             r'result="ok"\} (\d+)', line)
                if m:
                    got[m.group(1)] = got.get(m.group(1), 0) + int(m.group(2))
            if all(got.get(c, 0) >= k for c, k in want.items()):
                return
            time.sleep(0.05)
        self.fail("sends not committed within %d s: %r" % (timeout, got))

    def test_case_and_queue_outboxes_reach_the_applicant_once_across_kill_9(self):
        data = os.path.join(self.tmp, "relay-data")
        server = Csopsd(config=self.config, data_dir=data).wait_serving()
        try:
            cases = CaseClient(server.grpc_addr)
            created = cases.CreateCase(
                type_code="ownership_transfer", branch_id="taipei-south",
                applicant=case_pb2.Applicant(name=NAME, email="relay@example.com",
                                             preferred_channels=[case_pb2.NOTICE_CHANNEL_EMAIL]),
                received_via=case_pb2.RECEIVED_VIA_COUNTER, summary="過戶", staff_id="E1",
                idempotency_key="relay-case-1")
            number = created.case.acceptance_number
            queue = QueueClient(server.grpc_addr)
            ticket = queue.IssueTicket(
                branch_id="taipei-south", service_code="B", idempotency_key="relay-ticket-1",
                priority=queue_pb2.PRIORITY_CLASS_NORMAL,
                channel=queue_pb2.CHANNEL_APP,
                contact=queue_pb2.Contact(kind=queue_pb2.CONTACT_KIND_SMS,
                                          address="0900111222")).ticket
            deadline = time.monotonic() + 20
            mails = []
            while time.monotonic() < deadline:
                mails = [m for m in self.smtp.box if "relay@example.com" in m["to"]]
                if mails and self.providers.seen.get("0900111222"):
                    break
                time.sleep(0.1)
            self.assertEqual(len(mails), 1)
            msg = email.message_from_bytes(mails[0]["data"], policy=email.policy.default)
            self.assertIn(number, str(msg["Subject"]))
            self.assertIn(created.lookup_url, msg.get_content())
            sms = [b for b in self.providers.received("/mitake") if b["dstaddr"] == "0900111222"]
            self.assertEqual(len(sms), 1)
            self.assertIn(ticket.number, sms[0]["smbody"])
            cases.close()
            queue.close()
            # The kill lands after both outcomes are committed: that is when "sent" is
            # acknowledged, and nothing acknowledged may go out again. (A send still in flight
            # at a crash may go out twice; e2e_notify_crash bounds that.) The attempt counter
            # moves only after the commit, and this process counted nothing before.
            self.wait_committed_sends(server, {"email": 1, "sms": 1})
            server.terminate(signal.SIGKILL)
            again = Csopsd(config=self.config, data_dir=data).wait_serving()
            try:
                time.sleep(1.5)  # relays and dispatcher run their backlog (there is none)
                self.assertEqual(len([m for m in self.smtp.box if "relay@example.com" in m["to"]]), 1)
                self.assertEqual(self.providers.seen.get("0900111222"), 1)
            finally:
                again.close()
        finally:
            server.close()


    def test_csopsctl_sends_and_runs_an_unpaid_bill_plan_that_opens_a_staff_call_case(self):
        server = Csopsd(config=self.config).wait_serving()
        try:
            out = server.ctl("notify", "send", "--kind=bill_unpaid", "--key=ctl-1",
                             "--mobile=0911222333", "--channels=sms", "--mode=explicit",
                             "--urgent=true", "--customer=01234567890", "--var.bill_month=10月",
                             "--var.amount=500", "--var.due_date=2026-12-01",
                             "--var.customer_number=01234567890")
            self.assertEqual(out.returncode, 0, out.stderr)
            nid = out.stdout.split()[0]
            client = NotifyClient(server.grpc_addr)
            self.assertEqual(client.wait_status(nid).status, "sent")
            got = server.ctl("notify", "get", nid)
            self.assertIn("sent", got.stdout)
            self.assertIn("*******333", got.stdout)  # masked
            self.assertNotIn("0911222333", got.stdout)
            self.assertIn(nid, server.ctl("notify", "list", "--customer=01234567890").stdout)
            batch = os.path.join(self.tmp, "batch.jsonl")
            with open(batch, "w", encoding="utf-8") as f:
                for i in range(3):
                    f.write('{"key":"ctl-b%d","kind":"bill_unpaid","channels":["sms"],'
                            '"recipient":{"mobile":"0911222%03d"},"variables":{"bill_month":"x",'
                            '"amount":"1","due_date":"d","customer_number":"1"}}\n' % (i, i))
                f.write('{"key":"ctl-bad","kind":"nope","channels":["sms"]}\n')
            r = server.ctl("notify", "batch", batch)
            self.assertEqual(r.returncode, 1)  # one item refused
            self.assertIn("accepted 3  duplicates 0  rejected 1", r.stdout)
            self.assertIn("kind: 'nope' is not configured", r.stdout)
            # The plan: day 0 at once; the second due date is yesterday, so the staff call is
            # due now and becomes a dunning_call case; paid before the home visit.
            yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600 - 86400))
            r = server.ctl("notify", "plan", "start", "--plan=unpaid_bill", "--key=bill-ctl-1",
                           "--email=plan@example.com", "--name=" + NAME, "--customer=01234567890",
                           "--var.bill_month=10月", "--var.amount=500", "--var.due_date=2026-12-01",
                           "--var.customer_number=01234567890",
                           "--var.second_due_date=" + yesterday, "--var.branch_id=taipei-south")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"home_visit\s+due \S+\s+pending")
            cases = CaseClient(server.grpc_addr)
            deadline = time.monotonic() + 20
            calls = []
            while time.monotonic() < deadline and not calls:
                calls = cases.ListCases(type_code="dunning_call").cases
                time.sleep(0.1)
            self.assertEqual(len(calls), 1)
            mails = [m for m in self.smtp.box if "plan@example.com" in m["to"]]
            self.assertEqual(len(mails), 1)
            r = server.ctl("notify", "plan", "stop", "--plan=unpaid_bill", "--key=bill-ctl-1",
                           "--reason=paid")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"home_visit\s+due \S+\s+cancelled")
            self.assertRegex(r.stdout, r"staff_call\s+due \S+\s+done")
            self.assertIn("stopped", r.stdout)
            self.assertEqual(len(cases.ListCases(type_code="dunning_visit").cases), 0)
            bad = server.ctl("notify", "plan", "start", "--plan=unpaid_bill", "--key=bill-ctl-2",
                             "--email=plan@example.com")
            self.assertEqual(bad.returncode, 1)
            self.assertIn("INVALID_ARGUMENT", bad.stderr)
            self.assertIn("variables.", bad.stderr)
            cases.close()
            client.close()
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
