"""The case service end to end through python3-grpcio against a real csopsd: create, status
changes with SLA pauses, notes, declared delays, and the public look-up (which must not leak
personal data and must resist guessing)."""
import datetime
import subprocess
import time
import unittest

import grpc

from csopsd_harness import CSOPSCTL, CaseClient, Csopsd, case_pb2 as c

NAME, PHONE, EMAIL = "王小明", "0912345678", "ming@example.com"


class CaseEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Csopsd().wait_serving()
        cls.client = CaseClient(cls.server.grpc_addr)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.close()

    def create(self, key, type_code="complaint"):
        return self.client.CreateCase(
            type_code=type_code, branch_id="taipei-south",
            applicant=c.Applicant(name=NAME, phone=PHONE, email=EMAIL,
                                  preferred_channels=[c.NOTICE_CHANNEL_EMAIL]),
            received_via=c.RECEIVED_VIA_COUNTER, summary="停電多次，要求說明", staff_id="E0042",
            idempotency_key=key)

    def test_a_complaint_from_registration_to_completion(self):
        created = self.create("e2e-1")
        case = created.case
        self.assertRegex(case.acceptance_number, r"^TS-\d{6}-\d{4}-\d$")
        self.assertEqual(len(created.lookup_code), 10)
        self.assertIn(case.acceptance_number, created.lookup_url)
        self.assertEqual([t.name for t in case.targets], ["first_reply", "resolution"])
        self.assertTrue(all(t.HasField("due_at") for t in case.targets))
        # A retry returns the same case and code.
        again = self.create("e2e-1")
        self.assertEqual(again.case.acceptance_number, case.acceptance_number)
        self.assertEqual(again.lookup_code, created.lookup_code)

        n = case.acceptance_number
        moved = self.client.Transition(acceptance_number=n, to_status=c.CASE_STATUS_IN_PROGRESS,
                                       staff_id="E0042").case
        first_reply = moved.targets[0]
        self.assertEqual(first_reply.state, c.SLA_STATE_MET)
        waiting = self.client.Transition(acceptance_number=n,
                                         to_status=c.CASE_STATUS_WAITING_CUSTOMER,
                                         staff_id="E0042", note="請補附用電地址證明").case
        self.assertEqual(waiting.targets[1].state, c.SLA_STATE_PAUSED)
        self.assertFalse(waiting.targets[1].HasField("due_at"))
        self.client.AddNote(acceptance_number=n, staff_id="E0042", note="已電話聯絡")
        delayed = self.client.DeclareDelay(acceptance_number=n, staff_id="E0042",
                                           reason="需會同現場勘查", new_expected_date="2099-01-15")
        self.assertEqual(delayed.case.delay_new_date, "2099-01-15")

        public = self.client.LookupProgress(acceptance_number=n, lookup_code=created.lookup_code,
                                            locale="en")
        self.assertEqual(public.status, c.CASE_STATUS_WAITING_CUSTOMER)
        self.assertEqual(public.expected_completion_date, "2099-01-15")
        self.assertEqual(public.delay_reason, "需會同現場勘查")
        text = str(public)
        for secret in (NAME, PHONE, EMAIL, "E0042", "已電話聯絡"):
            self.assertNotIn(secret, text)

        listed = self.client.ListCases(type_code="complaint", sla_state=c.SLA_STATE_PAUSED).cases
        self.assertIn(n, [x.acceptance_number for x in listed])
        assigned = self.client.Assign(acceptance_number=n, staff_id="E0001",
                                      department="business", assignee="E0042").case
        self.assertEqual((assigned.assignee_department, assigned.assignee_staff), ("business", "E0042"))
        mine = self.client.ListCases(assignee="E0042").cases
        self.assertIn(n, [x.acceptance_number for x in mine])
        full = self.client.GetCase(acceptance_number=n).case
        self.assertEqual([h.kind for h in full.history],
                         ["created", "transition", "transition", "note", "delay", "assign"])
        done = self.client.Transition(acceptance_number=n, to_status=c.CASE_STATUS_COMPLETED,
                                      staff_id="E0042").case
        self.assertEqual(done.status, c.CASE_STATUS_COMPLETED)
        self.assertNotIn(PHONE, self.server.stderr())
        metrics = self.server.scrape()
        self.assertRegex(metrics, r'csops_case_opened_total\{branch="taipei-south",type="complaint",'
                                  r'via="counter"\} [1-9]')
        self.assertRegex(metrics, r'csops_case_closed_total\{branch="taipei-south",'
                                  r'outcome="completed",type="complaint",within_sla="true"\} 1')
        self.assertRegex(metrics, r'csops_case_sla_events_total\{event="met",'
                                  r'target="first_reply",type="complaint"\} 1')
        check = subprocess.run(["promtool", "check", "metrics"], input=metrics,
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertNotIn(case.acceptance_number, metrics)
        self.assertRegex(metrics, r'csops_case_open\{sla_state="on_track",type="new_supply"\} \d')
        # The report agrees with the metrics over the same events.
        from google.protobuf.timestamp_pb2 import Timestamp
        now = int(time.time())
        report = self.client.GetSlaReport(**{"from": Timestamp(seconds=now - 86400),
                                             "to": Timestamp(seconds=now + 86400),
                                             "type_code": "complaint"}).types
        self.assertEqual(len(report), 1)
        self.assertEqual((report[0].closed, report[0].closed_within_sla), (1, 1))
        self.assertEqual(report[0].share_within_sla, 1.0)

    def test_wrong_code_and_unknown_number_look_the_same_and_guessing_is_limited(self):
        created = self.create("e2e-2", type_code="new_supply")
        n = created.case.acceptance_number
        errors = []
        for code in ("AAAAAAAAAA", "BBBBBBBBBB"):
            with self.assertRaises(grpc.RpcError) as err:
                self.client.LookupProgress(acceptance_number=n, lookup_code=code)
            errors.append((err.exception.code(), err.exception.details()))
        self.assertEqual(errors[0], errors[1])
        self.assertEqual(errors[0][0], grpc.StatusCode.NOT_FOUND)
        for _ in range(20):
            try:
                self.client.LookupProgress(acceptance_number=n, lookup_code="CCCCCCCCCC")
            except grpc.RpcError as e:
                last = e
        self.assertEqual(last.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)

    def test_bad_input_is_refused_by_name(self):
        with self.assertRaises(grpc.RpcError) as err:
            self.create("e2e-3", type_code="teleportation")
        self.assertEqual(err.exception.code(), grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(grpc.RpcError) as err:
            self.client.GetCase(acceptance_number="TS-260212-0001-0")
        self.assertIn("check digit", err.exception.details())
        created = self.create("e2e-4", type_code="meter_relocation")
        with self.assertRaises(grpc.RpcError) as err:
            self.client.AddNote(acceptance_number=created.case.acceptance_number,
                                staff_id="E1", note="x" * 2001)
        self.assertEqual(err.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("limit is 2000", err.exception.details())
        with self.assertRaises(grpc.RpcError) as err:
            self.client.DeclareDelay(acceptance_number=created.case.acceptance_number,
                                     staff_id="E1", reason="r", new_expected_date="2001-01-01")
        self.assertIn("in the past", err.exception.details())


class SlaWatchTest(unittest.TestCase):
    def test_supervisors_see_sla_events_as_they_fire(self):
        server = Csopsd().wait_serving()
        client = CaseClient(server.grpc_addr)
        try:
            stream = client.WatchSlaEvents(branch_id="taipei-south", type_code="complaint")
            created = client.CreateCase(
                type_code="complaint", branch_id="taipei-south",
                applicant=c.Applicant(name=NAME), received_via=c.RECEIVED_VIA_PHONE,
                summary="電費疑義", staff_id="E0042", idempotency_key="watch-1")
            client.Transition(acceptance_number=created.case.acceptance_number,
                              to_status=c.CASE_STATUS_IN_PROGRESS, staff_id="E0042")
            notice = next(stream)
            self.assertEqual(notice.acceptance_number, created.case.acceptance_number)
            self.assertEqual((notice.target, notice.event), ("first_reply", "met"))
            self.assertFalse(notice.late)
            self.assertNotIn(NAME, str(notice))
            stream.cancel()
        finally:
            client.close()
            server.close()


class ReloadTest(unittest.TestCase):
    def test_sighup_recomputes_due_instants_and_keeps_running_on_a_bad_file(self):
        import os
        import signal
        import tempfile
        from csopsd_harness import EXAMPLE_CONFIG, SOURCE_DIR
        tmp = tempfile.mkdtemp(prefix="csops-reload-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(tmp, sub))
        config = os.path.join(tmp, "csopsd.textproto")
        with open(EXAMPLE_CONFIG) as f:
            original = f.read()
        old_rule = 'name_en: "Ownership transfer"\n  targets { name: "resolution" working_days: 3 }'
        self.assertIn(old_rule, original)
        with open(config, "w") as f:
            f.write(original)
        server = Csopsd(config=config).wait_serving()
        client = CaseClient(server.grpc_addr)
        try:
            created = client.CreateCase(
                type_code="ownership_transfer", branch_id="taipei-south",
                applicant=c.Applicant(name=NAME), received_via=c.RECEIVED_VIA_COUNTER,
                summary="過戶", staff_id="E1", idempotency_key="reload-1").case
            before = created.targets[0].due_at.seconds
            with open(config, "w") as f:
                f.write(original.replace(old_rule, old_rule.replace("working_days: 3",
                                                                    "working_days: 13")))
            server.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while "config_reloaded" not in server.stderr() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertIn("config_reloaded", server.stderr())
            after = client.GetCase(acceptance_number=created.acceptance_number).case
            # Ten more working days: at least two weeks later.
            self.assertGreaterEqual(after.targets[0].due_at.seconds - before, 14 * 86400)
            with open(config, "w") as f:
                f.write("this is { not a config")
            server.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while "config_reload_failed" not in server.stderr() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertIn("config_reload_failed", server.stderr())
            still = client.GetCase(acceptance_number=created.acceptance_number).case
            self.assertEqual(still.targets[0].due_at.seconds, after.targets[0].due_at.seconds)
        finally:
            client.close()
            server.close()


class CaseCtlTest(unittest.TestCase):
    def test_csopsctl_runs_a_case_from_a_terminal(self):
        server = Csopsd().wait_serving()
        try:
            out = server.ctl("case", "create", "--type=ownership_transfer", "--branch=taipei-south",
                             "--name=" + NAME, "--phone=" + PHONE, "--notify=sms",
                             "--staff=E0042", "--summary=過戶申請")
            self.assertEqual(out.returncode, 0, out.stderr)
            number = out.stdout.split()[0]
            code = next(l.split()[2] for l in out.stdout.splitlines() if l.startswith("look-up code"))
            self.assertRegex(number, r"^TS-\d{6}-\d{4}-\d$")
            r = server.ctl("case", "transition", "--to=waiting_customer", "--staff=E0042",
                           "--note=請補附印鑑證明", number)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("(paused)", r.stdout)
            r = server.ctl("case", "lookup", "--code=" + code, number)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("待補件", r.stdout)
            self.assertNotIn(NAME, r.stdout)
            r = server.ctl("case", "get", number)
            self.assertIn("created", r.stdout)
            r = server.ctl("case", "assign", "--staff=E0001", "--department=business",
                           "--assignee=E0042", number)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = server.ctl("case", "list", "--assignee=E0042", "--sla=paused")
            self.assertIn(number, r.stdout)
            r = server.ctl("case", "note", "--staff=E0042", "--note=已電話聯絡", number)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = server.ctl("case", "delay", "--staff=E0042", "--reason=等待地政資料",
                           "--date=2099-03-01", number)
            self.assertEqual(r.returncode, 0, r.stderr)
            r = server.ctl("case", "lookup", "--code=" + code, "--locale=en", number)
            self.assertIn("2099-03-01", r.stdout)
            self.assertIn("等待地政資料", r.stdout)
            # A supervisor's live view: completing the case fires "resolution met".
            watch = subprocess.Popen(
                [CSOPSCTL, "--addr=" + server.grpc_addr, "case", "watch", "--branch=taipei-south",
                 "--count=1", "--for=20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)
            time.sleep(0.5)  # the stream is open before the event
            r = server.ctl("case", "transition", "--to=completed", "--staff=E0042", number)
            self.assertEqual(r.returncode, 0, r.stderr)
            out, err = watch.communicate(timeout=30)
            self.assertEqual(watch.returncode, 0, err)
            self.assertRegex(out, number + r"\s+resolution\s+met")
            today = datetime.datetime.now(datetime.timezone.utc).date()
            span = ["--from=%s" % (today - datetime.timedelta(days=200)),
                    "--to=%s" % (today + datetime.timedelta(days=2))]
            r = server.ctl("case", "report", *span)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"ownership_transfer\s+1\s+1")
            wide = server.ctl("case", "report", "--from=2000-01-01", "--to=2099-01-01")
            self.assertEqual(wide.returncode, 1)  # bounded: a report loads its period's cases
            self.assertIn("at most 400 days", wide.stderr)
            bad = server.ctl("case", "transition", "--to=waiting_customer", "--staff=E1", number)
            self.assertEqual(bad.returncode, 1)
            self.assertIn("FAILED_PRECONDITION", bad.stderr)
        finally:
            server.close()


if __name__ == "__main__":
    unittest.main()
