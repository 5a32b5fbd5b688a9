"""A real Prometheus server scrapes a real csopsd and answers queries about it."""
import shutil
import tempfile
import time
import unittest

from csopsd_harness import Csopsd, PrometheusServer


class PrometheusScrapeTest(unittest.TestCase):
    def setUp(self):
        self.server = Csopsd().wait_serving()
        self.tmp = tempfile.mkdtemp(prefix="csops-prom-")
        self.prom = PrometheusServer(self.tmp, self.server.metrics_url.split("//")[1].split("/")[0])

    def tearDown(self):
        self.prom.close()
        self.server.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def query(self, expr):
        return self.prom.query(expr)

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
        self.assertEqual(float(cal[0]["value"][1]), 1830268800.0)


if __name__ == "__main__":
    unittest.main()
