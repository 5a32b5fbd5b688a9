"""Local stand-ins for the outside providers, speaking their real protocols: a Mitake-style SMS
gateway, a JSON SMS webhook, a voice-call webhook and FCM HTTP v1 (one HTTP server, one path
each), and an SMTP server with STARTTLS and AUTH (aiosmtpd, with a certificate made by openssl
for the test). Each records what it received; its behaviour per destination is set by the test.
"""
import json
import os
import ssl
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

# Behaviours, chosen per destination (mobile number, FCM token) with `ProviderServer.modes`:
#   ok, fail_once (503 then ok), fail_once_then_reject (503 then a permanent error), busy (429), down (503), slow (sleeps past the client's
#   timeout), malformed (200 with an unusable body), reject (permanent error).


class ProviderServer:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []          # (path, parsed body) in arrival order
        self.taken = []             # (path, destination) of the sends it accepted (2xx + id)
        self.modes = {}             # destination -> behaviour
        self.seen = {}              # destination -> requests so far
        self.counter = 0
        self.down = False           # every endpoint answers 503 (an outage)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body, ctype="application/json"):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): what "slow" is for

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                path = urllib.parse.urlparse(self.path).path
                if path == "/mitake":
                    body = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                    dest = body.get("dstaddr", "")
                else:
                    body = json.loads(raw)
                    dest = body.get("to") or body.get("message", {}).get("token", "")
                body["_authorization"] = self.headers.get("Authorization", "")
                with outer.lock:
                    outer.requests.append((path, body))
                    outer.seen[dest] = outer.seen.get(dest, 0) + 1
                    outer.counter += 1
                    n = outer.counter
                    mode = outer.modes.get(dest, "ok")
                    if mode == "fail_once":
                        mode = "down" if outer.seen[dest] == 1 else "ok"
                    if mode == "fail_once_then_reject":
                        mode = "down" if outer.seen[dest] == 1 else "reject"
                    if outer.down:
                        mode = "down"
                if mode == "slow":
                    time.sleep(3)
                if mode in ("down", "slow"):
                    return self.reply(503, '{"error":"unavailable"}')
                if mode == "busy":
                    return self.reply(429, '{"error":"slow down"}')
                if mode not in ("malformed", "reject"):
                    with outer.lock:
                        outer.taken.append((path, dest))
                if path == "/mitake":
                    if mode == "malformed":
                        return self.reply(200, "<html>gateway error</html>", "text/html")
                    if mode == "reject":
                        return self.reply(200, "[1]\r\nstatuscode=k\r\nError=invalid number\r\n",
                                          "text/plain")
                    return self.reply(200, "[1]\r\nmsgid=M%08d\r\nstatuscode=1\r\nAccountPoint=98\r\n"
                                      % n, "text/plain")
                if path.startswith("/fcm/v1/projects/"):
                    if mode == "reject":
                        return self.reply(404, '{"error":{"code":404,"status":"UNREGISTERED"}}')
                    if mode == "malformed":
                        return self.reply(200, '{"unexpected": true}')
                    return self.reply(200, json.dumps(
                        {"name": "projects/csops-test/messages/%d" % n}))
                if mode == "malformed":
                    return self.reply(200, "not json")
                if mode == "reject":
                    return self.reply(400, '{"error":"invalid number"}')
                return self.reply(200, json.dumps({"id": "J%d" % n}))

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def received(self, path):
        with self.lock:
            return [b for p, b in self.requests if p.startswith(path)]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _MailHandler:
    def __init__(self, box):
        self.box = box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.box.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                         "data": envelope.content, "tls": session.ssl is not None,
                         "auth": session.authenticated})
        return "250 2.0.0 queued"


class SmtpServer:
    """aiosmtpd on a free port; STARTTLS required before AUTH, AUTH required before MAIL."""

    USER, PASSWORD = "csops", "s3cret"

    def __init__(self, workdir):
        self.cert = os.path.join(workdir, "smtp-cert.pem")
        key = os.path.join(workdir, "smtp-key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", self.cert],
                       check=True, capture_output=True)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        self.box = []

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = (auth_data.login.decode() == self.USER and
                  auth_data.password.decode() == self.PASSWORD)
            return AuthResult(success=ok)

        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(
            _MailHandler(self.box), hostname="127.0.0.1", port=self.port, tls_context=context,
            require_starttls=True, authenticator=authenticate, auth_required=True,
            auth_require_tls=True)
        self.controller.start()

    def wait_for(self, address, timeout=20):
        """The messages received for `address`, once there is at least one (or [] at timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            mails = [m for m in self.box if address in m["to"]]
            if mails or time.monotonic() > deadline:
                return mails
            time.sleep(0.1)

    def close(self):
        self.controller.stop()
