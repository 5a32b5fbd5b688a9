"""csops-report, the half-yearly self-assessment report, end to end:

* a seeded half-year (tools/report/history_seed through the real engines) served by a real
  csopsd becomes an HTML report and CSVs whose figures match what was seeded, and headless
  Chromium (Debian's) shows it with every chart drawn, no console error and no request
  leaving the file; the screenshot is kept as a test artifact;
* for a scripted live workload, every count in the report (from the services' report APIs)
  equals the matching metric csopsd exports for the same events."""
import csv
import datetime
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import zoneinfo

from csopsd_harness import (CSOPSCTL, EXAMPLE_CONFIG, SOURCE_DIR, CaseClient, Csopsd,
                            NotifyClient, QueueClient, case_pb2, notify_pb2 as n, queue_pb2)
from fake_providers import ProviderServer, SmtpServer
import pg_cluster
from notify_e2e_test import bill, notify_config

REPORT = os.environ["CSOPS_REPORT"]
HISTORY_SEED = os.environ["HISTORY_SEED"]
ARTIFACTS = os.environ.get("CSOPS_ARTIFACT_DIR", tempfile.gettempdir())
BROWSER_DIR = os.path.join(SOURCE_DIR, "tests", "browser")
BRANCH = "taipei-south"


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def metric_sum(text, family, **labels):
    """Sum of the samples of `family` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != family:
            continue
        have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(4))
    return total


def run_report(addr, out, *args):
    return subprocess.run([REPORT, "--target=" + addr, "--out=" + out, *args],
                          capture_output=True, text=True, timeout=120)


def migrate_to_postgres(data, tmp):
    """Moves the office in `data` to a fresh database with csopsctl migrate; returns the file
    holding that database's connection string."""
    cluster = pg_cluster.shared()
    dsn_file = os.path.join(tmp, "migrated.dsn")
    with open(dsn_file, "w") as f:
        f.write(cluster.dsn(cluster.new_database()) + "\n")
    moved = subprocess.run([CSOPSCTL, "migrate", "--from=" + data, "--to-file=" + dsn_file],
                           capture_output=True, text=True, timeout=300)
    if moved.returncode != 0:
        raise AssertionError("csopsctl migrate failed: " + moved.stdout + moved.stderr)
    return dsn_file


def report_files(out):
    """Every CSV of a report directory: name -> text."""
    return {name: open(os.path.join(out, name), encoding="utf-8").read()
            for name in sorted(os.listdir(out)) if name.endswith(".csv")}


