"""The display board shows the branch's local time, not the TV's (issue 15, item 13d).

Headless Chromium runs with TZ=UTC (a TV left on UTC); the board of taipei-south (Asia/Taipei)
must show Taipei's hour and minute."""
import datetime
import json
import os
import subprocess
import unittest

from csopsd_harness import SOURCE_DIR, Csopsd

DRIVER = os.path.join(SOURCE_DIR, "tests", "browser", "driver.mjs")
TAIPEI = datetime.timezone(datetime.timedelta(hours=8))


class UtcBrowser:
    def __init__(self):
        env = dict(os.environ, TZ="UTC")
        self.proc = subprocess.Popen(["node", DRIVER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env)

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

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class BoardClockTest(unittest.TestCase):
    def test_a_tv_on_utc_shows_taipei_time(self):
        server = Csopsd().wait_serving()
        browser = UtcBrowser()
        try:
            browser.do("open", url=server.web_url + "/board/taipei-south")
            self.assertEqual(browser.do("eval", expr="new Date().getTimezoneOffset()")["value"], 0,
                             "the browser is not on UTC, so this test proves nothing")
            browser.do("wait", expr="document.getElementById('clock').textContent.length > 0")
            before = datetime.datetime.now(TAIPEI)
            shown = browser.do("eval", expr="document.getElementById('clock').textContent")["value"]
            after = datetime.datetime.now(TAIPEI)
            self.assertIn(shown.strip(), {before.strftime("%H:%M"), after.strftime("%H:%M")},
                          "the board shows %r; Taipei time is %s" % (shown, before.strftime("%H:%M")))
            self.assertEqual(browser.do("errors")["errors"], [])
        finally:
            browser.close()
            server.close()


if __name__ == "__main__":
    unittest.main()
