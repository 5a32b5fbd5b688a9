"""Look-up codes are kept nowhere (issue 15, item 5).

The code handed out by CreateCase must not be in case.db in any form an offline copy could use:
not as text in any table, not in the file's bytes (WAL included), and its verifier must need a
secret kept outside the database (<data dir>/case-lookup.key, 0600). A retried CreateCase still
gets the same code, and look-ups work across a restart. A case.db written by schema 4 (plain
codes in case_create_replies, salted SHA-256 verifiers, codes inside outbox payloads) is
migrated at start-up: no plain code survives and every old code still works."""
import hashlib
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import unittest

import grpc

from csopsd_harness import SOURCE_DIR, CaseClient, Csopsd, case_pb2 as c, run_csopsd

BRANCH = "taipei-south"
KEY_FILE = "case-lookup.key"


def create(client, key, email="ming@example.com"):
    return client.CreateCase(
        type_code="complaint", branch_id=BRANCH,
        applicant=c.Applicant(name="王小明", phone="0912345678", email=email,
                              preferred_channels=[c.NOTICE_CHANNEL_EMAIL]),
        received_via=c.RECEIVED_VIA_COUNTER, summary="停電多次", staff_id="E0042",
        idempotency_key=key)


def db_texts(path):
    """Every text value of every table of the SQLite file at `path` (table, column, value)."""
    out = []
    with sqlite3.connect("file:%s?mode=ro" % path, uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for t in tables:
            cur = db.execute('SELECT * FROM "%s"' % t)
            cols = [d[0] for d in cur.description]
            for row in cur:
                for col, v in zip(cols, row):
                    if isinstance(v, str):
                        out.append((t, col, v))
    return out


def file_bytes(data_dir, prefix):
    blob = b""
    for name in os.listdir(data_dir):
        if name.startswith(prefix):
            with open(os.path.join(data_dir, name), "rb") as f:
                blob += f.read()
    return blob


def forms(code):
    """The code as printed and as typed: ABCDE-FGHJK, ABCDEFGHJK."""
    return [code, code[:5] + "-" + code[5:]]


def damm(digits):
    table = [[0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
             [4, 2, 0, 6, 8, 7, 1, 3, 5, 9], [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
             [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
             [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
             [9, 4, 3, 8, 6, 1, 7, 2, 0, 5], [2, 5, 8, 1, 4, 3, 6, 7, 9, 0]]
    interim = 0
    for ch in digits:
        interim = table[interim][int(ch)]
    return str(interim)


def schema4_sql():
    """Migrations 1-4 of case.db exactly as csopsd shipped them (migrations are append-only, so
    these blocks of sqlite_case_migrations.cc never change)."""
    with open(os.path.join(SOURCE_DIR, "services", "case", "store", "sqlite", "sqlite_case_migrations.cc"),
              encoding="utf-8") as f:
        blocks = re.findall(r'\{(\d+), "[^"]*", R"sql\((.*?)\)sql"', f.read(), re.S)
    steps = {int(v): sql for v, sql in blocks}
    return [steps[v] for v in (1, 2, 3, 4)]


class NoPlainCodeTest(unittest.TestCase):
    def setUp(self):
        self.server = Csopsd().wait_serving()
        self.client = CaseClient(self.server.grpc_addr)

    def tearDown(self):
        self.client.close()
        self.server.close()

    def test_case_db_holds_no_code_and_a_retry_after_a_restart_gets_the_same_one(self):
        created = create(self.client, "secret-1")
        code, number = created.lookup_code, created.case.acceptance_number
        self.assertEqual(len(code), 10)
        self.assertIn("code=" + code, created.lookup_url)
        self.assertEqual(create(self.client, "secret-1").lookup_code, code)
        other = create(self.client, "secret-2", email="other@example.com")
        self.assertNotEqual(other.lookup_code, code)

        db = os.path.join(self.server.data_dir, "case.db")
        for table, col, value in db_texts(db):
            for f in forms(code) + forms(other.lookup_code):
                self.assertNotIn(f, value, "%s.%s holds the look-up code" % (table, col))
        raw = file_bytes(self.server.data_dir, "case.db")
        self.assertGreater(len(raw), 0)
        for f in forms(code) + forms(other.lookup_code):
            self.assertNotIn(f.encode(), raw, "the bytes of case.db hold a look-up code")
        # The verifier needs the key: no salted SHA-256 of the code is stored either.
        with sqlite3.connect("file:%s?mode=ro" % db, uri=True) as conn:
            salt, stored = conn.execute(
                "SELECT lookup_salt, lookup_hash FROM cases WHERE acceptance_number=?",
                (number.replace("-", ""),)).fetchone()
        self.assertNotEqual(stored, hashlib.sha256((salt + code).encode()).hexdigest())
        self.assertTrue(stored.startswith("hmac1:"), stored)

        key = os.path.join(self.server.data_dir, KEY_FILE)
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        with open(key) as f:
            self.assertRegex(f.read(), r"^[0-9a-f]{64}\n$")

        self.assertEqual(self.server.terminate(), 0)
        self.client.close()
        self.server = Csopsd(data_dir=self.server.data_dir).wait_serving()
        self.client = CaseClient(self.server.grpc_addr)
        public = self.client.LookupProgress(acceptance_number=number, lookup_code=code)
        self.assertEqual(public.acceptance_number, number)
        self.assertEqual(create(self.client, "secret-1").lookup_code, code)

    def test_a_key_file_others_may_read_or_that_is_malformed_or_another_is_refused(self):
        create(self.client, "secret-3")
        data = self.server.data_dir
        self.assertEqual(self.server.terminate(), 0)
        key = os.path.join(data, KEY_FILE)
        with open(key) as f:
            good = f.read()

        def start_fails(why):
            out = run_csopsd("--config=" + os.path.join(SOURCE_DIR, "deploy", "csopsd.textproto"),
                             "--listen=127.0.0.1:0", "--metrics-listen=127.0.0.1:0",
                             "--http-listen=127.0.0.1:0", "--data-dir=" + data)
            self.assertEqual(out.returncode, 1, why + ": " + out.stderr)
            self.assertIn(KEY_FILE, out.stderr, why)
            return out.stderr

        os.chmod(key, 0o644)
        self.assertIn("chmod 600", start_fails("readable by others"))
        os.chmod(key, 0o600)
        with open(key, "w") as f:
            f.write("not a key\n")
        start_fails("malformed")
        with open(key, "w") as f:
            f.write("ab" * 32 + "\n")
        self.assertIn("another", start_fails("not the key case.db was written with"))
        with open(key, "w") as f:
            f.write(good)


class Schema4MigrationTest(unittest.TestCase):
    def test_old_plain_codes_and_salted_hashes_are_migrated_and_keep_working(self):
        tmp = tempfile.mkdtemp(prefix="csops-lookup-mig-")
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        db = sqlite3.connect(os.path.join(data, "case.db"))
        for sql in schema4_sql():
            db.executescript(sql)
        db.execute("PRAGMA user_version=4")
        # Two cases accepted at 2026-02-12 10:00 Taipei (02:00 UTC): the first still has its
        # plain code kept for retries, the second's expired (only the salted hash is left).
        cases = []
        for seq, code, key, keep in ((1, "ABCDE23456", "old-1", True),
                                     (2, "FGHJK78923", "old-2", False)):
            digits = "260212%04d" % seq
            number = "TS" + digits + damm(digits)
            salt = "%032x" % (seq * 7919)
            verifier = hashlib.sha256((salt + code).encode()).hexdigest()
            cur = db.execute(
                "INSERT INTO cases(acceptance_number, branch_id, business_day, sequence, "
                "type_code, status, received_via, summary, applicant_name, customer_number, "
                "phone, email, channels, locale, lookup_salt, lookup_hash, accepted_at, "
                "idempotency_key, request_fingerprint) VALUES(?, 'taipei-south', '2026-02-12', "
                "?, 'complaint', 'accepted', 'counter', 's', 'n', '', '', 'a@example.com', "
                "'email', 'zh-TW', ?, ?, 1770861600000, ?, 'fp')",
                (number, seq, salt, verifier, key))
            case_id = cur.lastrowid
            db.execute("INSERT INTO case_history(case_id, at, actor, kind, to_status) "
                       "VALUES(?, 1770861600000, 'staff:E1', 'created', 'accepted')", (case_id,))
            url = "https://csops.example/progress/%s?code=%s" % (number, code)
            db.execute("INSERT INTO case_outbox(case_id, kind, channel, recipient, payload, "
                       "created_at, delivered_at) VALUES(?, 'accepted', 'email', 'a@example.com', "
                       "?, 1770861600000, 1770861601000)",
                       (case_id, '{"acceptance_number":"%s","lookup_url":"%s"}' % (number, url)))
            if keep:
                db.execute("INSERT INTO case_create_replies(case_id, lookup_code, expires_at) "
                           "VALUES(?, ?, 4102444800000)", (case_id, code))
            cases.append((number, code))
        db.commit()
        db.close()

        server = Csopsd(data_dir=data).wait_serving()
        client = CaseClient(server.grpc_addr)
        try:
            for number, code in cases:
                public = client.LookupProgress(acceptance_number=number, lookup_code=code)
                self.assertEqual(public.acceptance_number.replace("-", ""), number)
                with self.assertRaises(grpc.RpcError) as e:
                    client.LookupProgress(acceptance_number=number, lookup_code="CCCCCCCCCC")
                self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
            path = os.path.join(data, "case.db")
            for table, col, value in db_texts(path):
                for number, code in cases:
                    self.assertNotIn(code, value, "%s.%s still holds a code" % (table, col))
            with sqlite3.connect("file:%s?mode=ro" % path, uri=True) as conn:
                stored = [r[0] for r in conn.execute("SELECT lookup_hash FROM cases ORDER BY id")]
                version = conn.execute("PRAGMA user_version").fetchone()[0]
            self.assertGreaterEqual(version, 6)
            self.assertTrue(stored[0].startswith("hmac1:"), stored[0])         # from the code
            self.assertTrue(stored[1].startswith("hmac1-sha256:"), stored[1])  # wrapped
        finally:
            client.close()
            server.close()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
