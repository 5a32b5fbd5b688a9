"""A throwaway PostgreSQL server for the end-to-end tests, like common/postgres/test_cluster.h.

initdb into a temporary directory (as the postgres user when running as root: initdb refuses
root), pg_ctl start on a Unix socket in that directory with no TCP listener and trust
authentication; stopped and removed at exit. new_database() gives each csopsd its own empty
database, so a test module's processes never see each other's data.
"""
import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import threading

_lock = threading.Lock()
_cluster = None


def _bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise AssertionError("no /usr/lib/postgresql/*/bin/initdb: install the postgresql package")
    return os.path.dirname(found[-1])


class Cluster:
    def __init__(self):
        self.bin = _bin()
        self.dir = tempfile.mkdtemp(prefix="csops-e2e-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.next_db = 0
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
        self._run(["initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                   "--no-locale", "--no-sync"])
        self.start()

    def _run(self, argv):
        cmd = [os.path.join(self.bin, argv[0])] + argv[1:]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            log = open(self.log).read() if os.path.exists(self.log) else ""
            raise AssertionError("%s failed: %s%s\n%s" % (argv[0], done.stdout, done.stderr, log))
        return done.stdout

    def start(self):
        self._run(["pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                   "-k %s -c listen_addresses='' -c max_connections=300 -c shared_buffers=64MB"
                   % self.dir, "start"])

    def stop(self):
        """pg_ctl stop -m immediate: a crash, as far as the server's data is concerned."""
        self._run(["pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])

    def dsn(self, db):
        return "host=%s user=postgres dbname=%s" % (self.dir, db)

    def psql(self, db, sql):
        return self._run(["psql", "-h", self.dir, "-U", "postgres", "-d", db, "-At", "-v",
                          "ON_ERROR_STOP=1", "-c", sql])

    def new_database(self):
        with _lock:
            self.next_db += 1
            name = "e%d" % self.next_db
        self.psql("postgres", "CREATE DATABASE " + name)
        return name

    def close(self):
        try:
            self._run(["pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])
        except AssertionError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def shared():
    """The process's cluster, started on first use."""
    global _cluster  # pylint: disable=W0603
    with _lock:
        if _cluster is None:
            _cluster = Cluster()
            atexit.register(_cluster.close)
        return _cluster


def wanted():
    """True when this run puts csopsd on PostgreSQL (ctest label postgres sets it)."""
    return os.environ.get("CSOPS_E2E_STORE") == "postgres"
