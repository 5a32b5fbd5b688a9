"""Starts real csopsd processes for end-to-end tests and talks to them as an outside client.

Clients are python3-grpcio with messages generated at test time by protoc from Debian's
grpc-proto package, so nothing here shares code with the C++ server.
"""
import importlib.util
import os
import re
import shutil
import signal
import sys
import subprocess
import tempfile
import time
import urllib.request

import grpc

import pg_cluster  # noqa: E402  pylint: disable=C0413

SOURCE_DIR = os.environ.get("CSOPS_SOURCE_DIR", os.getcwd())
CSOPSD = os.environ["CSOPSD"]
CSOPSCTL = os.environ["CSOPSCTL"]
EXAMPLE_CONFIG = os.path.join(SOURCE_DIR, "deploy", "csopsd.textproto")

_GEN_DIR = tempfile.mkdtemp(prefix="csops-e2e-proto-")
subprocess.run(
    ["protoc", "-I/usr/share/grpc-proto", "--python_out=" + _GEN_DIR,
     "grpc/health/v1/health.proto", "grpc/reflection/v1alpha/reflection.proto"],
    check=True)


def _load_generated(name, relpath):
    # Loaded by path: the generated package "grpc.health.v1" would collide with grpcio's "grpc".
    spec = importlib.util.spec_from_file_location(name, os.path.join(_GEN_DIR, relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


subprocess.run(
    ["protoc", "-I" + os.path.join(SOURCE_DIR, "proto"), "--python_out=" + _GEN_DIR,
     "csops/queue/v1/queue_service.proto", "csops/admin/v1/admin_service.proto",
     "csops/case/v1/case_service.proto", "csops/notify/v1/notify_service.proto"],
    check=True)
sys.path.insert(0, _GEN_DIR)
from csops.queue.v1 import queue_service_pb2 as queue_pb2  # noqa: E402  pylint: disable=C0413
from csops.case.v1 import case_service_pb2 as case_pb2  # noqa: E402  pylint: disable=C0413
from csops.notify.v1 import notify_service_pb2 as notify_pb2  # noqa: E402  pylint: disable=C0413

health_pb2 = _load_generated("health_pb2", "grpc/health/v1/health_pb2.py")
reflection_pb2 = _load_generated("reflection_pb2", "grpc/reflection/v1alpha/reflection_pb2.py")

SERVING = health_pb2.HealthCheckResponse.SERVING


class _BearerKey(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                 grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds "authorization: Bearer <key>" to every call of a channel."""

    def __init__(self, key):
        self.key = key

    def _with_key(self, details):
        metadata = list(details.metadata or []) + [("authorization", "Bearer " + self.key)]
        return details._replace(metadata=metadata)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_key(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_key(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._with_key(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._with_key(details), requests)


def open_channel(addr, key=None, tls=None):
    """A channel to csopsd at `addr`: plain, or TLS when `tls` is a dict with "ca" (PEM bytes)
    and optionally "cert"/"key" (client certificate for mutual TLS); with `key`, every call
    carries that API key."""
    if tls:
        creds = grpc.ssl_channel_credentials(root_certificates=tls["ca"],
                                             private_key=tls.get("key"),
                                             certificate_chain=tls.get("cert"))
        channel = grpc.secure_channel(addr, creds)
    else:
        channel = grpc.insecure_channel(addr)
    return grpc.intercept_channel(channel, _BearerKey(key)) if key else channel
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
CSOPS_SERVICES = {
    "queue": "csops.queue.v1.QueueService",
    "case": "csops.case.v1.CaseService",
    "notify": "csops.notify.v1.NotifyService",
}


class Csopsd:
    """One csopsd process on free ports with its own data directory."""

    def __init__(self, *extra_args, config=EXAMPLE_CONFIG, data_dir=None, sqlite=False):
        """`sqlite`: on SQLite files even in the PostgreSQL lane."""
        self.tmp = tempfile.mkdtemp(prefix="csops-e2e-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.stdout_path = os.path.join(self.tmp, "stdout")
        self.stderr_path = os.path.join(self.tmp, "stderr")
        args = [CSOPSD, "--config=" + config, "--listen=127.0.0.1:0",
                "--metrics-listen=127.0.0.1:0", "--http-listen=127.0.0.1:0",
                "--data-dir=" + self.data_dir, *extra_args]
        # The PostgreSQL lane: the same test against csopsd on an empty database of its own
        # (a restart with the same data_dir keeps its database, like its SQLite files).
        self.pg_database = None
        if (pg_cluster.wanted() and not sqlite
                and not any(a.startswith("--postgres-dsn-file") for a in args)):
            args.append("--postgres-dsn-file=" + self._dsn_file())
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(args, stdout=out, stderr=err)
        self.grpc_addr = None
        self.metrics_url = None
        self.web_url = None

    def _dsn_file(self):
        os.makedirs(self.data_dir, exist_ok=True)
        path = os.path.join(self.data_dir, "postgres.dsn")
        cluster = pg_cluster.shared()
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write(cluster.dsn(cluster.new_database()) + "\n")
        with open(path) as f:
            self.pg_database = f.read().split("dbname=")[1].split()[0]
        return path

    def query(self, service, sql):
        """Rows of `sql` (a plain SELECT) in the database of `service` ("queue", "case",
        "notify"): its SQLite file in data_dir, or its schema on the PostgreSQL lane. Values
        come back as text on PostgreSQL, so compare counts with int()."""
        if self.pg_database:
            out = pg_cluster.shared().psql(
                self.pg_database, "SET search_path = csops_%s; %s" % (service, sql))
            return [tuple(line.split("|")) for line in out.splitlines() if line and line != "SET"]
        import sqlite3  # pylint: disable=C0415
        con = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.data_dir, service + ".db"),
                              uri=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def wait_serving(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.stdout()
            g = re.search(r"gRPC API : (\S+)", out)
            m = re.search(r"metrics  : (\S+)", out)
            w = re.search(r"web      : (\S+)", out)
            if g and m and w:
                self.grpc_addr, self.metrics_url = g.group(1), m.group(1)
                self.web_url = w.group(1).rstrip("/")
                return self
            if self.proc.poll() is not None:
                raise AssertionError("csopsd exited %s: %s" % (self.proc.returncode, self.stderr()))
            time.sleep(0.05)
        raise AssertionError("csopsd did not start: " + self.stderr())

    def stdout(self):
        with open(self.stdout_path) as f:
            return f.read()

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def channel(self):
        return grpc.insecure_channel(self.grpc_addr)

    def health(self, service):
        with self.channel() as ch:
            check = ch.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                response_deserializer=health_pb2.HealthCheckResponse.FromString)
            return check(health_pb2.HealthCheckRequest(service=service), timeout=5).status

    def reflected_services(self):
        with self.channel() as ch:
            info = ch.stream_stream(
                "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
            responses = info(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                             timeout=5)
            names = []
            for r in responses:
                names += [s.name for s in r.list_services_response.service]
            return names

    def scrape(self):
        with urllib.request.urlopen(self.metrics_url, timeout=5) as resp:
            return resp.read().decode()

    def ctl(self, *args):
        return subprocess.run([CSOPSCTL, "--addr=" + self.grpc_addr, "--timeout=5", *args],
                              capture_output=True, text=True, timeout=30)

    def terminate(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def descriptor_names(addr, service):
    """The method names of `service` as the server at `addr` describes it by reflection; for
    gRPC's own health service (which the server lists but cannot describe), grpc-proto's."""
    from google.protobuf import descriptor_pb2  # pylint: disable=C0415
    with grpc.insecure_channel(addr) as ch:
        info = ch.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        request = reflection_pb2.ServerReflectionRequest(file_containing_symbol=service)
        for r in info(iter([request]), timeout=5):
            for raw in r.file_descriptor_response.file_descriptor_proto:
                fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
                for s in fd.service:
                    if fd.package + "." + s.name == service:
                        return [m.name for m in s.method]
    for module in (health_pb2, reflection_pb2):
        for s in module.DESCRIPTOR.services_by_name.values():
            if s.full_name == service:
                return [m.name for m in s.methods]
    raise AssertionError("cannot describe " + service)


def run_csopsd(*args, timeout=30):
    """Runs csopsd to completion (for start-up failures) and returns the CompletedProcess."""
    return subprocess.run([CSOPSD, *args], capture_output=True, text=True, timeout=timeout)


class QueueClient:
    """csops.queue.v1.QueueService over python3-grpcio, built from the .proto alone."""

    SERVICE = "/csops.queue.v1.QueueService/"
    RPCS = {
        "IssueTicket": ("IssueTicketRequest", "IssueTicketResponse"),
        "CallNext": ("CallNextRequest", "CallNextResponse"),
        "Recall": ("RecallRequest", "RecallResponse"),
        "StartServing": ("StartServingRequest", "StartServingResponse"),
        "Complete": ("CompleteRequest", "CompleteResponse"),
        "MarkNoShow": ("MarkNoShowRequest", "MarkNoShowResponse"),
        "Cancel": ("CancelRequest", "CancelResponse"),
        "Requeue": ("RequeueRequest", "RequeueResponse"),
        "Transfer": ("TransferRequest", "TransferResponse"),
        "OpenCounter": ("OpenCounterRequest", "OpenCounterResponse"),
        "PauseCounter": ("PauseCounterRequest", "PauseCounterResponse"),
        "CloseCounter": ("CloseCounterRequest", "CloseCounterResponse"),
        "GetTicket": ("GetTicketRequest", "GetTicketResponse"),
        "GetBranchSnapshot": ("GetBranchSnapshotRequest", "GetBranchSnapshotResponse"),
        "ListNearTurnNotices": ("ListNearTurnNoticesRequest", "ListNearTurnNoticesResponse"),
    }

    def __init__(self, addr, key=None, tls=None):
        self.channel = open_channel(addr, key, tls)
        for name, (req, resp) in self.RPCS.items():
            req_cls = getattr(queue_pb2, req)
            stub = self.channel.unary_unary(
                self.SERVICE + name, request_serializer=req_cls.SerializeToString,
                response_deserializer=getattr(queue_pb2, resp).FromString)
            setattr(self, name, self._caller(stub, req_cls))
        self._watch = self.channel.unary_stream(
            self.SERVICE + "WatchBoard",
            request_serializer=queue_pb2.WatchBoardRequest.SerializeToString,
            response_deserializer=queue_pb2.BoardEvent.FromString)

    @staticmethod
    def _caller(stub, req_cls):
        def call(timeout=10, **fields):
            return stub(req_cls(**fields), timeout=timeout)
        return call

    def WatchBoard(self, branch_id, timeout=60):
        return self._watch(queue_pb2.WatchBoardRequest(branch_id=branch_id), timeout=timeout)

    def close(self):
        self.channel.close()


class CaseClient:
    """csops.case.v1.CaseService over python3-grpcio."""

    def __init__(self, addr, key=None, tls=None):
        self.channel = open_channel(addr, key, tls)
        for name in ("CreateCase", "GetCase", "Transition", "AddNote", "DeclareDelay",
                     "LookupProgress", "Assign", "ListCases", "GetSlaReport"):
            req = getattr(case_pb2, name + "Request")
            stub = self.channel.unary_unary(
                "/csops.case.v1.CaseService/" + name, request_serializer=req.SerializeToString,
                response_deserializer=getattr(case_pb2, name + "Response").FromString)
            setattr(self, name, QueueClient._caller(stub, req))
        self._watch = self.channel.unary_stream(
            "/csops.case.v1.CaseService/WatchSlaEvents",
            request_serializer=case_pb2.WatchSlaEventsRequest.SerializeToString,
            response_deserializer=case_pb2.SlaEventNotice.FromString)

    def WatchSlaEvents(self, timeout=30, **fields):
        return self._watch(case_pb2.WatchSlaEventsRequest(**fields), timeout=timeout)

    def close(self):
        self.channel.close()


class NotifyClient:
    """csops.notify.v1.NotifyService over python3-grpcio."""

    RPCS = {
        "Send": ("SendRequest", "SendResponse"),
        "GetNotification": ("GetNotificationRequest", "Notification"),
        "ListNotifications": ("ListNotificationsRequest", "ListNotificationsResponse"),
        "ReportDelivery": ("ReportDeliveryRequest", "ReportDeliveryResponse"),
        "SetPreferences": ("SetPreferencesRequest", "Preferences"),
        "GetPreferences": ("GetPreferencesRequest", "Preferences"),
    }

    def __init__(self, addr, key=None, tls=None):
        self.channel = open_channel(addr, key, tls)
        for name, (req, resp) in self.RPCS.items():
            req_cls = getattr(notify_pb2, req)
            stub = self.channel.unary_unary(
                "/csops.notify.v1.NotifyService/" + name,
                request_serializer=req_cls.SerializeToString,
                response_deserializer=getattr(notify_pb2, resp).FromString)
            setattr(self, name, QueueClient._caller(stub, req_cls))
        self._batch = self.channel.stream_unary(
            "/csops.notify.v1.NotifyService/SendBatch",
            request_serializer=notify_pb2.SendRequest.SerializeToString,
            response_deserializer=notify_pb2.SendBatchSummary.FromString)

    def SendBatch(self, requests, timeout=120):
        return self._batch(iter(requests), timeout=timeout)

    def wait_status(self, notification_id, done=("sent", "delivered", "failed", "cancelled"),
                    timeout=20):
        """Polls GetNotification until its status is one of `done`; returns the Notification."""
        deadline = time.monotonic() + timeout
        while True:
            n = self.GetNotification(id=notification_id)
            if n.status in done or time.monotonic() > deadline:
                return n
            time.sleep(0.05)

    def close(self):
        self.channel.close()


class PrometheusServer:
    """A real Prometheus (Debian's `prometheus`) on a free loopback port with a temporary data
    directory, scraping `target` ("host:port") every second, with optional rule files."""

    def __init__(self, tmp, target, rule_files=()):
        import socket
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.addr = "127.0.0.1:%d" % sock.getsockname()[1]
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "rule_files: [%s]\n"
                    "scrape_configs:\n  - job_name: csopsd\n"
                    "    static_configs:\n      - targets: ['%s']\n"
                    % (", ".join("'%s'" % r for r in rule_files), target))
        self.proc = subprocess.Popen(
            ["prometheus", "--config.file=" + config, "--storage.tsdb.path=" + tmp + "/tsdb",
             "--web.listen-address=" + self.addr],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def query(self, expr):
        """The instant vector of `expr` now ([] while Prometheus is not up yet)."""
        import json
        import urllib.parse
        url = "http://%s/api/v1/query?query=%s" % (self.addr, urllib.parse.quote(expr))
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return json.load(resp)["data"]["result"]
        except OSError:
            return []

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
