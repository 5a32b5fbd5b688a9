"""Only csopsd's own pages may name the client of a look-up (issue 15, item 4).

LookupProgress limits failed guesses per client. csopsd's pages call it on behalf of browsers
and pass the browser's address in x-csops-client-ip metadata. A gRPC caller on this machine
(what every public caller is behind a reverse proxy on the same host) must not be able to do
the same: naming a new address per guess must not escape the limit, with access control off and
on. Ignored headers are counted in csops_case_lookup_client_ip_ignored_total. The pages (in
process, with this process's own key) still get a limit per browser, and another SERVICE key
may still speak for its clients."""
import base64
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

import grpc

from csopsd_harness import CSOPSCTL, SOURCE_DIR, CaseClient, Csopsd, case_pb2 as c

BRANCH = "taipei-south"
LIMIT = 10  # CaseService::kMaxLookupFailures


def keygen(name, role):
    out = subprocess.run([CSOPSCTL, "keygen", "--name=" + name, "--role=" + role],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    return out[0], out[2]


def guess(client, number, address, key=None):
    """One wrong look-up naming `address`; its status code."""
    metadata = [("x-csops-client-ip", address)]
    if key:
        metadata.append(("authorization", "Bearer " + key))
    try:
        client.LookupProgress(acceptance_number=number, lookup_code="CCCCCCCCCC",
                              timeout=5, metadata=metadata)
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()


def call(stub_method):
    def run(timeout=10, metadata=None, **fields):
        return stub_method(c.LookupProgressRequest(**fields), timeout=timeout, metadata=metadata)
    return run


def web_status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def ignored_count(server):
    m = re.search(r"^csops_case_lookup_client_ip_ignored_total (\S+)$", server.scrape(), re.M)
    return float(m.group(1)) if m else None


class Checks:
    """The same checks with access control off and on; `self.server` and `self.key` (a staff
    key when access control is on, else None) come from the subclass."""

    def lookup_client(self):
        channel = grpc.insecure_channel(self.server.grpc_addr)
        stub = channel.unary_unary("/csops.case.v1.CaseService/LookupProgress",
                                   request_serializer=c.LookupProgressRequest.SerializeToString,
                                   response_deserializer=c.LookupProgressResponse.FromString)

        class Client:
            LookupProgress = staticmethod(call(stub))

            @staticmethod
            def close():
                channel.close()
        return Client

    def number(self):
        channel = grpc.insecure_channel(self.server.grpc_addr)
        create = channel.unary_unary("/csops.case.v1.CaseService/CreateCase",
                                     request_serializer=c.CreateCaseRequest.SerializeToString,
                                     response_deserializer=c.CreateCaseResponse.FromString)
        metadata = [("authorization", "Bearer " + self.key)] if self.key else None
        created = create(c.CreateCaseRequest(
            type_code="complaint", branch_id=BRANCH, applicant=c.Applicant(name="王"),
            received_via=c.RECEIVED_VIA_COUNTER, summary="s", staff_id="E1",
            idempotency_key="client-ip-" + self.__class__.__name__ + str(id(self))),
            timeout=10, metadata=metadata)
        channel.close()
        return created.case.acceptance_number

    def test_a_loopback_caller_naming_new_addresses_is_limited(self):
        number = self.number()
        client = self.lookup_client()
        before = ignored_count(self.server)
        codes = [guess(client, number, "198.51.100.%d" % i, self.key) for i in range(LIMIT + 5)]
        client.close()
        self.assertEqual(codes[:LIMIT], [grpc.StatusCode.NOT_FOUND] * LIMIT)
        self.assertEqual(codes[LIMIT:], [grpc.StatusCode.RESOURCE_EXHAUSTED] * 5, codes)
        self.assertIsNotNone(before, "csops_case_lookup_client_ip_ignored_total is not exported")
        self.assertEqual(ignored_count(self.server) - before, LIMIT + 5)

    def test_the_pages_still_limit_each_browser(self):
        number = self.number()
        url = "%s/api/v1/progress/%s?code=WRONGCODE" % (self.server.web_url, number)
        statuses = [web_status(url) for _ in range(LIMIT + 2)]
        self.assertEqual(statuses[:LIMIT], [404] * LIMIT)
        self.assertEqual(statuses[LIMIT:], [429, 429])


class AccessControlOffTest(Checks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Csopsd().wait_serving()
        cls.key = None

    @classmethod
    def tearDownClass(cls):
        cls.server.close()


class AccessControlOnTest(Checks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="csops-client-ip-")
        for sub in ("calendars", "templates"):
            os.symlink(os.path.join(SOURCE_DIR, "deploy", sub), os.path.join(cls.tmp, sub))
        cls.key, staff = keygen("E0042", "staff")
        cls.service_key, service = keygen("proxy-1", "service")
        metrics_key, metrics = keygen("prometheus", "metrics")
        with open(os.path.join(SOURCE_DIR, "deploy", "csopsd.textproto"), encoding="utf-8") as f:
            text = f.read()
        config = os.path.join(cls.tmp, "csopsd.textproto")
        with open(config, "w", encoding="utf-8") as f:
            f.write(text + "\nauth {\n  %s\n  %s\n  %s\n}\n" % (staff, service, metrics))
        cls.server = Csopsd(config=config).wait_serving()
        scrape_url = cls.server.metrics_url

        def scrape():
            req = urllib.request.Request(scrape_url)
            req.add_header("Authorization",
                           "Basic " + base64.b64encode(b"p:" + metrics_key.encode()).decode())
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.read().decode()
        cls.server.scrape = scrape

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_a_service_key_may_speak_for_its_clients(self):
        number = self.number()
        client = self.lookup_client()
        before = ignored_count(self.server)
        # Each named client has its own budget: 2 x LIMIT guesses for two addresses pass ...
        codes = [guess(client, number, "203.0.113.%d" % (i % 2), self.service_key)
                 for i in range(2 * LIMIT)]
        self.assertEqual(codes, [grpc.StatusCode.NOT_FOUND] * (2 * LIMIT))
        # ... and the next guess for either is refused.
        self.assertEqual(guess(client, number, "203.0.113.0", self.service_key),
                         grpc.StatusCode.RESOURCE_EXHAUSTED)
        client.close()
        self.assertEqual(ignored_count(self.server), before)


if __name__ == "__main__":
    unittest.main()
