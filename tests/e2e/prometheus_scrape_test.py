"""A real Prometheus server scrapes a real csopsd and answers queries about it."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

from csopsd_harness import Csopsd


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrometheusScrapeTest(unittest.TestCase):
    def setUp(self):
        self.server = Csopsd().wait_serving()
        self.tmp = tempfile.mkdtemp(prefix="csops-prom-")
        target = self.server.metrics_url.split("//")[1].split("/")[0]
        config = os.path.join(self.tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n"
                    "scrape_configs:\n  - job_name: csopsd\n"
                    "    static_configs:\n      - targets: ['%s']\n" % target)
        self.prom_addr = "127.0.0.1:%d" % free_port()
        self.prom = subprocess.Popen(
            ["prometheus", "--config.file=" + config, "--storage.tsdb.path=" + self.tmp + "/tsdb",
             "--web.listen-address=" + self.prom_addr],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def tearDown(self):
        self.prom.terminate()
        self.prom.wait(timeout=30)
        self.server.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def query(self, expr):
        url = "http://%s/api/v1/query?query=%s" % (self.prom_addr, urllib.parse.quote(expr))
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return json.load(resp)["data"]["result"]
        except OSError:
            return []

    def wait_for(self, expr, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.query(expr)
            if result:
                return result
            time.sleep(0.5)
        self.fail("Prometheus never answered " + expr)

    def test_prometheus_scrapes_csopsd_and_sees_rpc_counts(self):
        up = self.wait_for('up{job="csopsd"} == 1')
        self.assertEqual(up[0]["value"][1], "1")
        self.assertEqual(self.server.ctl("info").returncode, 0)
        handled = self.wait_for(
            'grpc_server_handled_total{grpc_method="GetServerInfo",grpc_code="OK"} >= 1')
        self.assertEqual(handled[0]["metric"]["grpc_service"], "csops.admin.v1.AdminService")
        cal = self.wait_for('csops_calendar_coverage_end_timestamp_seconds{calendar="tw-gov"}')
        self.assertEqual(float(cal[0]["value"][1]), 1798732800.0)


if __name__ == "__main__":
    unittest.main()
