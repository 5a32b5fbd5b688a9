"""SLA events are exactly-once across kill -9: csopsd is killed while cases' warning instants
come and go, restarted, and every case then has each due event exactly once."""
import os
import signal
import threading
import time
import unittest

from csopsd_harness import SOURCE_DIR, CaseClient, Csopsd, case_pb2 as c

CONFIG = os.path.join(SOURCE_DIR, "tests", "e2e", "configs", "sla.textproto")


class SlaCrashTest(unittest.TestCase):
    def test_each_event_exists_exactly_once_after_kill_9(self):
        server = Csopsd(config=CONFIG).wait_serving()
        data = server.data_dir
        client = CaseClient(server.grpc_addr)
        numbers = []
        stop = threading.Event()

        def create():
            i = 0
            while not stop.is_set():
                try:
                    r = client.CreateCase(type_code="quick", branch_id="crash",
                                          applicant=c.Applicant(name="x"),
                                          received_via=c.RECEIVED_VIA_WEB, summary="s",
                                          staff_id="E1", idempotency_key="crash-%d" % i)
                except Exception:  # noqa: BLE001 the server is being killed
                    return
                numbers.append(r.case.acceptance_number)
                i += 1

        t = threading.Thread(target=create)
        t.start()
        time.sleep(1.5)  # warnings of the first cases fire while more are created
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        stop.set()
        t.join()
        client.close()
        self.assertGreater(len(numbers), 20)

        restarted = Csopsd(config=CONFIG, data_dir=data).wait_serving()
        client = CaseClient(restarted.grpc_addr)
        try:
            time.sleep(2.0)  # every case's 2% instant (1.2 s) has passed; start-up fired the rest
            for n in numbers:
                history = client.GetCase(acceptance_number=n).case.history
                notes = [h.note for h in history if h.kind == "sla"]
                self.assertEqual(notes.count("quick warning_1"), 1, (n, notes))
                self.assertEqual(notes.count("quick warning_2"), 1, (n, notes))
            self.assertIn("sla_event", restarted.stderr())
            print("\n%d cases, each with warning_1 and warning_2 exactly once" % len(numbers))
        finally:
            client.close()
            restarted.close()
            server.close()


if __name__ == "__main__":
    unittest.main()
