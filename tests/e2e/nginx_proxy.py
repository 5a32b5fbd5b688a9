"""Starts Debian's nginx with the shipped deploy/nginx/csops.conf in front of csopsd replicas.

Only the lines marked "# replica" and "# listen" are rewritten: the upstream servers become the
given replicas' addresses and the listeners free loopback ports. Everything else (grpc_pass,
X-Forwarded-For, time-outs, SSE buffering) is the file an operator installs."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

from csopsd_harness import SOURCE_DIR

NGINX = "/usr/sbin/nginx"
SITE = os.path.join(SOURCE_DIR, "deploy", "nginx", "csops.conf")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_config(grpc_replicas, web_replicas, grpc_port, web_port):
    """deploy/nginx/csops.conf with its marked lines pointed at these addresses."""
    with open(SITE, encoding="utf-8") as f:
        text = f.read()
    blocks = iter([grpc_replicas, web_replicas])

    def upstream(match):
        replicas = next(blocks)
        return "".join("    server %s max_fails=1 fail_timeout=5s;\n" % a for a in replicas)
    text, n = re.subn(r"^    server \S+ [^\n]*# replica\n", upstream, text, flags=re.M)
    assert n == 2, "deploy/nginx/csops.conf: expected two upstream lines marked '# replica'"
    ports = iter([grpc_port, web_port])
    text, n = re.subn(r"listen 127\.0\.0\.1:\d+", lambda m: "listen 127.0.0.1:%d" % next(ports),
                      text)
    assert n == 2, "deploy/nginx/csops.conf: expected two listeners"
    return text


class Nginx:
    """nginx in the foreground with its own prefix directory; `grpc_addr` and `web_url`."""

    def __init__(self, grpc_replicas, web_replicas):
        self.tmp = tempfile.mkdtemp(prefix="csops-nginx-")
        os.chmod(self.tmp, 0o755)  # the worker (user nobody) writes its temp files here
        grpc_port, web_port = free_port(), free_port()
        with open(os.path.join(self.tmp, "csops.conf"), "w", encoding="utf-8") as f:
            f.write(site_config(grpc_replicas, web_replicas, grpc_port, web_port))
        self.access_log = os.path.join(self.tmp, "access.log")
        with open(os.path.join(self.tmp, "nginx.conf"), "w", encoding="utf-8") as f:
            f.write("""daemon off;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log info;
events { worker_connections 1024; }
http {
    access_log %(d)s/access.log;
    client_body_temp_path %(d)s/body;
    proxy_temp_path %(d)s/proxy;
    fastcgi_temp_path %(d)s/fastcgi;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
    include %(d)s/csops.conf;
}
""" % {"d": self.tmp})
        check = subprocess.run([NGINX, "-t", "-p", self.tmp, "-c", "nginx.conf", "-e", "stderr"],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen([NGINX, "-p", self.tmp, "-c", "nginx.conf", "-e", "stderr"],
                                     stderr=open(os.path.join(self.tmp, "stderr"), "w"))
        self.grpc_addr = "127.0.0.1:%d" % grpc_port
        self.web_url = "http://127.0.0.1:%d" % web_port
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", web_port), timeout=1).close()
                socket.create_connection(("127.0.0.1", grpc_port), timeout=1).close()
                return
            except OSError:
                assert self.proc.poll() is None, self.error_log()
                time.sleep(0.05)
        raise AssertionError("nginx did not listen: " + self.error_log())

    def error_log(self):
        path = os.path.join(self.tmp, "error.log")
        return open(path).read() if os.path.exists(path) else ""

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


class SourceRelay:
    """A TCP relay on loopback that connects onwards from `source_ip` (e.g. 127.0.0.2), so a
    client library that cannot choose its source address (grpcio) reaches the proxy as a
    visitor from another address."""

    def __init__(self, target_addr, source_ip):
        host, port = target_addr.rsplit(":", 1)
        self.target = (host, int(port))
        self.source_ip = source_ip
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.addr = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, source_address=(self.source_ip, 0))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.closed = True
        self.listener.close()
