"""WatchSlaEvents resumes from a cursor: events that fired while no watcher was connected, and
those that fired at csopsd's start-up after a kill -9 (before the port opened), come first, in
order, then the live ones, with no gap and no repeat; a malformed or foreign cursor is refused
by name."""
import os
import queue
import signal
import threading
import time
import unittest

import grpc

from csopsd_harness import SOURCE_DIR, CaseClient, Csopsd, case_pb2 as c

# A case type whose warnings come 0.6 s and 1.2 s after acceptance (its breach after a minute).
CONFIG = os.path.join(SOURCE_DIR, "tests", "e2e", "configs", "sla.textproto")
BRANCH = "crash"


class Reader:
    """Reads one WatchSlaEvents stream on a thread of its own."""

    def __init__(self, client, **fields):
        self.stream = client.WatchSlaEvents(timeout=120, branch_id=BRANCH, **fields)
        self.items = queue.Queue()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for notice in self.stream:
                self.items.put(notice)
        except grpc.RpcError as e:
            self.error = e
        self.items.put(None)

    def take(self, n, timeout=20):
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            try:
                item = self.items.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("got %d of %d events: %s..." % (len(out), n, names(out)[:4]))
            if item is None:
                raise AssertionError("stream ended after %d of %d: %s" % (len(out), n, self.error))
            out.append(item)
        return out

    def quiet_for(self, seconds):
        """True if nothing more arrives within `seconds`."""
        try:
            item = self.items.get(timeout=seconds)
        except queue.Empty:
            return True
        raise AssertionError("unexpected event %s" % (names([item]) if item else self.error))

    def close(self):
        self.stream.cancel()
        self.thread.join(timeout=10)


def names(notices):
    return [(n.acceptance_number, n.event, n.cursor) for n in notices]


