"""End-to-end checks of a real csopsd process: health, reflection, /metrics, csopsctl, signals,
and start-up failures (exit codes and messages)."""
import os
import socket
import subprocess
import tempfile
import unittest

import grpc

from csopsd_harness import (CSOPS_SERVICES, EXAMPLE_CONFIG, NOT_SERVING, SERVING, SOURCE_DIR,
                            Csopsd, run_csopsd)


class ServingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Csopsd("--target=all").wait_serving()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_every_target_reports_serving_over_grpc_health(self):
        self.assertEqual(self.server.health(""), SERVING)
        for name in CSOPS_SERVICES.values():
            self.assertEqual(self.server.health(name), SERVING, name)

    def test_unknown_health_service_is_not_found(self):
        with self.assertRaises(grpc.RpcError) as err:
            self.server.health("csops.billing.v1.BillingService")
        self.assertEqual(err.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_reflection_lists_the_services(self):
        names = self.server.reflected_services()
        for expected in ("grpc.health.v1.Health", "csops.admin.v1.AdminService",
                         "grpc.reflection.v1alpha.ServerReflection"):
            self.assertIn(expected, names)

    def test_csopsctl_health_and_info(self):
        r = self.server.ctl("health")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for name in CSOPS_SERVICES.values():
            self.assertRegex(r.stdout, name + r"\s+SERVING")
        r = self.server.ctl("health", "csops.case.v1.CaseService")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.server.ctl("info")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("version     0.1.0", r.stdout)
        self.assertIn("tw-gov (Asia/Taipei), holidays known until 2027-12-31", r.stdout)

    def test_metrics_pass_promtool_and_count_rpcs(self):
        self.assertEqual(self.server.ctl("info").returncode, 0)
        text = self.server.scrape()
        check = subprocess.run(["promtool", "check", "metrics"], input=text,
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertRegex(text, r'grpc_server_handled_total\{[^}]*grpc_code="OK"[^}]*'
                               r'grpc_method="GetServerInfo"[^}]*\} [1-9]')
        self.assertIn("grpc_server_handling_seconds_bucket", text)
        self.assertIn("grpc_server_started_total", text)
        # 2027-01-01T00:00 Asia/Taipei = 2026-12-31T16:00Z
        self.assertRegex(text, r'csops_calendar_coverage_end_timestamp_seconds\{calendar="tw-gov"\} '
                               r'(1830268800|1\.8302688e\+09)\n')
        self.assertIn('csops_build_info{targets="queue,case,notify",version="0.1.0"} 1', text)


class TargetSelectionTest(unittest.TestCase):
    def test_only_the_chosen_targets_are_served(self):
        server = Csopsd("--target=queue,notify").wait_serving()
        try:
            self.assertEqual(server.health(CSOPS_SERVICES["queue"]), SERVING)
            self.assertEqual(server.health(CSOPS_SERVICES["notify"]), SERVING)
            with self.assertRaises(grpc.RpcError) as err:
                server.health(CSOPS_SERVICES["case"])
            self.assertEqual(err.exception.code(), grpc.StatusCode.NOT_FOUND)
            r = server.ctl("health")
            self.assertEqual(r.returncode, 0, r.stdout)
            self.assertRegex(r.stdout, r"csops.case.v1.CaseService\s+not run here")
        finally:
            server.close()


class ShutdownTest(unittest.TestCase):
    def test_sigterm_exits_zero_and_stops_serving(self):
        server = Csopsd().wait_serving()
        try:
            self.assertEqual(server.health(""), SERVING)
            self.assertEqual(server.terminate(), 0, server.stderr())
            self.assertIn("stopped", server.stderr())
            r = server.ctl("health")
            self.assertEqual(r.returncode, 1)
        finally:
            server.close()

    def test_sigint_exits_zero(self):
        import signal
        server = Csopsd().wait_serving()
        try:
            self.assertEqual(server.terminate(signal.SIGINT), 0, server.stderr())
        finally:
            server.close()

    def test_data_dir_is_reusable_after_a_stop_and_locked_while_running(self):
        with tempfile.TemporaryDirectory() as data:
            first = Csopsd(data_dir=data).wait_serving()
            try:
                second = run_csopsd("--config=" + EXAMPLE_CONFIG, "--listen=127.0.0.1:0",
                                    "--metrics-listen=127.0.0.1:0", "--http-listen=127.0.0.1:0",
                                    "--data-dir=" + data)
                self.assertEqual(second.returncode, 1)
                self.assertIn("another csopsd is already using it", second.stderr)
                self.assertEqual(first.terminate(), 0)
            finally:
                first.close()
            again = Csopsd(data_dir=data).wait_serving()
            again.close()


class StartupFailureTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        os.symlink(os.path.join(SOURCE_DIR, "deploy", "calendars"),
                   os.path.join(self.dir.name, "calendars"))

    def tearDown(self):
        self.dir.cleanup()

    def start_with(self, config_text):
        path = os.path.join(self.dir.name, "bad.textproto")
        with open(path, "w") as f:
            f.write(config_text)
        return run_csopsd("--config=" + path, "--data-dir=" + os.path.join(self.dir.name, "d"))

    CAL = 'calendars { name: "tw-gov" file: "calendars/tw-gov.textproto" }\n'

    def test_unknown_key_exits_2_naming_key_and_line(self):
        r = self.start_with(self.CAL + "server {\n  listen: \"127.0.0.1:0\"\n  threads: 4\n}\n")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("bad.textproto:4:", r.stderr)
        self.assertIn("threads", r.stderr)

    def test_bad_value_exits_2_naming_key_and_line(self):
        r = self.start_with(self.CAL + "storage {\n  max_batch: -1\n}\n")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("bad.textproto:3:3: storage.max_batch", r.stderr)

    def test_bad_case_type_exits_2_naming_key_and_line(self):
        r = self.start_with(self.CAL + 'case_types {\n  code: "x"\n  name_zh_tw: "x"\n'
                            '  targets { name: "r" business_minutes: 60 working_days: 2 }\n}\n')
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("bad.textproto:5:3: case_types[0].targets[0]", r.stderr)
        self.assertIn("exactly one of business_minutes and working_days", r.stderr)

    def test_missing_config_file_exits_2(self):
        r = run_csopsd("--config=/nonexistent/csopsd.textproto")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/csopsd.textproto", r.stderr)

    def test_bad_flag_exits_2(self):
        r = run_csopsd("--target=billing")
        self.assertEqual(r.returncode, 2)
        self.assertIn("'billing'", r.stderr)

    def test_port_in_use_exits_1(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            r = run_csopsd("--config=" + EXAMPLE_CONFIG, "--listen=127.0.0.1:%d" % port,
                           "--metrics-listen=127.0.0.1:0", "--http-listen=127.0.0.1:0",
                           "--data-dir=" + os.path.join(self.dir.name, "d"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("127.0.0.1:%d" % port, r.stderr)


if __name__ == "__main__":
    unittest.main()
