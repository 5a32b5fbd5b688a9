"""The command line of every csops binary (issue 16, item 7), from outside: csopsd, csopsctl and
each of its subcommands (found by walking the --help output), csops-report, history_seed, loadgen,
case_seed, writer_bench and fake_provider.

* --help exits 0 with the usage on stdout;
* an unknown option exits 2 naming it on stderr;
* a bad value (not a number, out of range, not one of the allowed words) exits 2 naming the
  option, and so does a missing required option; nothing dies of an uncaught exception;
* both spellings, --name=value and --name value, parse, and the last of a repeated option counts.

No server is started: every command line here is refused (or answered) before anything connects.
"""
import os
import re
import subprocess
import unittest

BINARIES = {
    "csopsd": os.environ["CSOPSD"],
    "csopsctl": os.environ["CSOPSCTL"],
    "csops-report": os.environ["CSOPS_REPORT"],
    "history_seed": os.environ["HISTORY_SEED"],
    "loadgen": os.environ["LOADGEN"],
    "case_seed": os.environ["CASE_SEED"],
    "writer_bench": os.environ["WRITER_BENCH"],
    "fake_provider": os.environ["FAKE_PROVIDER"],
}

# Every csopsctl command there is today; the walk below must find at least these.
CSOPSCTL_COMMANDS = {
    "health", "info", "keygen", "calendar", "calendar import", "migrate",
    "queue", "queue issue", "queue call-next", "queue recall", "queue start", "queue no-show",
    "queue complete", "queue cancel", "queue requeue", "queue transfer", "queue open",
    "queue pause", "queue close", "queue ticket", "queue snapshot", "queue notices",
    "queue board",
    "case", "case create", "case get", "case transition", "case note", "case delay",
    "case lookup", "case assign", "case list", "case watch", "case report",
    "notify", "notify send", "notify batch", "notify get", "notify list", "notify plan",
    "notify plan start", "notify plan stop", "notify prefs",
}