class MigratedReportTest(unittest.TestCase):
    """The PostgreSQL lane: the half-year report of a seeded office from SQLite, and from
    PostgreSQL after csopsctl migrate, figure for figure."""

    def test_the_report_after_migrate_equals_the_sqlite_report(self):
        if not pg_cluster.wanted():
            self.skipTest("the PostgreSQL lane only (CSOPS_E2E_STORE=postgres)")
        tmp = tempfile.mkdtemp(prefix="csops-report-migrate-")
        try:
            data = os.path.join(tmp, "data")
            os.makedirs(data)
            seeded = subprocess.run(
                [HISTORY_SEED, "--config=" + EXAMPLE_CONFIG, "--data-dir=" + data,
                 "--from=2026-01-01", "--to=2026-06-30", "--visitors=30", "--cases=4",
                 "--notices=10"], capture_output=True, text=True, timeout=300)
            self.assertEqual(seeded.returncode, 0, seeded.stderr)
            reports = {}
            on_sqlite = Csopsd(data_dir=data, sqlite=True).wait_serving()
            try:
                out = os.path.join(tmp, "sqlite")
                r = run_report(on_sqlite.grpc_addr, out, "--from=2026-01-01", "--to=2026-06-30")
                self.assertEqual(r.returncode, 0, r.stderr)
                reports["sqlite"] = report_files(out)
            finally:
                on_sqlite.terminate()
                on_sqlite.close()
            dsn_file = migrate_to_postgres(data, tmp)
            on_pg = Csopsd("--postgres-dsn-file=" + dsn_file, data_dir=data).wait_serving()
            try:
                out = os.path.join(tmp, "postgres")
                r = run_report(on_pg.grpc_addr, out, "--from=2026-01-01", "--to=2026-06-30")
                self.assertEqual(r.returncode, 0, r.stderr)
                reports["postgres"] = report_files(out)
            finally:
                on_pg.close()
            self.assertEqual(sorted(reports["postgres"]), sorted(reports["sqlite"]))
            self.assertGreaterEqual(len(reports["sqlite"]), 10)
            for name, text in reports["sqlite"].items():
                self.assertEqual(reports["postgres"][name], text, name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class SeededHalfYearTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="csops-report-")
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(self.data)
        seeded = subprocess.run(
            [HISTORY_SEED, "--config=" + EXAMPLE_CONFIG, "--data-dir=" + self.data,
             "--from=2026-01-01", "--to=2026-06-30", "--visitors=30", "--cases=4",
             "--notices=10"], capture_output=True, text=True, timeout=300)
        self.assertEqual(seeded.returncode, 0, seeded.stderr)
        m = re.search(r"(\d+) tickets, (\d+) cases, (\d+) notices", seeded.stdout)
        self.tickets, self.cases, self.notices = map(int, m.groups())
        if pg_cluster.wanted():
            # The PostgreSQL lane: the seeded office moved by csopsctl migrate, then served
            # from PostgreSQL (the figures below must not change).
            self.dsn_file = migrate_to_postgres(self.data, self.tmp)
            self.server = Csopsd("--postgres-dsn-file=" + self.dsn_file,
                                 data_dir=self.data).wait_serving()
        else:
            self.server = Csopsd(data_dir=self.data).wait_serving()

    def tearDown(self):
        self.server.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_half_year_report_matches_the_seeded_history_and_renders_in_chromium(self):
        out = os.path.join(self.tmp, "report")
        r = run_report(self.server.grpc_addr, out, "--from=2026-01-01", "--to=2026-06-30")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("[6/6] 2026-06 fetched", r.stderr)  # progress, a line per month
        for name in ("queue_services", "queue_wait_buckets", "queue_ratings", "cases_by_type",
                     "case_targets", "complaints_first_reply", "case_delays", "notify_channels",
                     "notify_kinds", "trend_monthly"):
            self.assertTrue(os.path.exists(os.path.join(out, name + ".csv")), name)
        trend = read_csv(os.path.join(out, "trend_monthly.csv"))
        self.assertEqual([row["月份"] for row in trend],
                         ["2026-0%d" % m for m in range(1, 7)])
        self.assertEqual(sum(int(row["取號"]) for row in trend), self.tickets)
        self.assertEqual(sum(int(row["通知"]) for row in trend), self.notices)
        services = read_csv(os.path.join(out, "queue_services.csv"))
        self.assertEqual(int(services[-1]["取號"]), self.tickets)  # the total row
        served = int(services[-1]["完成服務"])
        no_shows = int(services[-1]["過號未到"])
        cancelled = int(services[-1]["取消"])
        self.assertEqual(served + no_shows + cancelled, self.tickets)
        self.assertGreater(no_shows, 0)
        # The seeder's waits shrink over the half-year: the trend must show it.
        first, last = (float(trend[i]["等候未逾目標比率"].rstrip("%")) for i in (0, -1))
        self.assertGreater(last, first)
        kinds = read_csv(os.path.join(out, "notify_kinds.csv"))
        self.assertEqual(sum(int(k["件數"]) for k in kinds), self.notices)
        delays = read_csv(os.path.join(out, "case_delays.csv"))
        self.assertGreater(len(delays), 0)
        self.assertTrue(all(d["原因"] and re.match(r"\d{4}-\d{2}-\d{2}$", d["新預定完成日"])
                            for d in delays))
        complaints = read_csv(os.path.join(out, "complaints_first_reply.csv"))
        self.assertEqual(complaints[0]["類別"], "complaint")
        self.assertGreater(int(complaints[0]["結案"]), 0)

        png = os.path.join(ARTIFACTS, "report-half-year.png")
        os.makedirs(ARTIFACTS, exist_ok=True)
        seen = self.look(os.path.join(out, "index.html"), png)
        self.assertEqual(seen["lang"], "zh-TW")
        self.assertTrue(os.path.getsize(png) > 10000)
        # The English edition of the same report.
        out_en = os.path.join(self.tmp, "report-en")
        r = run_report(self.server.grpc_addr, out_en, "--from=2026-01-01", "--to=2026-06-30",
                       "--lang=en")
        self.assertEqual(r.returncode, 0, r.stderr)
        seen = self.look(os.path.join(out_en, "index.html"),
                         os.path.join(ARTIFACTS, "report-half-year-en.png"))
        self.assertEqual(seen["lang"], "en")
        self.assertIn("Service timeliness self-assessment", seen["title"])

    def look(self, html, png):
        r = subprocess.run(["node", os.path.join(BROWSER_DIR, "report_check.mjs"),
                            "file://" + html, png], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        seen = json.loads(r.stdout)
        self.assertEqual(seen["errors"], [])
        self.assertEqual(seen["requests"], [])  # self-contained: nothing fetched
        ids = [c["id"] for c in seen["charts"]]
        self.assertEqual(ids, ["chart-waits", "chart-ratings", "chart-cases", "chart-notices",
                               "chart-trend"])
        for chart in seen["charts"]:
            self.assertGreater(chart["shown"], 0, chart)  # an empty chart fails
            self.assertGreater(chart["width"], 300, chart)
        return seen

    def test_bad_arguments_and_a_missing_service_are_named(self):
        r = run_report(self.server.grpc_addr, os.path.join(self.tmp, "x"), "--from=2026-02-30",
                       "--to=2026-03-01")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--from: '2026-02-30' is not a date", r.stderr)
        r = run_report(self.server.grpc_addr, os.path.join(self.tmp, "x"), "--from=2026-03-01",
                       "--to=2026-01-01")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--to: must not be before --from", r.stderr)
        r = run_report("127.0.0.1:1", os.path.join(self.tmp, "x"), "--from=2026-01-01",
                       "--to=2026-01-31", "--deadline=3")
        self.assertEqual(r.returncode, 1)
        self.assertIn("GetQueueReport at 127.0.0.1:1", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x", "index.html")))


class ReportAgreesWithMetricsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="csops-report-live-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(self.tmp, sub))
        self.providers = ProviderServer()
        self.smtp = SmtpServer(self.tmp)
        config = os.path.join(self.tmp, "csopsd.textproto")
        with open(config, "w", encoding="utf-8") as f:
            f.write(notify_config(self.providers.url, self.smtp))
        self.server = Csopsd(config=config).wait_serving()

    def tearDown(self):
        self.server.close()
        self.smtp.close()
        self.providers.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def workload(self):
        queue = QueueClient(self.server.grpc_addr)
        tickets = [queue.IssueTicket(branch_id=BRANCH, service_code="A",
                                     priority=queue_pb2.PRIORITY_CLASS_NORMAL,
                                     channel=queue_pb2.CHANNEL_KIOSK,
                                     idempotency_key="agree-%d" % i).ticket.number
                   for i in range(5)]
        queue.OpenCounter(branch_id=BRANCH, counter_id="1", staff_id="E1")
        for rating in (5, 4, 0):  # three served, two of them rated
            t = queue.CallNext(branch_id=BRANCH, counter_id="1").ticket.number
            queue.StartServing(branch_id=BRANCH, counter_id="1", ticket_number=t)
            queue.Complete(branch_id=BRANCH, counter_id="1", ticket_number=t,
                           outcome=queue_pb2.OUTCOME_RESOLVED, rating=rating)
        t = queue.CallNext(branch_id=BRANCH, counter_id="1").ticket.number
        queue.MarkNoShow(branch_id=BRANCH, counter_id="1", ticket_number=t)
        queue.Cancel(branch_id=BRANCH, ticket_number=tickets[4])
        queue.close()

        cases = CaseClient(self.server.grpc_addr)
        numbers = [cases.CreateCase(
            type_code="interim_reading", branch_id=BRANCH, applicant=case_pb2.Applicant(name="測試"),
            received_via=case_pb2.RECEIVED_VIA_COUNTER, summary="agree %d" % i, staff_id="E1",
            idempotency_key="agree-case-%d" % i).case.acceptance_number for i in range(3)]
        for number in numbers[:2]:
            cases.Transition(acceptance_number=number, to_status=case_pb2.CASE_STATUS_COMPLETED,
                             staff_id="E1")
        cases.DeclareDelay(acceptance_number=numbers[2], staff_id="E1", reason="待客戶補件",
                           new_expected_date="2099-01-05")
        cases.close()

        notify = NotifyClient(self.server.grpc_addr)
        self.providers.modes["0911000002"] = "reject"
        ids = []
        for key, mobile in (("a", "0911000000"), ("b", "0912000000"), ("c", "0911000002")):
            ids.append(notify.Send(policy=n.ChannelPolicy(mode=n.ChannelPolicy.EXPLICIT,
                                                          channels=[n.CHANNEL_SMS]),
                                   **bill("agree-" + key, mobile=mobile)).id)
        ids.append(notify.Send(policy=n.ChannelPolicy(mode=n.ChannelPolicy.EXPLICIT,
                                                      channels=[n.CHANNEL_EMAIL]),
                               **bill("agree-mail", email="ming@example.com")).id)
        got = [notify.wait_status(i) for i in ids]
        self.assertEqual([g.status for g in got], ["sent", "sent", "failed", "sent"])
        self.assertTrue(notify.ReportDelivery(
            provider=got[0].attempts[-1].provider,
            provider_message_id=got[0].deliveries[0].provider_message_id, delivered=True).applied)
        notify.close()

    def test_every_report_count_equals_its_metric(self):
        self.workload()
        today = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Taipei")).date().isoformat()
        out = os.path.join(self.tmp, "report")
        r = run_report(self.server.grpc_addr, out, "--from=" + today, "--to=" + today,
                       "--lang=en", "--branch=" + BRANCH)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = self.server.scrape()
        total = read_csv(os.path.join(out, "queue_services.csv"))[-1]
        self.assertEqual(total["Service"], "All")
        b = {"branch": BRANCH}
        pairs = [
            ("Issued", 5, metric_sum(m, "csops_queue_tickets_issued_total", **b)),
            ("Called", 4, metric_sum(m, "csops_queue_wait_seconds_count", **b)),
            ("Served", 3, metric_sum(m, "csops_queue_completed_total", **b)),
            ("No-shows", 1, metric_sum(m, "csops_queue_no_shows_total", **b)),
            ("Cancelled", 1, metric_sum(m, "csops_queue_cancelled_total", **b)),
        ]
        for column, want, metric in pairs:
            self.assertEqual(int(total[column]), want, column)
            self.assertEqual(int(total[column]), metric, column)
        over = metric_sum(m, "csops_queue_waits_over_target_total", **b)
        self.assertEqual(int(total["Called"]) - int(total["Within target"]), over)
        ratings = read_csv(os.path.join(out, "queue_ratings.csv"))[-1]
        for score in range(1, 6):
            self.assertEqual(int(ratings["Score %d" % score]),
                             metric_sum(m, "csops_queue_ratings_total", score=str(score), **b))
        self.assertEqual((int(ratings["Score 4"]), int(ratings["Score 5"])), (1, 1))

        reading = next(row for row in read_csv(os.path.join(out, "cases_by_type.csv"))
                       if row["Type"] == "interim_reading")
        t = {"type": "interim_reading"}
        self.assertEqual(int(reading["Closed"]), 2)
        self.assertEqual(int(reading["Closed"]), metric_sum(m, "csops_case_closed_total", **t))
        self.assertEqual(int(reading["On time"]),
                         metric_sum(m, "csops_case_closed_total", within_sla="true", **t))
        self.assertEqual(int(reading["Delays declared"]), 1)
        delays = read_csv(os.path.join(out, "case_delays.csv"))
        self.assertEqual([(d["Reason"], d["New expected date"]) for d in delays],
                         [("待客戶補件", "2099-01-05")])

        channels = {row["Channel"]: row for row in read_csv(os.path.join(out,
                                                                         "notify_channels.csv"))}
        for name, channel in (("SMS", "sms"), ("E-mail", "email")):
            row, c = channels[name], {"channel": channel}
            self.assertEqual(int(row["Taken by provider"]),
                             metric_sum(m, "csops_notify_delivery_seconds_count", stage="sent", **c))
            self.assertEqual(int(row["Receipt confirmed"]),
                             metric_sum(m, "csops_notify_delivered_total", **c))
            self.assertEqual(int(row["Failed"]), metric_sum(m, "csops_notify_failed_total", **c))
        self.assertEqual((int(channels["SMS"]["Taken by provider"]),
                          int(channels["SMS"]["Receipt confirmed"]),
                          int(channels["SMS"]["Failed"])), (2, 1, 1))
        self.assertEqual(channels["SMS"]["Share reached"], "66.7%")


if __name__ == "__main__":
    unittest.main()
