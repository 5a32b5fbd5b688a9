"""deploy/grafana: the dashboard is valid JSON with queue, cases and notifications rows, every
panel query names only metrics csopsd exports (docs/METRICS.md, checked against /metrics by
metrics_doc_test) and recording rules that ship, and the provisioning files point at it."""
import json
import os
import re
import unittest

from csopsd_harness import SOURCE_DIR

GRAFANA = os.path.join(SOURCE_DIR, "deploy", "grafana")
PROMQL_WORDS = {"sum", "by", "rate", "increase", "histogram_quantile", "le", "without", "avg",
                "max", "min", "count", "label_values", "deriv"}


def known_names():
    with open(os.path.join(SOURCE_DIR, "docs", "METRICS.md"), encoding="utf-8") as f:
        doc = f.read()
    families = dict(re.findall(r"^\| `([a-z_]+)` \| (counter|gauge|histogram|summary) \|", doc,
                               re.M))
    names = set()
    for name, kind in families.items():
        names.add(name)
        if kind == "histogram":
            names.update({name + "_bucket", name + "_count", name + "_sum"})
    with open(os.path.join(SOURCE_DIR, "deploy", "prometheus", "csops-rules.yml")) as f:
        names.update(re.findall(r"record: (\S+)", f.read()))
    return names


def metric_names(expr):
    """Identifiers in a PromQL expression that are metric or rule names."""
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    without_labels = re.sub(r"\{[^}]*\}", "", without_strings)
    without_by = re.sub(r"\b(by|without)\s*\([^)]*\)", "", without_labels)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_by)
    words = re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_ranges)
    return [w for w in words if w not in PROMQL_WORDS and not re.fullmatch(r"[0-9.e]+", w)]


class GrafanaDashboardTest(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(GRAFANA, "csops-dashboard.json"), encoding="utf-8") as f:
            self.dash = json.load(f)

    def test_rows_panels_and_queries_name_only_what_exists(self):
        rows = [p["title"] for p in self.dash["panels"] if p["type"] == "row"]
        self.assertEqual([r.split(" /")[0] for r in rows], ["Queue", "Cases", "Notifications"])
        known = known_names()
        exprs = []
        ids = set()
        for p in self.dash["panels"]:
            self.assertNotIn(p["id"], ids)
            ids.add(p["id"])
            if p["type"] == "row":
                continue
            self.assertTrue(p.get("targets"), p["title"])
            for t in p["targets"]:
                exprs.append(t["expr"])
                for name in metric_names(t["expr"]):
                    self.assertIn(name, known, "%r in panel %r" % (name, p["title"]))
        self.assertGreaterEqual(len(exprs), 20)
        variable = self.dash["templating"]["list"][1]["query"]
        self.assertIn(re.fullmatch(r"label_values\((\w+), branch\)", variable).group(1), known)
        # The checker itself can fail.
        self.assertEqual(metric_names('sum by (x) (rate(csops_nonexistent_total{a="b"}[5m]))'),
                         ["csops_nonexistent_total"])

    def test_provisioning_points_at_the_dashboard_and_prometheus(self):
        with open(os.path.join(GRAFANA, "provisioning", "dashboards", "csops.yml")) as f:
            text = f.read()
        self.assertIn("type: file", text)
        self.assertRegex(text, r"path: /\S+")
        with open(os.path.join(GRAFANA, "provisioning", "datasources", "prometheus.yml")) as f:
            self.assertIn("type: prometheus", f.read())
        self.assertEqual(self.dash["uid"], "csops-timeliness")


if __name__ == "__main__":
    unittest.main()
