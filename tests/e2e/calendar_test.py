"""The office calendar's yearly update, from outside: the DGPA's yearly files (built here from the
facts in common/config/testdata) through `csopsctl calendar import`, `csopsd --check-config`,
and due instants past the calendar's coverage shown as provisional until a SIGHUP with a longer
calendar clears the mark (GetCase, ListCases, the progress page, the metric).
"""
import datetime
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

from csopsd_harness import (CSOPSCTL, EXAMPLE_CONFIG, SOURCE_DIR, CaseClient, Csopsd,
                            case_pb2 as c, run_csopsd)

FACTS = os.path.join(SOURCE_DIR, "common", "config", "testdata",
                     "tw-gov-calendar-2025-2027.csv")
SHIPPED = os.path.join(SOURCE_DIR, "deploy", "calendars", "tw-gov.textproto")
HEADER = "西元日期,星期,是否放假,備註"
WEEKDAY = "一二三四五六日"


def read_facts():
    facts = {}
    with open(FACTS, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or line.startswith("date,") or not line.strip():
                continue
            date, kind, name = line.rstrip("\n").split(",", 2)
            facts[datetime.date.fromisoformat(date)] = (kind, name)
    return facts


def dgpa_year(year, facts, bom=True, eol="\r\n"):
    """The year as the DGPA publishes it: every day, 2 = day off, 0 = working day."""
    rows = [HEADER]
    day = datetime.date(year, 1, 1)
    while day.year == year:
        off = day.weekday() >= 5
        name = ""
        if day in facts:
            kind, name = facts[day]
            off = kind == "holiday"
        rows.append("%s,%s,%d,%s" % (day.strftime("%Y%m%d"), WEEKDAY[day.weekday()],
                                     2 if off else 0, name))
        day += datetime.timedelta(days=1)
    return ("\ufeff" if bom else "") + eol.join(rows) + eol


def write(path, text, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as f:
        f.write(text)
    return path


def import_calendar(*args):
    return subprocess.run([CSOPSCTL, "calendar", "import", *args], capture_output=True,
                          text=True, timeout=30)


class CalendarImportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="csops-calendar-")
        self.facts = read_facts()
        self.years = {y: write(os.path.join(self.tmp, "%d.csv" % y), dgpa_year(y, self.facts))
                      for y in (2025, 2026, 2027)}

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_the_shipped_calendar_is_what_the_import_of_the_three_years_writes(self):
        out = os.path.join(self.tmp, "merged.textproto")
        r = import_calendar("--into=" + SHIPPED, "--out=" + out, *self.years.values())
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, encoding="utf-8") as got, open(SHIPPED, encoding="utf-8") as want:
            self.assertEqual(got.read(), want.read())
        self.assertIn("2025: 15 holidays, 1 make-up working days", r.stderr)
        self.assertIn("covers_until: 2027-12-31", r.stderr)

    def test_a_new_year_extends_a_calendar_and_keeps_its_weekly_hours(self):
        old = os.path.join(self.tmp, "old.textproto")
        r = import_calendar("--hours=08:00-12:00,13:00-17:00", "--out=" + old,
                            self.years[2025], self.years[2026])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("covers_until: 2026-12-31", r.stderr)
        # Plain LF and no BOM are as good as the DGPA's CRLF with a BOM.
        plain = write(os.path.join(self.tmp, "2027-plain.csv"),
                      dgpa_year(2027, self.facts, bom=False, eol="\n"))
        r = import_calendar("--into=" + old, plain)  # to stdout
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("covers_until: 2027-12-31 (was 2026-12-31)", r.stderr)
        self.assertIn("2027: 17 holidays, 0 make-up working days", r.stderr)
        self.assertIn('covers_until: "2027-12-31"', r.stdout)
        self.assertIn('exceptions { date: "2027-02-04" kind: HOLIDAY name: "小年夜" }', r.stdout)
        self.assertIn('week { day: MONDAY hours { start: "08:00" end: "12:00" }', r.stdout)
        self.assertIn('exceptions { date: "2025-02-08" kind: WORKDAY name: "補行上班" hours { '
                      'start: "08:00" end: "12:00" }', r.stdout)

    def test_bad_files_are_refused_with_file_line_and_reason(self):
        big5 = os.path.join(self.tmp, "big5.csv")
        with open(big5, "wb") as f:
            f.write(dgpa_year(2027, self.facts, bom=False).encode("big5"))
        r = import_calendar("--into=" + SHIPPED, big5)
        self.assertEqual(r.returncode, 1)
        self.assertIn("big5.csv:1: not UTF-8 (a Big5 file? convert it with iconv -f BIG5 -t "
                      "UTF-8 first)", r.stderr)
        self.assertEqual(r.stdout, "")
        text = dgpa_year(2027, self.facts).replace("20270104,一,0", "20270104,二,0")
        r = import_calendar("--into=" + SHIPPED, write(os.path.join(self.tmp, "wd.csv"), text))
        self.assertIn("wd.csv:5: 星期 '二' does not match 2027-01-04, which is a 一", r.stderr)
        text = dgpa_year(2027, self.facts).replace("20270104,一,0", "20270104,一,1")
        r = import_calendar("--into=" + SHIPPED, write(os.path.join(self.tmp, "f.csv"), text))
        self.assertIn("f.csv:5: 是否放假 '1' must be 0 (a working day) or 2 (a day off)",
                      r.stderr)
        r = import_calendar("--into=" + SHIPPED, self.years[2027], self.years[2027])
        self.assertIn("is given twice", r.stderr)
        r = import_calendar("--hours=08:30-17:30", self.years[2025], self.years[2027])
        self.assertIn("the coverage would have a gap: 2026-01-01 to 2026-12-31", r.stderr)
        r = import_calendar(self.years[2025])
        self.assertEqual(r.returncode, 2)
        self.assertIn("without --into, give the weekly pattern with --hours", r.stderr)
        # Nothing is written over --out when the input is refused.
        out = write(os.path.join(self.tmp, "keep.textproto"), "unchanged")
        import_calendar("--into=" + SHIPPED, "--out=" + out, big5)
        with open(out) as f:
            self.assertEqual(f.read(), "unchanged")


