#!/usr/bin/python3
"""`archsim run`: the result files and their keys, determinism, accounting invariants,
and the CLI's exit statuses."""
import csv
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, archsim  # noqa: E402

STEP1 = os.path.join(ROOT, "scenarios", "step01-single-node.json")
SUMMARY_KEYS = ["scenario", "seed", "latency_ms", "throughput_rps", "requests", "errors_by_cause", "availability",
                "downtime_s", "utilization", "operations", "services", "hops", "bottleneck"]


def run(*args):
    out = tempfile.mkdtemp(prefix="archsim-run-")
    result = archsim("run", *args, "--out", out)
    return result, out


def read(out, name):
    with open(os.path.join(out, name), "rb") as f:
        return f.read()


class RunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.result, cls.out = run(STEP1, "--duration-s", "40", "--set", "warmup_s=10")
        with open(os.path.join(cls.out, "summary.json")) as f:
            cls.summary = json.load(f)

    def test_run_succeeds_and_prints_a_table(self):
        self.assertEqual(0, self.result.returncode, self.result.stderr)
        self.assertIn("throughput", self.result.stdout)
        self.assertIn("latency ms", self.result.stdout)

    def test_summary_has_the_documented_keys(self):
        for key in SUMMARY_KEYS:
            self.assertIn(key, self.summary)
        for key in ("mean", "p50", "p90", "p99", "p999", "max"):
            self.assertIn(key, self.summary["latency_ms"])
        for key in ("sent", "ok", "failed", "in_flight"):
            self.assertIn(key, self.summary["requests"])
        for cause in ("timeout", "rejected", "failed"):
            self.assertIn(cause, self.summary["errors_by_cause"])
        self.assertEqual("step01-single-node", self.summary["scenario"])
        self.assertEqual(1, self.summary["seed"])
        self.assertEqual(30.0, self.summary["measured_s"])
        self.assertGreater(self.summary["requests"]["sent"], 10000)
        self.assertIn("node1", self.summary["utilization"])
        self.assertIn("web->db.select_item", self.summary["hops"])

    def test_invariants_hold(self):
        r = self.summary["requests"]
        self.assertEqual(r["sent"], r["ok"] + r["failed"] + r["in_flight"])
        for name, op in self.summary["operations"].items():
            self.assertEqual(op["sent"], op["ok"] + op["failed"] + op["in_flight"], name)
        self.assertEqual(r["sent"], sum(op["sent"] for op in self.summary["operations"].values()))
        lat = self.summary["latency_ms"]
        self.assertTrue(lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"])

    def test_timeseries_csv(self):
        with open(os.path.join(self.out, "timeseries.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(40, len(rows))
        for column in ("t_s", "sent", "ok", "errors", "timeout", "rejected", "throughput_rps", "p99_ms", "down",
                       "util:node1.cpu", "util:node1.disk"):
            self.assertIn(column, rows[0])
        self.assertGreater(float(rows[20]["throughput_rps"]), 300)
        self.assertGreater(float(rows[20]["util:node1.cpu"]), 0.3)

    def test_latency_histogram_csv(self):
        with open(os.path.join(self.out, "latency_histogram.csv")) as f:
            rows = list(csv.DictReader(f))
        series = {r["series"] for r in rows}
        self.assertEqual({"all", "view_item", "search", "checkout"}, series)
        all_rows = [r for r in rows if r["series"] == "all"]
        self.assertEqual(self.summary["requests"]["ok"], sum(int(r["count"]) for r in all_rows))
        self.assertAlmostEqual(1.0, float(all_rows[-1]["cumulative_fraction"]))

    def test_same_seed_gives_identical_summary(self):
        again, out = run(STEP1, "--duration-s", "40", "--set", "warmup_s=10")
        self.assertEqual(0, again.returncode)
        self.assertEqual(read(self.out, "summary.json"), read(out, "summary.json"))
        self.assertEqual(read(self.out, "timeseries.csv"), read(out, "timeseries.csv"))
        other, out2 = run(STEP1, "--duration-s", "40", "--set", "warmup_s=10", "--seed", "2")
        self.assertEqual(0, other.returncode)
        self.assertNotEqual(read(self.out, "summary.json"), read(out2, "summary.json"))


class CliTest(unittest.TestCase):
    def test_version_and_help(self):
        result = archsim("--version")
        self.assertEqual(0, result.returncode)
        self.assertIn("archsim", result.stdout)
        self.assertEqual(0, archsim("--help").returncode)
        self.assertEqual(0, archsim("run", "--help").returncode)

    def test_log_level_shows_simulated_time(self):
        result = archsim("--log-level", "debug", "run", STEP1, "--duration-s", "30", "--quiet")
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn("[t=20.000000] [info] warm-up over", result.stderr)
        self.assertIn("started worker", result.stderr)
        quiet = archsim("run", STEP1, "--duration-s", "30", "--quiet")
        self.assertEqual("", quiet.stderr)

    def test_profile_file(self):
        result = archsim("run", STEP1, "--duration-s", "30", "--quiet", "--set",
                         "platform.profile=" + os.path.join(ROOT, "platforms", "cloud-ssd.json"), "--set", "hosts.node1={}")
        self.assertEqual(0, result.returncode, result.stderr)
        missing = archsim("run", STEP1, "--set", "platform.profile=nope.json")
        self.assertEqual(2, missing.returncode)
        self.assertIn("/platform/profile: hardware profile file not found", missing.stderr)

    def test_validate(self):
        result = archsim("validate", STEP1, os.path.join(ROOT, "scenarios", "step02-separate-db.json"))
        self.assertEqual(0, result.returncode)
        self.assertIn("ok", result.stdout)



class HorizonTest(unittest.TestCase):
    def test_a_horizon_that_the_summary_rounds(self):
        # 1234.56789 s is reported as 1234.57: the up-time check allows for the rounding.
        result, out = run(STEP1, "--duration-s", "1234.56789", "--set", "warmup_s=0", "--set",
                          "clients.shoppers.rate_rps=1", "--quiet")
        self.assertEqual(0, result.returncode, result.stderr)
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(1234.57, summary["measured_s"])
        node = summary["components"]["node1"]
        self.assertAlmostEqual(1234.56789, node["uptime_s"] + node["downtime_s"], places=6)


class InvariantTest(unittest.TestCase):
    """Each run invariant, broken on purpose through the test-only hook, is reported as an
    internal error and no result is written."""
    EXPECTED = {
        "requests": "requests: sent (",
        "operation": "operation ",
        "hop": "hop web->db.",
        "service": "service db: arrivals (",
        "component": "component node1: up time + down time",
        "utilization": "utilization of node1.cpu outside [0, 1]",
        "percentiles": "requests: latency p95",
        "littles_law": "Little's law does not hold",
    }

    def test_each_invariant_is_checked(self):
        for name, message in self.EXPECTED.items():
            with self.subTest(invariant=name):
                out = tempfile.mkdtemp(prefix="archsim-invariant-")
                result = archsim("run", STEP1, "--duration-s", "60", "--set", "warmup_s=10", "--quiet",
                                 "--test-break-invariant", name, "--out", out)
                self.assertEqual(1, result.returncode)
                self.assertIn("internal error: run invariants broken", result.stderr)
                self.assertIn(message, result.stderr)
                self.assertFalse(os.path.exists(os.path.join(out, "summary.json")))

    def test_unknown_hook(self):
        result = archsim("run", STEP1, "--duration-s", "5", "--test-break-invariant", "gravity")
        self.assertEqual(2, result.returncode)

    def test_hook_is_hidden_from_help(self):
        self.assertNotIn("test-break-invariant", archsim("run", "--help").stdout)


class OutputFolderTest(unittest.TestCase):
    def test_a_bad_folder_is_refused_before_anything_runs(self):
        with tempfile.TemporaryDirectory() as d:
            a_file = os.path.join(d, "f")
            with open(a_file, "w") as f:
                f.write("x")
            inside_a_file = os.path.join(a_file, "x")
            long_run = ["--duration-s", "3000"]  # minutes of work if it ran first
            cases = [
                ("run", STEP1, "--out", inside_a_file, *long_run),
                ("run", STEP1, "--out", a_file, *long_run),
                ("run", STEP1, "--out", "", *long_run),
                ("sweep", STEP1, "--vary", "clients.shoppers.rate_rps=300,400", "--out", a_file, *long_run),
                ("capacity", STEP1, "--slo", "p99_ms<=200", "--find-max", "clients.shoppers.rate_rps", "--out", a_file,
                 *long_run),
                ("compare", STEP1, "--out", a_file, *long_run),
            ]
            for args in cases:
                with self.subTest(args=" ".join(args[:1] + args[2:])):
                    result = archsim(*args)
                    self.assertEqual(2, result.returncode, result.stderr)
                    self.assertIn("--out:", result.stderr)
                    self.assertNotIn("internal error", result.stderr)
            self.assertIn(inside_a_file, archsim("run", STEP1, "--out", inside_a_file).stderr)

    def test_a_run_replaces_every_file_of_an_earlier_one(self):
        out = tempfile.mkdtemp(prefix="archsim-reuse-")
        self.assertEqual(0, archsim("run", STEP1, "--duration-s", "30", "--set", "warmup_s=5", "--trace-sample", "50",
                                    "--quiet", "--out", out).returncode)
        self.assertTrue(os.path.exists(os.path.join(out, "trace.json")))
        self.assertEqual(0, archsim("run", STEP1, "--duration-s", "30", "--set", "warmup_s=5", "--quiet",
                                    "--out", out).returncode)
        self.assertFalse(os.path.exists(os.path.join(out, "trace.json")))
        # Nor are the replications of an earlier run --replications kept beside a single run.
        self.assertEqual(0, archsim("run", STEP1, "--duration-s", "30", "--set", "warmup_s=5", "--replications", "2",
                                    "--quiet", "--out", out).returncode)
        self.assertTrue(os.path.isdir(os.path.join(out, "rep-002")))
        self.assertEqual(0, archsim("run", STEP1, "--duration-s", "30", "--set", "warmup_s=5", "--quiet",
                                    "--out", out).returncode)
        self.assertEqual([], [f for f in os.listdir(out) if f.startswith("rep-")])


class InterruptTest(unittest.TestCase):
    def test_ctrl_c_stops_cleanly_and_writes_nothing(self):
        import signal
        import subprocess
        import time
        out = tempfile.mkdtemp(prefix="archsim-interrupt-")
        shutil_out = os.path.join(out, "run")
        process = subprocess.Popen([os.environ.get("ARCHSIM", os.path.join(ROOT, "build", "archsim")), "run",
                                    os.path.join(ROOT, "scenarios", "step03-load-balancer.json"),
                                    "--duration-s", "5000", "--out", shutil_out],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        self.assertEqual(130, process.returncode)
        self.assertIn("interrupted at t=", stderr)
        self.assertIn("wrote no results", stderr)
        self.assertFalse(os.path.exists(os.path.join(shutil_out, "summary.json")))

    def test_a_signal_to_the_parent_alone_stops_its_replications_and_their_scratch_folder(self):
        # `kill PID` reaches the process that runs replications, not its children: it passes
        # the signal on, so the runs do stop, and the scratch folder they wrote in goes.
        import signal
        import subprocess
        import time
        tmp = tempfile.mkdtemp(prefix="archsim-interrupt-")
        process = subprocess.Popen([os.environ.get("ARCHSIM", os.path.join(ROOT, "build", "archsim")), "run", STEP1,
                                    "--duration-s", "20000", "--replications", "3", "--jobs", "1", "--quiet"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=dict(os.environ, TMPDIR=tmp))
        time.sleep(2)
        self.assertEqual(1, len(os.listdir(tmp)))  # the scratch folder of the replications
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
        self.assertEqual(130, process.returncode, stderr)
        self.assertIn("interrupted at t=", stderr)  # said by the child that was stopped
        self.assertIn("the runs in progress were stopped", stderr)
        self.assertEqual([], os.listdir(tmp))
        os.rmdir(tmp)

    def test_ctrl_c_stops_an_overloaded_run_at_once(self):
        # A million requests per second on one host: the run crawls (milliseconds of simulated
        # time per wall second) and holds a huge backlog of transfers; Ctrl-C must still act.
        import signal
        import subprocess
        import time
        process = subprocess.Popen([os.environ.get("ARCHSIM", os.path.join(ROOT, "build", "archsim")), "run", STEP1,
                                    "--duration-s", "30", "--set", "clients.shoppers.rate_rps=1000000"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        self.assertLess(time.monotonic() - sent, 3.0)
        self.assertEqual(130, process.returncode)
        self.assertIn("interrupted at t=0.0", stderr)


if __name__ == "__main__":
    unittest.main()
