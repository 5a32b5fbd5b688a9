"""Access control and TLS, end to end, with python3-grpcio and urllib as outside clients.

The role table test walks the whole access table as csopsd prints it (--print-policy): every
gRPC method and every HTTP route is called with no key, an unknown key, and a key of each role;
a public entry must let everyone through, any other must answer UNAUTHENTICATED / 401 without
a valid key and PERMISSION_DENIED / 403 for a role it does not list. The table must name
exactly the methods the server exposes (by reflection). Denials are counted in
csops_auth_denied_total, exactly. Actors in case history come from the key, a counter key acts
for its own branch only, and keys never appear in logs.

The TLS test runs csopsd with server.tls and mutual TLS, and checks gRPC (with and without a
client certificate), HTTPS pages and /metrics, and that the in-process outbox relay reaches
notify over TLS."""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import grpc

from csopsd_harness import (CSOPSCTL, CSOPSD, SOURCE_DIR, CaseClient, Csopsd, NotifyClient,
                            QueueClient,
                            case_pb2, queue_pb2, descriptor_names, open_channel, run_csopsd)
from fake_providers import ProviderServer, SmtpServer
from notify_e2e_test import notify_config

BRANCH = "taipei-south"
ROLES = ["kiosk", "counter", "staff", "supervisor", "billing", "service", "metrics", "admin"]
DENIED = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
SERVER_STREAMING = {"/csops.queue.v1.QueueService/WatchBoard",
                    "/csops.case.v1.CaseService/WatchSlaEvents", "/grpc.health.v1.Health/Watch"}
CLIENT_STREAMING = {"/csops.notify.v1.NotifyService/SendBatch"}
BIDI = {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"}


def keygen(name, role, branch=""):
    """A fresh key from csopsctl keygen: (key, the config stanza holding its hash)."""
    args = [CSOPSCTL, "keygen", "--name=" + name, "--role=" + role]
    if branch:
        args.append("--branch=" + branch)
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout.splitlines()
    return out[0], out[2]


def office_dir(prefix):
    tmp = tempfile.mkdtemp(prefix=prefix)
    for sub in ("calendars", "templates"):
        os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(tmp, sub))
    return tmp


def write_keys(tmp):
    """One key per role (kiosk and counter bound to the branch), plus the config's auth block."""
    keys, stanzas = {}, []
    for role in ROLES:
        name = "E0042" if role == "staff" else role + "-1"
        key, stanza = keygen(name, role, BRANCH if role in ("kiosk", "counter") else "")
        keys[role] = key
        stanzas.append(stanza)
    return keys, "\nauth {\n  " + "\n  ".join(stanzas) + "\n}\n"


