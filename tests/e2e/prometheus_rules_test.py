"""The shipped recording rules, evaluated by a real Prometheus server over a real csopsd under
a scripted workload, give the figures the workload implies: 3 of 4 cases closed within their
time limit -> 0.75; 3 of 4 visitors called within the target wait -> 0.75."""
import os
import re
import shutil
import tempfile
import time
import unittest

from csopsd_harness import (EXAMPLE_CONFIG, SOURCE_DIR, CaseClient, Csopsd, PrometheusServer,
                            QueueClient, case_pb2, queue_pb2)


class PrometheusRulesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="csops-rules-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(self.tmp, sub))
        with open(EXAMPLE_CONFIG, encoding="utf-8") as f:
            text = f.read()
        # A one-minute target wait for service B and a one-minute, around-the-clock case type,
        # so the test can miss each once.
        text = re.sub(r'(services \{ code: "B"[^}]*target_wait_minutes: )\d+', r"\g<1>1", text)
        text += ('\ncase_types { code: "quick" name_zh_tw: "快速" '
                 'targets { name: "resolution" business_minutes: 1 clock: ALWAYS } }\n')
        self.config = os.path.join(self.tmp, "csopsd.textproto")
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)
        self.server = Csopsd(config=self.config).wait_serving()
        # The shipped rules, evaluated every second instead of every minute or five.
        with open(os.path.join(SOURCE_DIR, "deploy", "prometheus", "csops-rules.yml")) as f:
            rules = re.sub(r"interval: \S+", "interval: 1s", f.read())
        with open(os.path.join(self.tmp, "rules.yml"), "w") as f:
            f.write(rules)
        self.prom = PrometheusServer(self.tmp,
                                     self.server.metrics_url.split("//")[1].split("/")[0],
                                     [os.path.join(self.tmp, "rules.yml")])

    def tearDown(self):
        self.prom.close()
        self.server.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def query(self, expr):
        return self.prom.query(expr)

    def wait_value(self, expr, want, timeout=60):
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            result = self.query(expr)
            if result:
                got = float(result[0]["value"][1])
                if abs(got - want) < 1e-9:
                    return got
            time.sleep(0.5)
        self.fail("%s: want %s, last %s" % (expr, want, got))

    def test_recording_rules_give_the_figures_the_workload_implies(self):
        self.wait_value('up{job="csopsd"}', 1)
        time.sleep(3)  # a few scrapes of the zero series first
        cases = CaseClient(self.server.grpc_addr)
        queue = QueueClient(self.server.grpc_addr)
        numbers = [cases.CreateCase(
            type_code="quick", branch_id="taipei-south",
            applicant=case_pb2.Applicant(name="測試"), received_via=case_pb2.RECEIVED_VIA_COUNTER,
            summary="quick %d" % i, staff_id="E1", idempotency_key="quick-%d" % i
        ).case.acceptance_number for i in range(4)]
        tickets = [queue.IssueTicket(branch_id="taipei-south", service_code="B",
                                     priority=queue_pb2.PRIORITY_CLASS_NORMAL,
                                     channel=queue_pb2.CHANNEL_KIOSK,
                                     idempotency_key="rules-%d" % i).ticket for i in range(4)]
        queue.OpenCounter(branch_id="taipei-south", counter_id="4", staff_id="E2")
        for n in numbers[:3]:
            cases.Transition(acceptance_number=n, to_status=case_pb2.CASE_STATUS_COMPLETED,
                             staff_id="E1")
        for t in tickets[:3]:
            called = queue.CallNext(branch_id="taipei-south", counter_id="4").ticket
            self.assertEqual(called.number, t.number)
            queue.StartServing(branch_id="taipei-south", counter_id="4", ticket_number=t.number)
            queue.Complete(branch_id="taipei-south", counter_id="4", ticket_number=t.number,
                           outcome=queue_pb2.OUTCOME_RESOLVED)
        time.sleep(62)  # past the one-minute limits
        cases.Transition(acceptance_number=numbers[3], to_status=case_pb2.CASE_STATUS_COMPLETED,
                         staff_id="E1")
        self.assertEqual(queue.CallNext(branch_id="taipei-south", counter_id="4").ticket.number,
                         tickets[3].number)
        self.wait_value('csops:case_within_sla:ratio_30d{type="quick"}', 0.75)
        self.wait_value('csops:queue_within_target:ratio_1d{branch="taipei-south",service="B"}',
                        0.75)
        p90 = self.query('csops:queue_wait_seconds:p90_1h{branch="taipei-south",service="B"}')
        self.assertGreater(float(p90[0]["value"][1]), 60)  # the fourth waited over a minute
        cases.close()
        queue.close()


if __name__ == "__main__":
    unittest.main()
