"""docs/METRICS.md lists exactly the metric families csopsd exports, with their types: a family
on /metrics that the document does not list fails, and so does one it lists that is gone."""
import os
import re
import unittest
import urllib.request

from csopsd_harness import SOURCE_DIR, Csopsd


ON_POSTGRES = os.environ.get("CSOPS_E2E_STORE") == "postgres"
# The section only the other store's csopsd exports.
OTHER_STORE = "## SQLite storage" if ON_POSTGRES else "## PostgreSQL storage"


def documented():
    with open(os.path.join(SOURCE_DIR, "docs", "METRICS.md"), encoding="utf-8") as f:
        text = f.read()
    sections = re.split(r"^(?=## )", text, flags=re.M)
    text = "".join(s for s in sections if not s.startswith(OTHER_STORE))
    # Rows "| `name` | type | ..." of the metric tables (recording rules have no type column).
    return {m.group(1): m.group(2)
            for m in re.finditer(r"^\| `([a-z_]+)` \| (counter|gauge|histogram|summary) \|",
                                 text, re.M)}


class MetricsDocTest(unittest.TestCase):
    def test_every_exported_family_is_documented_and_the_reverse(self):
        server = Csopsd().wait_serving()  # --target=all: every service's metrics
        try:
            server.health("")  # one RPC, so the gRPC interceptor's families exist
            exported = {m.group(1): m.group(2) for m in re.finditer(
                r"^# TYPE (\S+) (\S+)$", server.scrape(), re.M)}
        finally:
            server.close()
        doc = documented()
        self.assertGreater(len(exported), 30)
        self.assertEqual(sorted(set(exported) - set(doc)), [], "exported but not documented")
        self.assertEqual(sorted(set(doc) - set(exported)), [], "documented but not exported")
        wrong = {k: (doc[k], exported[k]) for k in doc if doc[k] != exported.get(k, doc[k])}
        self.assertEqual(wrong, {}, "documented type differs")

    def test_the_web_listener_serves_the_same_metrics(self):
        server = Csopsd().wait_serving()
        try:
            server.health("")
            with urllib.request.urlopen(server.web_url + "/metrics", timeout=10) as r:
                self.assertTrue(r.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
                web = set(re.findall(r"^# TYPE (\S+) ", r.read().decode(), re.M))
            exposer = set(re.findall(r"^# TYPE (\S+) ", server.scrape(), re.M))
        finally:
            server.close()
        self.assertGreater(len(web), 30)
        self.assertIn("csops_queue_tickets_issued_total", web)
        self.assertIn("csops_case_open", web)           # a module's own collector
        self.assertIn("csops_notify_queue_depth", web)  # and the other
        # metrics_listen and the web listener serve the same route: the very same families.
        self.assertEqual(exposer, web)

    def test_recording_rules_in_the_document_are_the_ones_shipped(self):
        with open(os.path.join(SOURCE_DIR, "deploy", "prometheus", "csops-rules.yml")) as f:
            shipped = set(re.findall(r"record: (\S+)", f.read()))
        with open(os.path.join(SOURCE_DIR, "docs", "METRICS.md"), encoding="utf-8") as f:
            listed = set(re.findall(r"^\| `(csops:[a-z0-9_:]+)` \|", f.read(), re.M))
        self.assertEqual(shipped, listed)


if __name__ == "__main__":
    unittest.main()