def get(url, key=None, basic=None, context=None):
    """(status, headers, body) of a GET."""
    req = urllib.request.Request(url)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    if basic:
        req.add_header("Authorization",
                       "Basic " + base64.b64encode(basic.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10, context=context) as resp:
            return resp.status, resp.headers, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def call_code(channel, method, timeout=3):
    """Calls `method` with an empty request; the status code (OK when it answered)."""
    ident = lambda b: b  # noqa: E731  raw bytes in and out: an empty message is valid
    try:
        if method in SERVER_STREAMING:
            stream = channel.unary_stream(method, request_serializer=ident,
                                          response_deserializer=ident)(b"", timeout=timeout)
            next(iter(stream))
        elif method in CLIENT_STREAMING:
            channel.stream_unary(method, request_serializer=ident,
                                 response_deserializer=ident)(iter([]), timeout=timeout)
        elif method in BIDI:
            stream = channel.stream_stream(method, request_serializer=ident,
                                           response_deserializer=ident)(iter([]), timeout=timeout)
            list(stream)
        else:
            channel.unary_unary(method, request_serializer=ident,
                                response_deserializer=ident)(b"", timeout=timeout)
        return grpc.StatusCode.OK
    except StopIteration:
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()


def create_case_for(client, email):
    """Registers a case whose applicant wants e-mail (so an acceptance notice goes out through
    the outbox relay), then closes `client`."""
    client.CreateCase(
        type_code="new_supply", branch_id=BRANCH,
        applicant=case_pb2.Applicant(name="王", email=email,
                                     preferred_channels=[case_pb2.NOTICE_CHANNEL_EMAIL]),
        summary="relay check", received_via=case_pb2.RECEIVED_VIA_COUNTER, staff_id="E1",
        idempotency_key="relay-" + email)
    client.close()


def denied_counts(metrics_text):
    """{(surface, code): count} from csops_auth_denied_total."""
    out = {}
    for m in re.finditer(r'^csops_auth_denied_total\{([^}]*)\} (\S+)$', metrics_text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        k = (labels["surface"], labels["code"])
        out[k] = out.get(k, 0) + float(m.group(2))
    return out


class OfficeWithKeys(unittest.TestCase):
    """csopsd for the example office with one key per role, fake providers and SMTP;
    `edit_config(cls, text)` may change the config text first."""

    @classmethod
    def start(cls, prefix, *flags):
        cls.tmp = office_dir(prefix)
        cls.providers = ProviderServer()
        cls.smtp = SmtpServer(cls.tmp)
        cls.keys, auth_block = write_keys(cls.tmp)
        text = cls.edit_config(notify_config(cls.providers.url, cls.smtp) + auth_block)
        cls.config = os.path.join(cls.tmp, "csopsd.textproto")
        with open(cls.config, "w", encoding="utf-8") as f:
            f.write(text)
        cls.server = Csopsd(*flags, config=cls.config).wait_serving()

    @classmethod
    def edit_config(cls, text):
        return text

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.smtp.close()
        cls.providers.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)


class RoleTableTest(OfficeWithKeys):
    @classmethod
    def setUpClass(cls):
        cls.start("csops-auth-")
        cls.table = json.loads(subprocess.run([CSOPSD, "--print-policy"], capture_output=True,
                                              text=True, check=True).stdout)

    def metrics(self):
        return get(self.server.web_url + "/metrics", key=self.keys["metrics"])[2]

    def test_a_the_whole_table_holds_for_every_role(self):
        before = denied_counts(self.metrics())
        expected = {}
        grpc_rules = [r for r in self.table if r["route"].startswith("/")]
        http_rules = [r for r in self.table if not r["route"].startswith("/")]
        self.assertGreater(len(grpc_rules), 35)
        callers = {"(no key)": None, "(unknown key)": "csk_not-a-key"}
        callers.update({role: self.keys[role] for role in ROLES})
        channels = {who: open_channel(self.server.grpc_addr, key) for who, key in callers.items()}
        checked = 0
        for rule in grpc_rules:
            for who, channel in channels.items():
                code = call_code(channel, rule["route"])
                allowed = rule["public"] or who in rule["roles"] or who == "admin"
                where = "%s as %s: %s" % (rule["route"], who, code)
                if allowed:
                    self.assertNotIn(code, DENIED, where)
                elif who.startswith("("):
                    self.assertEqual(code, grpc.StatusCode.UNAUTHENTICATED, where)
                    expected[("grpc", "unauthenticated")] = expected.get(
                        ("grpc", "unauthenticated"), 0) + 1
                else:
                    self.assertEqual(code, grpc.StatusCode.PERMISSION_DENIED, where)
                    expected[("grpc", "permission_denied")] = expected.get(
                        ("grpc", "permission_denied"), 0) + 1
                checked += 1
        for channel in channels.values():
            channel.close()

        samples = {"GET /board/": "/board/" + BRANCH, "GET /progress/": "/progress/X1?code=1",
                   "GET /api/v1/progress/": "/api/v1/progress/X1?code=1",
                   "GET /static/": "/static/page.css", "GET /receipt/": "/receipt/X1?code=1",
                   "GET /receipts/": "/receipts/mitake?msgid=none&statusstr=DELIVRD",
                   "POST /receipts/": "/receipts/voice"}
        for rule in http_rules:
            method, pattern = rule["route"].split(" ", 1)
            path = samples.get(rule["route"], pattern)
            for who, key in callers.items():
                req = urllib.request.Request(self.server.web_url + path, method=method,
                                             data=b'{"id":"none"}' if method == "POST" else None)
                if key:
                    req.add_header("Authorization", "Bearer " + key)
                try:
                    with urllib.request.urlopen(req, timeout=10) as resp:
                        status, headers = resp.status, resp.headers
                except urllib.error.HTTPError as e:
                    status, headers = e.code, e.headers
                allowed = rule["public"] or who in rule["roles"] or who == "admin"
                where = "%s %s as %s: %s" % (method, path, who, status)
                if allowed:
                    self.assertNotIn(status, (401, 403), where)
                elif who.startswith("("):
                    self.assertEqual(status, 401, where)
                    self.assertIn("Basic", headers.get("WWW-Authenticate", ""), where)
                    expected[("http", "unauthenticated")] = expected.get(
                        ("http", "unauthenticated"), 0) + 1
                else:
                    self.assertEqual(status, 403, where)
                    expected[("http", "permission_denied")] = expected.get(
                        ("http", "permission_denied"), 0) + 1
                checked += 1

        after = denied_counts(self.metrics())
        for k, n in expected.items():
            self.assertEqual(after.get(k, 0) - before.get(k, 0), n, k)
        print("role table: %d entries, %d calls checked, denials %s" %
              (len(self.table), checked, sorted(expected.items())))

    def test_b_the_table_names_exactly_the_served_methods(self):
        served = set()
        for service in self.server.reflected_services():
            for method in descriptor_names(self.server.grpc_addr, service):
                served.add("/%s/%s" % (service, method))
        in_table = {r["route"] for r in self.table if r["route"].startswith("/")}
        self.assertEqual(served, in_table)

    def test_c_actors_come_from_the_key(self):
        cases = CaseClient(self.server.grpc_addr, key=self.keys["staff"])
        created = cases.CreateCase(
            type_code="new_supply", branch_id=BRANCH, applicant=case_pb2.Applicant(name="王"),
            summary="actor check", received_via=case_pb2.RECEIVED_VIA_COUNTER,
            staff_id="E9999", idempotency_key="actor-1")
        number = created.case.acceptance_number
        cases.AddNote(acceptance_number=number, staff_id="E7777", note="claims another id")
        history = cases.GetCase(acceptance_number=number).case.history
        self.assertEqual([h.actor for h in history], ["staff:E0042", "staff:E0042"])
        cases.close()

    def test_d_a_counter_key_acts_for_its_own_branch_only(self):
        queue = QueueClient(self.server.grpc_addr, key=self.keys["counter"])
        with self.assertRaises(grpc.RpcError) as e:
            queue.CallNext(branch_id="taichung", counter_id="1")
        self.assertEqual(e.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        self.assertIn("branch_id", e.exception.details())
        try:
            queue.CallNext(branch_id=BRANCH, counter_id="1")
        except grpc.RpcError as other:  # e.g. the counter is not open: not an access refusal
            self.assertNotIn(other.code(), DENIED)
        queue.close()

    def test_e_metrics_listener_and_tools_need_a_key(self):
        status, _, _ = get(self.server.metrics_url)
        self.assertEqual(status, 401)
        status, _, body = get(self.server.metrics_url, basic="prometheus:" + self.keys["metrics"])
        self.assertEqual(status, 200)
        self.assertIn("csops_auth_enabled 1", body)
        status, _, _ = get(self.server.metrics_url, basic="prometheus:" + self.keys["kiosk"])
        self.assertEqual(status, 403)  # a known key of a role that may not: as on the web listener
        status, _, body = get(self.server.metrics_url, key=self.keys["metrics"])  # Bearer
        self.assertEqual(status, 200)
        env = dict(os.environ, CSOPS_API_KEY=self.keys["metrics"])
        ok = subprocess.run([CSOPSCTL, "--addr=" + self.server.grpc_addr, "info"],
                            capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        refused = self.server.ctl("info")
        self.assertEqual(refused.returncode, 1)
        self.assertIn("UNAUTHENTICATED", refused.stdout + refused.stderr)

    def test_f_keys_never_reach_logs_or_the_config(self):
        with open(self.config, encoding="utf-8") as f:
            config_text = f.read()
        logs = self.server.stdout() + self.server.stderr()
        for key in self.keys.values():
            self.assertNotIn(key, logs)
            self.assertNotIn(key, config_text)

    def test_g_bad_key_config_is_refused_at_start(self):
        with open(self.config, encoding="utf-8") as f:
            text = f.read()
        bad = os.path.join(self.tmp, "bad.textproto")
        with open(bad, "w", encoding="utf-8") as f:
            f.write(re.sub(r'sha256: "[0-9a-f]{64}"', 'sha256: "not-a-digest"', text, count=1))
        r = run_csopsd("--config=" + bad, "--listen=127.0.0.1:0", "--data-dir=" + self.tmp + "/x")
        self.assertEqual(r.returncode, 2)
        self.assertIn("auth.keys[0].sha256", r.stderr)

    def test_h_sighup_revokes_a_removed_key(self):
        notify = NotifyClient(self.server.grpc_addr, key=self.keys["billing"])
        notify.GetPreferences(customer_number="1")  # accepted before
        with open(self.config, encoding="utf-8") as f:
            text = f.read()
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(re.sub(r'\n  keys \{ name: "billing-1"[^\n]*', "", text))
        self.server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        code = None
        while time.monotonic() < deadline and code != grpc.StatusCode.UNAUTHENTICATED:
            try:
                notify.GetPreferences(customer_number="1")
                code = grpc.StatusCode.OK
            except grpc.RpcError as e:
                code = e.code()
            time.sleep(0.1)
        self.assertEqual(code, grpc.StatusCode.UNAUTHENTICATED)
        # The others, and csopsd's own service key (pages), go on working.
        cases = CaseClient(self.server.grpc_addr, key=self.keys["staff"])
        created = cases.CreateCase(
            type_code="new_supply", branch_id=BRANCH, applicant=case_pb2.Applicant(name="王"),
            summary="after reload", received_via=case_pb2.RECEIVED_VIA_COUNTER,
            staff_id="E1", idempotency_key="after-reload-1")
        self.assertTrue(created.case.acceptance_number)
        cases.close()
        status, _, _ = get(self.server.web_url + "/board/" + BRANCH)
        self.assertEqual(status, 200)
        self.assertIn("config_reloaded", self.server.stdout() + self.server.stderr())
        notify.close()


class SplitProcessesTest(unittest.TestCase):
    """csopsd --target=case relays its outbox to a csopsd --target=notify process with the
    SERVICE key in auth.service_key_file."""

    def test_case_process_reaches_notify_process_with_its_service_key(self):
        tmp = office_dir("csops-split-")
        providers, smtp = ProviderServer(), SmtpServer(tmp)
        servers = []
        try:
            keys, auth_block = write_keys(tmp)
            key_file = os.path.join(tmp, "service.key")
            with open(key_file, "w", encoding="utf-8") as f:
                f.write(keys["service"] + "\n")
            os.chmod(key_file, 0o600)
            auth_block = auth_block.replace("auth {", 'auth {\n  service_key_file: "service.key"')

            def start(name, target, relay_target=""):
                extra = 'relay_target: "%s"' % relay_target if relay_target else ""
                config = os.path.join(tmp, name + ".textproto")
                with open(config, "w", encoding="utf-8") as f:
                    f.write(notify_config(providers.url, smtp, extra=extra) + auth_block)
                server = Csopsd("--target=" + target, config=config).wait_serving()
                servers.append(server)
                return server

            notify = start("notify", "notify")
            cases = start("case", "case", relay_target=notify.grpc_addr)
            create_case_for(CaseClient(cases.grpc_addr, key=keys["staff"]), "split@example.com")
            self.assertEqual(len(smtp.wait_for("split@example.com")), 1)
            logs = "".join(s.stdout() + s.stderr() for s in servers)
            self.assertNotIn(keys["service"], logs)
        finally:
            for server in servers:
                server.close()
            smtp.close()
            providers.close()
            shutil.rmtree(tmp, ignore_errors=True)


def make_pki(tmp):
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate, by openssl."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=tmp, check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=csops test CA")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
                      ("client", "extendedKeyUsage=clientAuth")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out",
            name + ".csr", "-subj", "/CN=csops " + name)
        with open(os.path.join(tmp, name + ".ext"), "w", encoding="utf-8") as f:
            f.write(ext + "\n")
        run("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext")

    def read(name):
        with open(os.path.join(tmp, name), "rb") as f:
            return f.read()
    return {"ca": read("ca.pem"), "cert": read("client.pem"), "key": read("client.key")}


class TlsTest(OfficeWithKeys):
    @classmethod
    def setUpClass(cls):
        cls.start("csops-tls-", "--metrics-listen=off")
        cls.https = ssl.create_default_context(cafile=os.path.join(cls.tmp, "ca.pem"))

    @classmethod
    def edit_config(cls, text):
        cls.pki = make_pki(cls.tmp)
        text = re.sub(r'\n  metrics_listen: "[^"]*"', "", text)
        return text.replace("server {", 'server {\n  metrics_listen: "off"\n  tls { '
                            'cert_file: "server.pem" key_file: "server.key" '
                            'client_ca_file: "ca.pem" ca_file: "ca.pem" }', 1)

    def test_grpc_over_mutual_tls(self):
        self.assertTrue(self.server.grpc_addr.startswith("127.0.0.1:"))
        queue = QueueClient(self.server.grpc_addr, key=self.keys["kiosk"], tls=self.pki)
        ticket = queue.IssueTicket(branch_id=BRANCH, service_code="A", idempotency_key="tls-1",
                                   priority=queue_pb2.PRIORITY_CLASS_NORMAL,
                                   channel=queue_pb2.CHANNEL_KIOSK).ticket
        self.assertTrue(ticket.number)
        queue.close()
        # Without a client certificate, or in plain text, there is no call at all.
        no_cert = QueueClient(self.server.grpc_addr, key=self.keys["kiosk"],
                              tls={"ca": self.pki["ca"]})
        with self.assertRaises(grpc.RpcError) as e:
            no_cert.IssueTicket(branch_id=BRANCH, service_code="A", timeout=5,
                                priority=queue_pb2.PRIORITY_CLASS_NORMAL)
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
        no_cert.close()
        plain = QueueClient(self.server.grpc_addr, key=self.keys["kiosk"])
        with self.assertRaises(grpc.RpcError) as e:
            plain.IssueTicket(branch_id=BRANCH, service_code="A", timeout=5,
                              priority=queue_pb2.PRIORITY_CLASS_NORMAL)
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE)
        plain.close()

    def test_https_pages_and_metrics(self):
        self.assertTrue(self.server.web_url.startswith("https://"))
        status, _, body = get(self.server.web_url + "/board/" + BRANCH, context=self.https)
        self.assertEqual(status, 200)
        self.assertIn("<html", body)
        self.assertEqual(self.server.metrics_url, self.server.web_url + "/metrics")
        status, _, body = get(self.server.metrics_url, key=self.keys["metrics"],
                               context=self.https)
        self.assertEqual(status, 200)
        self.assertIn("csops_auth_enabled 1", body)
        status, _, _ = get(self.server.metrics_url, context=self.https)
        self.assertEqual(status, 401)
        with self.assertRaises((urllib.error.URLError, http.client.HTTPException, OSError)):
            # plain HTTP to the TLS port
            urllib.request.urlopen(self.server.web_url.replace("https", "http") + "/healthz",
                                   timeout=5)

    def test_outbox_relay_reaches_notify_over_tls(self):
        create_case_for(CaseClient(self.server.grpc_addr, key=self.keys["staff"], tls=self.pki),
                        "tls@example.com")
        self.assertEqual(len(self.smtp.wait_for("tls@example.com")), 1)


if __name__ == "__main__":
    unittest.main()
