"""csopsd behind the shipped nginx config, trusting it (server.trusted_proxies, issue 18).

Visitors reach nginx from different loopback addresses (127.0.0.2-7); nginx reaches csopsd from
127.0.0.1, the one trusted proxy. The staff networks, the public page budget, the failed
look-up limit (pages and gRPC) and the access log must all see the visitor, not nginx; a visitor
naming someone else in X-Forwarded-For changes nothing, because nginx appends what it saw."""
import http.client
import os
import re
import shutil
import tempfile
import time
import unittest

import grpc

from csopsd_harness import SOURCE_DIR, Csopsd, case_pb2
from nginx_proxy import Nginx, SourceRelay

PER_MINUTE = 10  # web.public_requests_per_minute below
LOOKUP_LIMIT = 10  # CaseService::kMaxLookupFailures


def get(url, path, source, headers=None):
    """Status of GET `path` at `url`, sent from the loopback address `source`."""
    host, port = url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        return conn.getresponse().status
    finally:
        conn.close()


class TrustedProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csops-proxy-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(cls.tmp, sub))
        with open(os.path.join(SOURCE_DIR, "deploy", "csopsd.textproto"), encoding="utf-8") as f:
            text = f.read()
        text, n = re.subn(r"^  max_streams_per_client: (\d+)$",
                          r'  max_streams_per_client: \1\n  trusted_proxies: "127.0.0.1/32"',
                          text, flags=re.M)
        assert n == 1
        for old, new in (('staff_networks: ["127.0.0.0/8", "::1/128"]',
                          'staff_networks: ["127.0.0.3/32"]'),
                         ("public_requests_per_minute: 120",
                          "public_requests_per_minute: %d" % PER_MINUTE)):
            assert old in text, old
            text = text.replace(old, new)
        config = os.path.join(cls.tmp, "csopsd.textproto")
        with open(config, "w", encoding="utf-8") as f:
            f.write(text)
        cls.server = Csopsd(config=config).wait_serving()
        web = cls.server.web_url.split("//")[1]
        cls.nginx = Nginx([cls.server.grpc_addr], [web])
        with grpc.insecure_channel(cls.server.grpc_addr) as channel:
            create = channel.unary_unary(
                "/csops.case.v1.CaseService/CreateCase",
                request_serializer=case_pb2.CreateCaseRequest.SerializeToString,
                response_deserializer=case_pb2.CreateCaseResponse.FromString)
            cls.number = create(case_pb2.CreateCaseRequest(
                type_code="complaint", branch_id="taipei-south",
                applicant=case_pb2.Applicant(name="王"),
                received_via=case_pb2.RECEIVED_VIA_COUNTER, summary="s", staff_id="E1",
                idempotency_key="trusted-proxy"), timeout=10).case.acceptance_number

    @classmethod
    def tearDownClass(cls):
        cls.nginx.close()
        cls.server.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_staff_pages_follow_the_visitor_not_the_proxy(self):
        url = self.nginx.web_url
        # 127.0.0.3 is the staff network: the receipt route answers (400: no code given).
        self.assertEqual(get(url, "/receipt/X", "127.0.0.3"), 400)
        # Everyone else, nginx included, is refused, even naming the staff address.
        self.assertEqual(get(url, "/receipt/X", "127.0.0.2"), 403)
        self.assertEqual(get(url, "/receipt/X", "127.0.0.2", {"X-Forwarded-For": "127.0.0.3"}),
                         403)
        self.assertEqual(get(self.server.web_url, "/receipt/X", "127.0.0.1"), 403)

    def test_the_public_budget_is_per_visitor_and_the_log_names_them(self):
        url = self.nginx.web_url
        statuses = [get(url, "/progress", "127.0.0.4") for _ in range(PER_MINUTE + 1)]
        self.assertEqual(statuses[:PER_MINUTE], [200] * PER_MINUTE)
        self.assertEqual(statuses[PER_MINUTE], 429)
        # Forging the header buys no fresh budget ...
        self.assertEqual(get(url, "/progress", "127.0.0.4", {"X-Forwarded-For": "192.0.2.1"}),
                         429)
        # ... while another visitor still has all of theirs.
        self.assertEqual(get(url, "/progress", "127.0.0.5"), 200)
        deadline = time.monotonic() + 5
        while "client=127.0.0.5" not in self.server.stdout() + self.server.stderr():
            self.assertLess(time.monotonic(), deadline, "no http_request line names the visitor")
            time.sleep(0.1)
        log = self.server.stdout() + self.server.stderr()
        self.assertRegex(log, r"http_request .*route=\"?GET /progress\"? .*client=127\.0\.0\.4")

    def test_grpc_look_ups_are_limited_per_visitor(self):
        relays = [SourceRelay(self.nginx.grpc_addr, ip) for ip in ("127.0.0.6", "127.0.0.7")]
        channels = [grpc.insecure_channel(r.addr) for r in relays]
        try:
            def guess(channel, forged=None):
                lookup = channel.unary_unary(
                    "/csops.case.v1.CaseService/LookupProgress",
                    request_serializer=case_pb2.LookupProgressRequest.SerializeToString,
                    response_deserializer=case_pb2.LookupProgressResponse.FromString)
                metadata = [("x-forwarded-for", forged)] if forged else None
                try:
                    lookup(case_pb2.LookupProgressRequest(acceptance_number=self.number,
                                                          lookup_code="CCCCCCCCCC"),
                           timeout=10, metadata=metadata)
                    return grpc.StatusCode.OK
                except grpc.RpcError as e:
                    return e.code()
            first, second = channels
            # A new forged address per guess: nginx appends the visitor's own, which decides.
            codes = [guess(first, "198.51.100.%d" % i) for i in range(LOOKUP_LIMIT + 2)]
            self.assertEqual(codes[:LOOKUP_LIMIT], [grpc.StatusCode.NOT_FOUND] * LOOKUP_LIMIT)
            self.assertEqual(codes[LOOKUP_LIMIT:], [grpc.StatusCode.RESOURCE_EXHAUSTED] * 2)
            self.assertEqual(guess(second), grpc.StatusCode.NOT_FOUND)
        finally:
            for c in channels:
                c.close()
            for r in relays:
                r.close()

if __name__ == "__main__":
    unittest.main()