def run(binary, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSOPS_")}
    env["CSOPS_ADDR"] = "127.0.0.1:1"  # never reached: nothing here may connect
    return subprocess.run([BINARIES[binary], *args], capture_output=True, text=True, timeout=30,
                          env=env)


def subcommands(help_text):
    """The subcommand names listed in a CLI11 --help text."""
    if "Subcommands:" not in help_text:
        return []
    section = help_text.split("Subcommands:", 1)[1]
    names = []
    for line in section.splitlines()[1:]:
        m = re.match(r"^  (\S+)\s", line)
        if not m:
            if line.strip() == "":
                break
            continue
        names.append(m.group(1))
    return names


def csopsctl_commands():
    """Every csopsctl command path, e.g. ("notify", "plan", "start"), by walking --help."""
    found, todo = [], [()]
    while todo:
        path = todo.pop()
        r = run("csopsctl", *path, "--help")
        assert r.returncode == 0, (path, r.stderr)
        for name in subcommands(r.stdout):
            found.append(path + (name,))
            todo.append(path + (name,))
    return found


class FlagsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ctl_commands = csopsctl_commands()

    def assertUsageError(self, r, *named):
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        for text in named:
            self.assertIn(text, r.stderr)
        self.assertIn("--help", r.stderr)

    def test_the_walk_finds_every_csopsctl_command(self):
        found = {" ".join(p) for p in self.ctl_commands}
        self.assertEqual(CSOPSCTL_COMMANDS - found, set())

    def test_help_prints_the_usage_on_stdout_and_exits_0(self):
        commands = [(b,) for b in BINARIES] + [("csopsctl",) + p for p in self.ctl_commands]
        for binary, *path in commands:
            for flag in ("--help", "-h"):
                with self.subTest(command=[binary, *path, flag]):
                    r = run(binary, *path, flag)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(r.stderr, "")
                    self.assertIn("Usage: " + " ".join([binary, *path]), r.stdout)

    def test_an_unknown_option_exits_2_naming_it(self):
        commands = [(b,) for b in BINARIES] + [("csopsctl",) + p for p in self.ctl_commands]
        for binary, *path in commands:
            with self.subTest(command=[binary, *path]):
                self.assertUsageError(run(binary, *path, "--servce=A"), "--servce=A")
        # Also when the options given are otherwise complete.
        self.assertUsageError(run("csopsctl", "queue", "complete", "--counter=1", "--servce=A",
                                  "A001"), "--servce=A")
        self.assertUsageError(run("csopsctl", "keygen", "--name=n", "--role=kiosk", "--servce"),
                              "--servce")
        self.assertUsageError(run("csopsctl", "info", "stray"), "stray")
        self.assertUsageError(run("csopsd", "stray"), "stray")
        self.assertUsageError(run("csopsctl", "bogus"), "bogus")

    def test_a_bad_value_exits_2_naming_the_option(self):
        cases = [
            (("csopsctl", "queue", "complete", "--counter=1", "--rating=abc", "A001"), "--rating"),
            (("csopsctl", "queue", "complete", "--counter=1", "--rating=6", "A001"), "--rating"),
            (("csopsctl", "queue", "complete", "--counter=1", "--outcome=maybe", "A001"),
             "--outcome"),
            (("csopsctl", "queue", "issue", "--service=A", "--priority=vip"), "--priority"),
            (("csopsctl", "queue", "issue", "--service=A", "--sms=1", "--email=a@b"), "--sms"),
            (("csopsctl", "queue", "notices", "--limit=abc"), "--limit"),
            (("csopsctl", "queue", "board", "--count=-1"), "--count"),
            (("csopsctl", "queue", "board", "--for=soon"), "--for"),
            (("csopsctl", "--timeout=abc", "info"), "--timeout"),
            (("csopsctl", "--timeout=0", "info"), "--timeout"),
            (("csopsctl", "--addr", "", "info"), "--addr"),
            (("csopsctl", "case", "list", "--limit=abc"), "--limit"),
            (("csopsctl", "case", "list", "--status=lost"), "--status"),
            (("csopsctl", "case", "list", "--sla=late"), "--sla"),
            (("csopsctl", "case", "watch", "--count=x"), "--count"),
            (("csopsctl", "case", "transition", "--to=done", "--staff=E1", "TS-1"), "--to"),
            (("csopsctl", "notify", "list", "--customer=1", "--limit=0"), "--limit"),
            (("csopsctl", "notify", "send", "--kind=k", "--key=k", "--mode=some"), "--mode"),
            (("csopsctl", "notify", "send", "--kind=k", "--key=k", "--urgent=perhaps"),
             "--urgent"),
            (("csopsctl", "notify", "send", "--kind=k", "--key=k", "--var.amount"), "--var"),
            (("csopsctl", "keygen", "--name=n", "--role=root"), "--role"),
            (("csopsctl", "migrate", "--from=d", "--to=x", "--services=queue,billing"),
             "--services"),
            (("csopsctl", "migrate", "--from=d", "--to=x", "--chunk-rows=0"), "--chunk-rows"),
            (("csopsctl", "migrate", "--from=d"), "--to"),
            (("csopsd", "--target=billing"), "--target"),
            (("csopsd", "--listen=abc"), "--listen"),
            (("csopsd", "--metrics-listen=127.0.0.1:port"), "--metrics-listen"),
            (("csopsd", "--data-dir", ""), "--data-dir"),
            (("csopsd", "--check-config=perhaps"), "--check-config"),
            (("csops-report", "--from=2026-01-01", "--to=2026-06-30", "--deadline=abc"),
             "--deadline"),
            (("csops-report", "--from=2026-01-01", "--to=2026-06-30", "--lang=fr"), "--lang"),
            (("history_seed", "--config=c", "--data-dir=d", "--from=2026-01-01",
              "--to=2026-01-31", "--visitors=many"), "--visitors"),
            (("history_seed", "--config=c", "--data-dir=d", "--from=2026-01-01",
              "--to=2026-01-31", "--seed=-1"), "--seed"),
            (("loadgen", "--count=abc"), "--count"),
            (("loadgen", "--rpc=delete_everything"), "--rpc"),
            (("loadgen", "--inflight=0"), "--inflight"),
            (("loadgen", "--seconds=abc"), "--seconds"),
            (("loadgen", "--delay-s=99999999999999999999"), "--delay-s"),
            (("case_seed", "--config=c", "--data-dir=d", "--cases=abc"), "--cases"),
            (("case_seed", "--config=c", "--data-dir=d", "--hours=0"), "--hours"),
            (("writer_bench", "--threads=abc"), "--threads"),
            (("writer_bench", "--sync=off"), "--sync"),
            (("fake_provider", "--port=abc"), "--port"),
            (("fake_provider", "--port=70000"), "--port"),
        ]
        for (binary, *args), option in cases:
            with self.subTest(command=[binary, *args]):
                self.assertUsageError(run(binary, *args), option)

    def test_a_missing_value_or_required_option_exits_2_naming_it(self):
        cases = [
            (("csopsctl",), "subcommand"),
            (("csopsctl", "queue"), "subcommand"),
            (("csopsctl", "notify", "plan"), "subcommand"),
            (("csopsctl", "queue", "complete", "A001"), "--counter"),
            (("csopsctl", "queue", "complete", "--counter=1"), "TICKET"),
            (("csopsctl", "queue", "issue"), "--service"),
            (("csopsctl", "case", "transition", "--staff=E1", "TS-1"), "--to"),
            (("csopsctl", "notify", "send", "--key=k"), "--kind"),
            (("csopsctl", "keygen", "--role=kiosk"), "--name"),
            (("csopsctl", "migrate", "--to=x"), "--from"),
            (("csopsctl", "--timeout"), "--timeout"),
            (("csopsd", "--listen"), "--listen"),
            (("csops-report", "--to=2026-06-30"), "--from"),
            (("history_seed", "--data-dir=d", "--from=2026-01-01", "--to=2026-01-31"), "--config"),
            (("case_seed", "--data-dir=d"), "--config"),
            (("loadgen", "--addr"), "--addr"),
        ]
        for (binary, *args), named in cases:
            with self.subTest(command=[binary, *args]):
                self.assertUsageError(run(binary, *args), named)

    def test_both_spellings_parse_and_the_last_repeat_counts(self):
        for args in (["--name=kiosk-1", "--role=kiosk", "--branch=b1"],
                     ["--name", "kiosk-1", "--role", "kiosk", "--branch", "b1"],
                     ["--name=kiosk-1", "--role=admin", "--role", "kiosk", "--branch=b1"]):
            with self.subTest(args=args):
                r = run("csopsctl", "keygen", *args)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertRegex(r.stdout, r'keys \{ name: "kiosk-1" role: KIOSK sha256: "[0-9a-f]{64}"'
                                           r' branch: "b1" \}')
        policy = run("csopsd", "--print-policy", "--target", "queue", "--target=all")
        self.assertEqual(policy.returncode, 0, policy.stderr)
        self.assertTrue(policy.stdout.lstrip().startswith(("[", "{")))
        version = run("csopsd", "--version")
        self.assertEqual(version.returncode, 0, version.stderr)
        self.assertRegex(version.stdout, r"^csopsd \d+\.\d+")

    def test_odd_values_are_refused_too_and_nothing_dies_of_an_exception(self):
        odd = ["--count=", "-x", "--rating=1e99", "--for=nan", "--timeout=inf", "--limit=-0",
               "--port=+1", "--threads=1.5"]
        commands = [(b,) for b in BINARIES] + [("csopsctl",) + p for p in self.ctl_commands]
        for binary, *path in commands:
            for arg in odd:
                with self.subTest(command=[binary, *path, arg]):
                    r = run(binary, *path, arg)
                    self.assertEqual(r.returncode, 2, r.stderr)

if __name__ == "__main__":
    unittest.main()