class CheckConfigTest(unittest.TestCase):
    def test_a_valid_config_prints_what_it_loaded_and_serves_nothing(self):
        tmp = tempfile.mkdtemp(prefix="csops-check-")
        try:
            data = os.path.join(tmp, "data")
            r = run_csopsd("--config=" + EXAMPLE_CONFIG, "--check-config", "--data-dir=" + data)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("valid", r.stdout)
            self.assertRegex(r.stdout, r"calendar +: tw-gov +calendars/tw-gov.textproto +"
                                       r"Asia/Taipei +covers 2025-01-01 to 2027-12-31 "
                                       r"\(-?\d+ days left\)")
            self.assertRegex(r.stdout, r"case types +: \d+")
            self.assertRegex(r.stdout, r"notices +: \d+ kinds, \d+ templates")
            self.assertFalse(os.path.exists(data), "--check-config must not touch the data dir")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_a_broken_calendar_file_is_named_with_its_line_and_exits_2(self):
        tmp = tempfile.mkdtemp(prefix="csops-check-")
        try:
            os.symlink(os.path.join(SOURCE_DIR, "deploy", "templates"),
                       os.path.join(tmp, "templates"))
            os.mkdir(os.path.join(tmp, "calendars"))
            with open(SHIPPED, encoding="utf-8") as f:
                broken = f.read().replace('date: "2027-02-04"', 'date: "2027-02-30"')
            write(os.path.join(tmp, "calendars", "tw-gov.textproto"), broken)
            config = os.path.join(tmp, "csopsd.textproto")
            shutil.copy(EXAMPLE_CONFIG, config)
            r = run_csopsd("--config=" + config, "--check-config")
            self.assertEqual(r.returncode, 2)
            self.assertRegex(r.stderr, r"tw-gov.textproto:\d+:\d+: exceptions\[\d+\]\.date: "
                                       r"'2027-02-30' is not a real date")
            self.assertEqual(r.stdout, "")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def weekdays_left_in_year(today):
    n, day = 0, today + datetime.timedelta(days=1)
    while day.year == today.year:
        n += day.weekday() < 5
        day += datetime.timedelta(days=1)
    return n


