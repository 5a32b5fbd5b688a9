"""The shipped deployment files for several replicas (issue 18) say what csopsd accepts.

deploy/systemd/csopsd@.service and csopsd.target pass systemd-analyze verify, and the command
line the template runs is one csopsd accepts (--check-config with the unit's own flags).
deploy/kubernetes/csops.yaml: the config in its ConfigMap passes csopsd --check-config, and the
Deployment's probes, ports and mounts agree with that config. (nginx's file is exercised for
real by trusted_proxy_test.py.)"""
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest

import yaml

from csopsd_harness import CSOPSD, SOURCE_DIR

DEPLOY = os.path.join(SOURCE_DIR, "deploy")


def check_config(args):
    return subprocess.run([CSOPSD, "--check-config", *args], capture_output=True, text=True,
                          timeout=60)


class DeployFilesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="csops-deploy-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.etc = os.path.join(self.tmp, "etc")  # stands for /etc/csops
        shutil.copytree(DEPLOY, self.etc, symlinks=True)
        with open(os.path.join(self.etc, "postgres.dsn"), "w") as f:
            f.write("host=127.0.0.1 dbname=csops user=csops\n")

    def test_the_systemd_template_verifies_and_runs_a_command_csopsd_accepts(self):
        units = os.path.join(self.tmp, "units")
        os.makedirs(units)
        with open(os.path.join(DEPLOY, "systemd", "csopsd@.service")) as f:
            unit = f.read()
        with open(os.path.join(units, "csopsd@.service"), "w") as f:
            f.write(unit.replace("/usr/local/bin/csopsd", CSOPSD))
        shutil.copy(os.path.join(DEPLOY, "systemd", "csopsd.target"), units)
        verify = subprocess.run(["systemd-analyze", "verify", "csopsd@1.service",
                                 "csopsd.target"], cwd=units, capture_output=True, text=True,
                                timeout=60)
        # A unit warning is a failure too; "csops" not being a user here is the machine's matter.
        problems = [l for l in verify.stderr.splitlines() if "csops" in l and "user" not in l]
        self.assertEqual((verify.returncode, problems), (0, []), verify.stderr)
        # Every replica gets the one shared look-up secret, as csopsd wants it (0600, csops).
        pre = re.search(r"^ExecStartPre=\+((?:.*\\\n)*.*)$", unit, re.M).group(1)
        self.assertEqual(shlex.split(pre.replace("\\\n", " ")),
                         ["/usr/bin/install", "-m", "0600", "-o", "csops", "-g", "csops",
                          "/etc/csops/case-lookup.key", "/var/lib/csops/%i/case-lookup.key"])
        # The ExecStart line, instance 2, with its environment file's addresses.
        exec_start = re.search(r"^ExecStart=((?:.*\\\n)*.*)$", unit, re.M).group(1)
        env = {"CSOPS_GRPC_LISTEN": "127.0.0.1:50062", "CSOPS_HTTP_LISTEN": "127.0.0.1:8082",
               "CSOPS_METRICS_LISTEN": "127.0.0.1:9472"}
        line = exec_start.replace("\\\n", " ").replace("%i", "2")
        for name, value in env.items():
            line = line.replace("${%s}" % name, value)
        self.assertNotIn("${", line)
        argv = shlex.split(line.replace("/etc/csops", self.etc)
                           .replace("/var/lib/csops", os.path.join(self.tmp, "var")))
        self.assertEqual(argv[0], "/usr/local/bin/csopsd")
        done = check_config(argv[1:])
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

    def test_the_kubernetes_manifests_agree_with_the_config_they_carry(self):
        with open(os.path.join(DEPLOY, "kubernetes", "csops.yaml")) as f:
            docs = {d["kind"]: d for d in yaml.safe_load_all(f) if d}
        self.assertEqual(sorted(docs), ["ConfigMap", "Deployment", "PodDisruptionBudget",
                                        "Secret", "Service"])
        config = docs["ConfigMap"]["data"]["csopsd.textproto"]
        deployment = docs["Deployment"]["spec"]
        pod = deployment["template"]["spec"]
        container = pod["containers"][0]
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        # Three replicas; the budget keeps a majority through a node drain.
        self.assertEqual(deployment["replicas"], 3)
        self.assertEqual(docs["PodDisruptionBudget"]["spec"]["minAvailable"], 2)
        # Ports: what the config listens on is what the probes and the Service use.
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for key, name in (("listen", "grpc"), ("http_listen", "http"),
                          ("metrics_listen", "metrics")):
            m = re.search(r'^\s*%s: "0\.0\.0\.0:(\d+)"' % key, config, re.M)
            self.assertIsNotNone(m, key)
            self.assertEqual(int(m.group(1)), ports[name], key)
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            self.assertEqual(container[probe]["grpc"]["port"], ports["grpc"], probe)
        self.assertEqual(container["readinessProbe"]["grpc"]["service"],
                         "csops.queue.v1.QueueService")
        for p in docs["Service"]["spec"]["ports"]:
            self.assertIn(p["targetPort"], ports)
        # The config file and the DSN are where the container's flags and the config look.
        args = container["args"]
        self.assertIn("--config=%s/csopsd.textproto" % mounts["config"], args)
        dsn_file = re.search(r'dsn_file: "([^"]+)"', config).group(1)
        self.assertEqual(os.path.dirname(dsn_file), mounts["secret"])
        self.assertIn("postgres.dsn", docs["Secret"]["stringData"])
        self.assertEqual(os.path.basename(dsn_file), "postgres.dsn")
        # Every pod starts with the one shared look-up secret in its data directory, 0600.
        self.assertIn("case-lookup.key", docs["Secret"]["stringData"])
        init = pod["initContainers"][0]
        init_mounts = {m["name"]: m["mountPath"] for m in init["volumeMounts"]}
        self.assertEqual(init_mounts, {"secret": mounts["secret"], "data": mounts["data"]})
        self.assertEqual(init["command"][-1],
                         "install -m 0600 %s/case-lookup.key %s/case-lookup.key"
                         % (mounts["secret"], mounts["data"]))
        self.assertIn('data_dir: "%s"' % mounts["data"], config)
        self.assertGreater(pod["terminationGracePeriodSeconds"],
                           int(re.search(r"shutdown_grace_seconds: (\d+)", config).group(1)))
        # And csopsd accepts the config once the office is pasted where it says (the example's
        # blocks other than server and storage, paths under /etc/csops, which is deploy/ here).
        self.assertIn("# --- the office:", config)
        with open(os.path.join(DEPLOY, "csopsd.textproto"), encoding="utf-8") as f:
            office = re.sub(r"^(server|storage) \{\n.*?^\}\n", "", f.read(), flags=re.M | re.S)
        office = re.sub(r'(file|templates_dir): "(?!/)', r'\1: "/etc/csops/', office)
        path = os.path.join(self.tmp, "k8s.textproto")
        with open(path, "w", encoding="utf-8") as f:
            f.write((config + office).replace(mounts["secret"], self.etc)
                    .replace("/etc/csops/", self.etc + "/")
                    .replace('"/var/lib/csops"', '"%s"' % os.path.join(self.tmp, "var")))
        done = check_config(["--config=" + path, "--target=all"])
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)


if __name__ == "__main__":
    unittest.main()