def wait_fired(client, number, events=("quick warning_1", "quick warning_2"), timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        notes = [h.note for h in client.GetCase(acceptance_number=number).case.history
                 if h.kind == "sla"]
        if all(e in notes for e in events):
            return
        time.sleep(0.05)
    raise AssertionError("%s: %s did not fire" % (number, events))


def create(client, key):
    return client.CreateCase(type_code="quick", branch_id=BRANCH, applicant=c.Applicant(name="x"),
                             received_via=c.RECEIVED_VIA_WEB, summary="s", staff_id="E1",
                             idempotency_key=key).case.acceptance_number


class SlaResumeTest(unittest.TestCase):
    def test_missed_events_come_first_in_order_then_live_ones_across_a_restart(self):
        first = Csopsd(config=CONFIG).wait_serving()
        data = first.data_dir
        client = CaseClient(first.grpc_addr)
        try:
            # A supervisor watches one case's two warnings, then loses the connection.
            live = Reader(client)
            c1 = create(client, "r1")
            seen = live.take(2)
            live.close()
            self.assertEqual([(n.acceptance_number, n.event) for n in seen],
                             [(c1, "warning_1"), (c1, "warning_2")])
            self.assertTrue(all(n.cursor for n in seen))
            last = seen[-1].cursor
            # Nobody watches while two more cases' warnings fire ...
            c2, c3 = create(client, "r2"), create(client, "r3")
            wait_fired(client, c2)
            wait_fired(client, c3)
            # ... and while csopsd is killed before two others' warnings are due.
            c4, c5 = create(client, "r4"), create(client, "r5")
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait()
            killed = time.time()
            client.close()
            time.sleep(2.5)  # their 0.6 s and 1.2 s instants pass, over a second ago

            second = Csopsd(config=CONFIG, data_dir=data).wait_serving()
            client = CaseClient(second.grpc_addr)
            try:
                resumed = Reader(client, after_cursor=last)
                missed = resumed.take(8)
                self.assertEqual(sorted((n.acceptance_number, n.event) for n in missed),
                                 sorted((x, e) for x in (c2, c3, c4, c5)
                                        for e in ("warning_1", "warning_2")))
                cursors = [int(n.cursor) for n in missed]
                self.assertEqual(cursors, sorted(set(cursors)), "in cursor order, no repeat")
                self.assertGreater(cursors[0], int(last))
                # Fired at start-up, before the port opened: late, and still delivered.
                at_start = [n for n in missed if n.acceptance_number in (c4, c5)]
                self.assertEqual(len(at_start), 4)
                for n in at_start:
                    self.assertTrue(n.late, names([n]))
                    self.assertGreater(n.fired_at.seconds + n.fired_at.nanos / 1e9, killed)
                # Then the live stream, continuing without a gap.
                c6 = create(client, "r6")
                after = resumed.take(2)
                self.assertEqual([(n.acceptance_number, n.event) for n in after],
                                 [(c6, "warning_1"), (c6, "warning_2")])
                self.assertTrue(resumed.quiet_for(0.5))
                resumed.close()
                # The whole log, from the start, is exactly what the two streams gave.
                everything = Reader(client, after_cursor="0")
                log = everything.take(12)
                self.assertTrue(everything.quiet_for(0.5))
                everything.close()
                self.assertEqual(names(log), names(seen + missed + after))
                # csopsctl resumes the same way and prints each event's cursor.
                r = second.ctl("case", "watch", "--branch=" + BRANCH, "--after=" + last,
                               "--count=2", "--for=20")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("cursor=" + missed[0].cursor, r.stdout)
                self.assertIn("cursor=" + missed[1].cursor, r.stdout)
            finally:
                client.close()
                second.close()
        finally:
            first.close()

    def test_no_gap_and_no_repeat_while_events_fire_during_the_catch_up(self):
        server = Csopsd(config=CONFIG).wait_serving()
        client = CaseClient(server.grpc_addr)
        stop = threading.Event()
        try:
            for i in range(20):
                create(client, "pre-%d" % i)
            time.sleep(1.5)  # 40 warnings recorded
            made = []

            def keep_creating():
                i = 0
                while not stop.is_set():
                    made.append(create(client, "during-%d" % i))
                    i += 1
                    time.sleep(0.01)

            t = threading.Thread(target=keep_creating)
            t.start()
            time.sleep(0.7)  # events fire while the watcher catches up
            watcher = Reader(client, after_cursor="5")
            time.sleep(1.0)
            stop.set()
            t.join()
            time.sleep(1.5)  # every case's warnings have fired
            total = 40 + 2 * len(made)
            got = watcher.take(total - 5, timeout=30)
            self.assertTrue(watcher.quiet_for(0.5))
            watcher.close()
            self.assertEqual([int(n.cursor) for n in got], list(range(6, total + 1)))
            print("\n%d events, caught up from cursor 5 while %d cases were created"
                  % (len(got), len(made)))
        finally:
            stop.set()
            client.close()
            server.close()

    def test_a_malformed_or_foreign_cursor_is_refused_by_name(self):
        server = Csopsd(config=CONFIG).wait_serving()
        client = CaseClient(server.grpc_addr)
        try:
            for bad in ("abc", "-1", "01", "1e3", "\x1b[2J"):
                with self.assertRaises(grpc.RpcError) as err:
                    next(client.WatchSlaEvents(branch_id=BRANCH, after_cursor=bad))
                self.assertEqual(err.exception.code(), grpc.StatusCode.INVALID_ARGUMENT, bad)
                self.assertIn("after_cursor", err.exception.details())
                self.assertNotIn("\x1b", err.exception.details())
            with self.assertRaises(grpc.RpcError) as err:  # newer than anything in this case.db
                next(client.WatchSlaEvents(branch_id=BRANCH, after_cursor="999999"))
            self.assertEqual(err.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("after_cursor", err.exception.details())
            self.assertIn("newest", err.exception.details())
        finally:
            client.close()
            server.close()


if __name__ == "__main__":
    unittest.main()
