"""csopsd's pages in a real browser (Debian's headless Chromium driven by playwright-core):
the display board live over Server-Sent Events (a gRPC CallNext shows within 1 s; after a
restart it reconnects and catches up), the public progress page of a real case (zh-TW and en;
a wrong code and an unknown number give the same page), the receipt's QR code decoded by
zbarimg back to the exact progress URL, and axe-core finding no serious accessibility
violation. Screenshots are kept in the build's test-artifacts/."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from csopsd_harness import (EXAMPLE_CONFIG, SOURCE_DIR, CaseClient, Csopsd, QueueClient,
                            case_pb2, queue_pb2)

ARTIFACTS = os.environ.get("CSOPS_ARTIFACT_DIR", tempfile.gettempdir())
DRIVER = os.path.join(SOURCE_DIR, "tests", "browser", "driver.mjs")
BRANCH = "taipei-south"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self):
        self.proc = subprocess.Popen(["node", DRIVER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def do(self, op, **args):
        self.proc.stdin.write(json.dumps(dict(op=op, **args)) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("browser driver died: " + self.proc.stderr.read())
        answer = json.loads(line)
        if not answer["ok"]:
            raise AssertionError("%s %s: %s" % (op, args, answer["error"]))
        return answer

    def text(self, selector):
        return self.do("eval", expr="document.querySelector(%s)?.textContent ?? ''" %
                       json.dumps(selector))["value"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def get(url, headers=None, source=None):
    """(status, headers, body) of a GET, optionally from a given local source address."""
    if source:
        host, port = re.match(r"http://([^:/]+):(\d+)", url).groups()
        path = url.split(port, 1)[1]
        with socket.create_connection((host, int(port)), timeout=10,
                                      source_address=(source, 0)) as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
            raw = b""
            while chunk := s.recv(65536):
                raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        return int(head.split()[1]), head.decode(), body.decode()
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


class PagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        os.makedirs(ARTIFACTS, exist_ok=True)
        cls.tmp = tempfile.mkdtemp(prefix="csops-pages-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(cls.tmp, sub))
        cls.http_port = free_port()
        cls.base = "http://127.0.0.1:%d" % cls.http_port
        with open(EXAMPLE_CONFIG, encoding="utf-8") as f:
            text = f.read()
        text = text.replace('public_base_url: "http://127.0.0.1:8080"',
                            'public_base_url: "%s"' % cls.base)
        # Only 127.0.0.1 is a staff network here, so 127.0.0.2 is a client from the hall.
        text = text.replace('staff_networks: ["127.0.0.0/8", "::1/128"]',
                            'staff_networks: ["127.0.0.1/32"]')
        cls.config = os.path.join(cls.tmp, "csopsd.textproto")
        with open(cls.config, "w", encoding="utf-8") as f:
            f.write(text)
        cls.data = os.path.join(cls.tmp, "data")
        cls.server = cls.start()
        cls.browser = Browser()

    @classmethod
    def start(cls):
        return Csopsd("--http-listen=127.0.0.1:%d" % cls.http_port, config=cls.config,
                      data_dir=cls.data).wait_serving()

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.server.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assert_accessible(self, name):
        found = self.browser.do("axe")["violations"]
        serious = [v for v in found if v["impact"] in ("serious", "critical")]
        self.assertEqual(serious, [], "%s: %s" % (name, json.dumps(found, ensure_ascii=False)))

    def assert_no_browser_errors(self):
        self.assertEqual(self.browser.do("errors")["errors"], [])

    def test_1_board_shows_the_state_and_a_grpc_call_within_a_second(self):
        queue = QueueClient(self.server.grpc_addr)
        for i in range(3):
            queue.IssueTicket(branch_id=BRANCH, service_code="A",
                              priority=queue_pb2.PRIORITY_CLASS_NORMAL,
                              channel=queue_pb2.CHANNEL_KIOSK, idempotency_key="board-%d" % i)
        queue.OpenCounter(branch_id=BRANCH, counter_id="1", staff_id="E1")
        first = queue.CallNext(branch_id=BRANCH, counter_id="1").ticket.number
        self.assertEqual(first, "A001")
        b = self.browser
        self.assertEqual(b.do("open", url=self.base + "/board/" + BRANCH)["status"], 200)
        # The snapshot: counter 1 holds A001, which is also the most recent call; 2 waiting.
        b.do("wait", expr="document.querySelector('[data-counter=\"1\"] .counter-number')"
                          "?.textContent === 'A001'", timeout=5000)
        self.assertEqual(b.text("#recent .recent-number"), "A001")
        self.assertEqual(b.text("[data-service=\"A\"] .service-waiting"), "2")
        self.assertIn("1號櫃台", b.text("[data-counter=\"1\"] .counter-name"))
        queue.StartServing(branch_id=BRANCH, counter_id="1", ticket_number="A001")
        queue.Complete(branch_id=BRANCH, counter_id="1", ticket_number="A001",
                       outcome=queue_pb2.OUTCOME_RESOLVED)
        started = time.monotonic()
        called = queue.CallNext(branch_id=BRANCH, counter_id="1").ticket.number
        b.do("wait", expr="document.querySelector('[data-counter=\"1\"] .counter-number')"
                          "?.textContent === 'A002'", timeout=1000)
        elapsed = time.monotonic() - started
        self.assertEqual(called, "A002")
        self.assertLess(elapsed, 1.0)
        self.assertEqual([b.text("#recent li:nth-child(%d) .recent-number" % i) for i in (1, 2)],
                         ["A002", "A001"])
        b.do("wait", expr="document.getElementById('say-zh').textContent.includes('A002')",
             timeout=1000)
        self.assertEqual(b.text("#say-zh"), "請 A002 號 到 1號櫃台")
        self.assertEqual(b.text("[data-service=\"A\"] .service-waiting"), "1")
        self.assertEqual(b.do("eval", expr="document.documentElement.lang")["value"], "zh-TW")
        b.do("screenshot", path=os.path.join(ARTIFACTS, "board.png"))
        self.assert_accessible("board")
        self.assert_no_browser_errors()
        queue.close()

    def test_2_board_reconnects_after_a_restart_and_catches_up(self):
        b = self.browser
        b.do("open", url=self.base + "/board/" + BRANCH)
        b.do("wait", expr="document.body.dataset.connected === 'yes'", timeout=5000)
        self.assertEqual(self.server.terminate(signal.SIGTERM), 0)
        b.do("wait", expr="document.body.dataset.connected === 'no'", timeout=10000)
        self.assertIn("Reconnecting", b.text("#link"))
        type(self).server = self.start()
        # A call made at once, before the board has reconnected: it comes in the snapshot.
        queue = QueueClient(self.server.grpc_addr)
        queue.OpenCounter(branch_id=BRANCH, counter_id="2", staff_id="E2")
        called = queue.CallNext(branch_id=BRANCH, counter_id="2").ticket.number
        b.do("wait", expr="document.querySelector('[data-counter=\"2\"] .counter-number')"
                          "?.textContent === %s" % json.dumps(called), timeout=15000)
        b.do("wait", expr="document.body.dataset.connected === 'yes'", timeout=5000)
        self.assertEqual(b.text("#recent .recent-number"), called)
        b.do("screenshot", path=os.path.join(ARTIFACTS, "board-after-restart.png"))
        queue.close()

    def create_case(self, key):
        cases = CaseClient(self.server.grpc_addr)
        created = cases.CreateCase(
            type_code="new_supply", branch_id=BRANCH,
            applicant=case_pb2.Applicant(name="王小明", phone="0912345678",
                                         email="ming@example.com"),
            received_via=case_pb2.RECEIVED_VIA_COUNTER, summary="新設用電", staff_id="E1",
            idempotency_key=key)
        return cases, created

    def test_3_progress_page_of_a_real_case_in_both_languages(self):
        cases, created = self.create_case("pages-progress")
        number, code = created.case.acceptance_number, created.lookup_code
        self.assertEqual(created.lookup_url,
                         "%s/progress/%s?code=%s" % (self.base, number, code))
        cases.DeclareDelay(acceptance_number=number, staff_id="E1", reason="設備缺料，待廠商交貨",
                           new_expected_date="2099-03-10")
        b = self.browser
        self.assertEqual(b.do("open", url=created.lookup_url)["status"], 200)
        self.assertEqual(b.text("dd.number"), number)
        self.assertEqual(b.text("h1"), "案件進度查詢")
        self.assertIn("設備缺料，待廠商交貨", b.text(".delay"))
        self.assertIn("2099-03-10", b.text(".delay"))
        self.assertGreaterEqual(b.do("eval", expr="document.querySelectorAll('.timeline li')"
                                                  ".length")["value"], 2)
        page = b.do("eval", expr="document.body.innerText")["value"]
        for private in ("王小明", "0912345678", "ming@example.com"):
            self.assertNotIn(private, page)
        b.do("screenshot", path=os.path.join(ARTIFACTS, "progress-zh.png"), full=True)
        self.assert_accessible("progress zh-TW")
        # The language switch, and English by Accept-Language.
        b.do("eval", expr="document.querySelector('a.lang-switch').click()")
        b.do("wait", expr="document.documentElement.lang === 'en'", timeout=5000)
        self.assertEqual(b.text("h1"), "Case progress")
        status, _, body = get(created.lookup_url, headers={"Accept-Language": "en-US,en;q=0.9"})
        self.assertEqual(status, 200)
        self.assertIn('<html lang="en">', body)
        self.assertIn("Delay notice", body)
        self.assertIn("Delay notice", b.text(".delay h2"))
        b.do("screenshot", path=os.path.join(ARTIFACTS, "progress-en.png"), full=True)
        self.assert_accessible("progress en")
        self.assert_no_browser_errors()
        # The JSON twin.
        status, _, body = get("%s/api/v1/progress/%s?code=%s" % (self.base, number, code))
        self.assertEqual(status, 200)
        doc = json.loads(body)
        self.assertEqual((doc["acceptance_number"], doc["delay"]["new_expected_date"]),
                         (number, "2099-03-10"))
        self.assertNotIn("王小明", body)
        # A wrong code and an unknown number: the same page, byte for byte.
        wrong = get("%s/progress/%s?code=WRONGCODE" % (self.base, number))
        other = number[:-1] + ("1" if number[-1] != "1" else "2")
        unknown = get("%s/progress/%s?code=WRONGCODE" % (self.base, other))
        self.assertEqual(wrong[0], 404)
        self.assertEqual((wrong[0], wrong[2]), (unknown[0], unknown[2]))
        self.assertNotIn(number, wrong[2])
        status, _, body = get("%s/api/v1/progress/%s?code=WRONG" % (self.base, number))
        self.assertEqual((status, json.loads(body)["error"]), (404, "not_found"))
        cases.close()

    def test_4_receipt_qr_code_decodes_to_the_exact_progress_url(self):
        cases, created = self.create_case("pages-receipt")
        number, code = created.case.acceptance_number, created.lookup_code
        url = "%s/receipt/%s?code=%s" % (self.base, number, code)
        b = self.browser
        self.assertEqual(b.do("open", url=url)["status"], 200)
        self.assertEqual(b.text(".number dd"), number)
        self.assertIn("業務組", b.text(".facts"))
        self.assertIn("(02) 2365-1234", b.text(".facts"))
        png = os.path.join(ARTIFACTS, "receipt-qr.png")
        b.do("screenshot", path=png, selector="svg.qr")
        b.do("screenshot", path=os.path.join(ARTIFACTS, "receipt.png"), full=True)
        decoded = subprocess.run(["zbarimg", "--raw", "-q", png], capture_output=True, text=True,
                                 timeout=30)
        self.assertEqual(decoded.returncode, 0, decoded.stderr)
        self.assertEqual(decoded.stdout.strip(), created.lookup_url)
        self.assert_accessible("receipt")
        self.assert_no_browser_errors()
        # Staff only: a client outside the staff networks gets 403; a wrong code no receipt.
        status, _, body = get(url, source="127.0.0.2")
        self.assertEqual(status, 403)
        self.assertNotIn(number, body)
        self.assertEqual(get(url.replace(code, "WRONGCODE"))[0], 404)
        cases.close()

    def test_0_index_links_every_board_and_the_look_up(self):
        status, _, body = get(self.base + "/")
        self.assertEqual(status, 200)
        self.assertIn('href="/board/taipei-south"', body)
        self.assertIn('href="/progress"', body)

    def test_5_failed_look_ups_are_rate_limited_per_browser(self):
        # From 127.0.0.3, a browser of its own (the other tests' failures count for 127.0.0.1).
        statuses = [get("%s/api/v1/progress/TS-260101-0001-1?code=GUESS%d" % (self.base, i),
                        source="127.0.0.3")[0] for i in range(12)]
        self.assertEqual(statuses[:10], [404] * 10)
        self.assertEqual(statuses[10:], [429, 429])
        status, head, _ = get(self.base + "/progress/TS-260101-0001-1?code=GUESS",
                              source="127.0.0.3")
        self.assertEqual(status, 429)
        self.assertIn("Retry-After: 60", head)
        # Another browser (another address) is not held back by this one's guesses.
        status, _, _ = get(self.base + "/progress/TS-260101-0001-1?code=GUESS", source="127.0.0.4")
        self.assertEqual(status, 404)


if __name__ == "__main__":
    unittest.main()