class ProvisionalDueTest(unittest.TestCase):
    """A calendar that ends with this year; a case due next year is provisional until a SIGHUP
    puts next year's calendar in force. Synthetic years, so the test holds whatever today is."""

    def test_due_past_the_calendar_is_provisional_until_the_next_year_is_loaded(self):
        today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
        this_year, next_year = today.year, today.year + 1
        tmp = tempfile.mkdtemp(prefix="csops-provisional-")
        os.symlink(os.path.join(SOURCE_DIR, "deploy", "templates"), os.path.join(tmp, "templates"))
        os.mkdir(os.path.join(tmp, "calendars"))
        cal = os.path.join(tmp, "calendars", "tw-gov.textproto")
        # Next year opens with a closed week: 1-7 January are holidays.
        holidays = {datetime.date(next_year, 1, d): ("holiday", "假日%d" % d) for d in range(1, 8)}
        y1 = write(os.path.join(tmp, "y1.csv"), dgpa_year(this_year, {}))
        y2 = write(os.path.join(tmp, "y2.csv"), dgpa_year(next_year, holidays))
        r = import_calendar("--hours=08:30-12:30,13:30-17:30", "--out=" + cal, y1)
        self.assertEqual(r.returncode, 0, r.stderr)
        # Due ten working days into next year (on the weekly pattern alone).
        days = weekdays_left_in_year(today) + 10
        rule = 'targets { name: "resolution" working_days: 3 }'
        with open(EXAMPLE_CONFIG, encoding="utf-8") as f:
            original = f.read()
        self.assertIn(rule, original)
        config = write(os.path.join(tmp, "csopsd.textproto"),
                       original.replace(rule, rule.replace("3", str(days)), 1))
        server = Csopsd(config=config).wait_serving()
        client = CaseClient(server.grpc_addr)
        try:
            created = client.CreateCase(
                type_code="ownership_transfer", branch_id="taipei-south",
                applicant=c.Applicant(name="王小明"), received_via=c.RECEIVED_VIA_COUNTER,
                summary="過戶", staff_id="E1", idempotency_key="provisional-1")
            number, code = created.case.acceptance_number, created.lookup_code
            target = created.case.targets[0]
            self.assertTrue(target.due_provisional)
            before = target.due_at.seconds
            got = client.GetCase(acceptance_number=number).case
            self.assertTrue(got.targets[0].due_provisional)
            listed = client.ListCases(branch_id="taipei-south").cases
            self.assertTrue([x for x in listed if x.acceptance_number == number][0]
                            .targets[0].due_provisional)
            progress = client.LookupProgress(acceptance_number=number, lookup_code=code)
            self.assertTrue(progress.expected_completion_provisional)
            self.assertTrue(progress.expected_completion_date.startswith(str(next_year)))
            page = self.page(server, number, code, "en")
            self.assertIn("provisional until the %d calendar is published" % next_year, page)
            self.assertIn("暫定，待 %d 年政府行政機關辦公日曆公布後確定" % next_year,
                          self.page(server, number, code, "zh-TW"))
            self.assertEqual(self.provisional_metric(server), 1)

            r = import_calendar("--into=" + cal, "--out=" + cal, y2)
            self.assertEqual(r.returncode, 0, r.stderr)
            server.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                got = client.GetCase(acceptance_number=number).case
                if not got.targets[0].due_provisional:
                    break
                time.sleep(0.1)
            self.assertFalse(got.targets[0].due_provisional)
            # The five closed weekdays of 1-7 January now count: the due instant moved a week.
            self.assertGreaterEqual(got.targets[0].due_at.seconds - before, 5 * 86400)
            progress = client.LookupProgress(acceptance_number=number, lookup_code=code)
            self.assertFalse(progress.expected_completion_provisional)
            self.assertNotIn("provisional", self.page(server, number, code, "en"))
            deadline = time.monotonic() + 20
            while self.provisional_metric(server) != 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(self.provisional_metric(server), 0)
        finally:
            client.close()
            server.close()
            shutil.rmtree(tmp, ignore_errors=True)

    @staticmethod
    def page(server, number, code, lang):
        url = "%s/progress/%s?code=%s&lang=%s" % (server.web_url, number, code, lang)
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.read().decode()

    @staticmethod
    def provisional_metric(server):
        m = re.search(r'^csops_case_provisional_due\{target="resolution",'
                      r'type="ownership_transfer"\} (\S+)$', server.scrape(), re.M)
        assert m, "csops_case_provisional_due for ownership_transfer is not exported"
        return float(m.group(1))


if __name__ == "__main__":
    unittest.main()
