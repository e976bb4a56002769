#!/usr/bin/python3
"""Replications and confidence intervals: run, compare (with a paired test on common random
numbers), sweep and capacity with --replications; results independent of --jobs; the
intervals recomputed here from the replications' own summaries."""
import csv
import filecmp
import json
import math
import os
import statistics
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, archsim  # noqa: E402

STEP1 = os.path.join(ROOT, "scenarios", "step01-single-node.json")
STEP2 = os.path.join(ROOT, "scenarios", "step02-separate-db.json")
# Student t quantiles (0.975) from the tables, for the degrees of freedom used here.
T975 = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764}


def load(path):
    with open(path) as f:
        return json.load(f)


def pointer_value(doc, pointer):
    for part in pointer.strip("/").split("/"):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part.replace("~1", "/").replace("~0", "~")]
    return doc


class ReplicationTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def run_ok(self, *args):
        r = archsim(*args)
        self.assertEqual(0, r.returncode, r.stderr)
        return r

    def test_run_replications_means_intervals_and_jobs(self):
        one = os.path.join(self.dir, "one")
        three = os.path.join(self.dir, "three")
        single = os.path.join(self.dir, "single")
        common = ["--duration-s", "30", "--set", "warmup_s=5"]
        self.run_ok("run", STEP1, "--replications", "4", "--jobs", "1", "--out", one, "--quiet", *common)
        self.run_ok("run", STEP1, "--replications", "4", "--jobs", "3", "--out", three, "--quiet", *common)
        self.run_ok("run", STEP1, "--out", single, "--quiet", *common)
        self.assertTrue(filecmp.cmp(os.path.join(one, "summary.json"), os.path.join(three, "summary.json"), shallow=False))
        # Replication 1 is the scenario's own seed: the single run, byte for byte.
        self.assertTrue(filecmp.cmp(os.path.join(one, "rep-001", "summary.json"), os.path.join(single, "summary.json"),
                                    shallow=False))
        reps = [load(os.path.join(one, f"rep-00{i}", "summary.json")) for i in range(1, 5)]
        self.assertEqual(4, len({r["seed"] for r in reps}))
        combined = load(os.path.join(one, "summary.json"))
        self.assertEqual(4, combined["replications"]["count"])
        self.assertEqual([r["seed"] for r in reps], combined["replications"]["seeds"])
        for pointer in ("/throughput_rps", "/latency_ms/p99", "/latency_ms/mean", "/error_rate", "/availability",
                        "/downtime_s", "/utilization/node1/cpu", "/services/web/residence_ms/p99"):
            values = [pointer_value(r, pointer) for r in reps]
            interval = combined["intervals"][pointer]
            mean = statistics.fmean(values)
            half = T975[3] * statistics.stdev(values) / math.sqrt(4)
            self.assertAlmostEqual(mean, pointer_value(combined, pointer), delta=1e-9 * max(1, abs(mean)))
            self.assertAlmostEqual(half, interval["half_width"], delta=1e-4 * max(1e-9, half) + 1e-12)
            self.assertAlmostEqual(interval["low"], mean - interval["half_width"], delta=1e-9 * max(1, abs(mean)))
        # The other result files, for the plots: windows averaged, histograms pooled.
        def histogram_total(folder):
            with open(os.path.join(folder, "latency_histogram.csv")) as f:
                return sum(int(r["count"]) for r in csv.DictReader(f) if r["series"] == "all")
        self.assertEqual(sum(histogram_total(os.path.join(one, f"rep-00{i}")) for i in range(1, 5)), histogram_total(one))
        with open(os.path.join(one, "timeseries.csv")) as f:
            rows = list(csv.DictReader(f))
        windows = []
        for i in range(1, 5):
            with open(os.path.join(one, f"rep-00{i}", "timeseries.csv")) as f:
                windows.append(list(csv.DictReader(f)))
        self.assertEqual(len(windows[0]), len(rows))
        self.assertAlmostEqual(statistics.fmean(float(w[3]["sent"]) for w in windows), float(rows[3]["sent"]), delta=0.01)
        self.assertTrue(os.path.exists(os.path.join(one, "events.csv")))
        # The printed summary shows the intervals.
        out = self.run_ok("run", STEP1, "--replications", "3", *common).stdout
        self.assertIn("replications 3", out)
        self.assertRegex(out, r"p99 [0-9.]+ ± [0-9.]+")

    def test_compare_marks_real_differences_only(self):
        out = self.run_ok("compare", STEP1, STEP2, "--replications", "4", "--duration-s", "30",
                          "--set", "warmup_s=5").stdout
        rows = {line.split("  ")[0].strip(): line for line in out.splitlines()}
        self.assertIn("*", rows["latency p99 (ms)"])  # step 2 moves the database off the node
        self.assertNotIn("*", rows["offered (req/s)"])  # common random numbers: the same arrivals
        self.assertIn("paired t test", out)
        same = self.run_ok("compare", STEP1, STEP1, "--replications", "3", "--duration-s", "20", "--set",
                           "warmup_s=5").stdout
        self.assertNotIn(" *", same)
        self.assertIn("no figure differs", same)
        data = json.loads(self.run_ok("compare", STEP1, STEP2, "--replications", "3", "--duration-s", "20", "--set",
                                      "warmup_s=5", "--format", "json").stdout)
        p99 = data["step02-separate-db"]["latency p99 (ms)"]
        self.assertEqual("paired t", p99["test"])
        self.assertLess(p99["difference_from_first"], 0)
        self.assertTrue(p99["differs_from_first"])

    def test_sweep_and_collect_with_intervals(self):
        out = os.path.join(self.dir, "sweep")
        self.run_ok("sweep", STEP1, "--vary", "clients.shoppers.rate_rps=200,300", "--replications", "3",
                    "--duration-s", "20", "--set", "warmup_s=5", "--out", out)
        with open(os.path.join(out, "sweep.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(2, len(rows))
        for row in rows:
            self.assertGreater(float(row["p99_ms_hw"]), 0)
            self.assertGreater(float(row["throughput_rps_hw"]), 0)
        self.assertTrue(os.path.isdir(os.path.join(out, "point-0001", "rep-003")))
        # collect recombines the replications.
        os.remove(os.path.join(out, "point-0001", "summary.json"))
        self.run_ok("collect", out)
        self.assertTrue(os.path.exists(os.path.join(out, "point-0001", "summary.json")))

    def test_capacity_decides_at_the_unfavourable_end(self):
        out = self.run_ok("capacity", STEP1, "--find-max", "clients.shoppers.rate_rps", "--slo", "p99_ms<=150",
                          "--replications", "3", "--duration-s", "20", "--set", "warmup_s=5", "--upper", "480").stdout
        self.assertIn("unfavourable end", out)
        for line in out.splitlines():
            if "meets the SLO" in line and "p99" in line:
                p99, half = (float(x) for x in line.split("p99")[1].split("ms")[0].split("±"))
                self.assertLessEqual(p99 + half, 150 + 0.01)

    def test_auto_warmup_cuts_the_transient_before_the_first_action(self):
        mm1 = os.path.join(ROOT, "tests", "validation", "mm1.json")
        # M/M/1 at rho = 0.9 starts empty: its first seconds are faster than its steady state.
        common = ["--set", "clients.arrivals.rate_rps=90", "--duration-s", "300", "--set", "metrics.window_s=0.5"]
        auto = os.path.join(self.dir, "auto")
        self.run_ok("run", mm1, "--set", 'warmup_s="auto"', "--out", auto, "--quiet", *common)
        s = load(os.path.join(auto, "summary.json"))
        note = s["warmup_auto"]
        self.assertEqual("MSER-5", note["method"])
        self.assertGreater(s["warmup_s"], 0)
        self.assertEqual(s["warmup_s"], note["warmup_s"])
        self.assertEqual(note["windows_cut"] * 0.5, s["warmup_s"])
        self.assertEqual(0, note["windows_cut"] % 5)
        # The run is the pilot truncated: the same as a run given that warm-up.
        fixed = os.path.join(self.dir, "fixed")
        self.run_ok("run", mm1, "--set", f"warmup_s={s['warmup_s']}", "--out", fixed, "--quiet", *common)
        f = load(os.path.join(fixed, "summary.json"))
        del s["warmup_auto"]
        self.assertEqual(f, s)
        # Never past the first scheduled action.
        limited = os.path.join(self.dir, "limited")
        self.run_ok("run", mm1, "--set", 'warmup_s="auto"', "--out", limited, "--quiet", *common, "--set",
                    'faults={"events": [{"at_s": 3, "degrade": {"host": "server-1", "cpu_factor": 1.01}, "duration_s": 1}]}')
        s = load(os.path.join(limited, "summary.json"))
        self.assertLessEqual(s["warmup_s"], 3)
        self.assertEqual(3, s["warmup_auto"]["limit_s"])
        # Replications share the warm-up chosen once.
        shared = os.path.join(self.dir, "shared")
        self.run_ok("run", mm1, "--set", 'warmup_s="auto"', "--replications", "2", "--out", shared, "--quiet", *common)
        combined = load(os.path.join(shared, "summary.json"))
        self.assertEqual(f["warmup_s"], combined["warmup_auto"]["warmup_s"])
        for i in (1, 2):
            self.assertEqual(f["warmup_s"], load(os.path.join(shared, f"rep-00{i}", "summary.json"))["warmup_s"])
        # Too short to tell: bad input naming the setting.
        r = archsim("run", mm1, "--set", 'warmup_s="auto"', "--duration-s", "5", "--set", "metrics.window_s=1")
        self.assertEqual(2, r.returncode, r.stderr)
        self.assertIn("/warmup_s", r.stderr)
        self.assertIn("MSER-5", r.stderr)

    def test_batch_means_in_one_run(self):
        mm1 = os.path.join(ROOT, "tests", "validation", "mm1.json")  # mean response time 50 ms
        covered = 0
        for seed in range(1, 11):
            out = os.path.join(self.dir, f"bm{seed}")
            self.run_ok("run", mm1, "--batch-means", "--seed", str(seed), "--duration-s", "1000", "--set",
                        "metrics.window_s=1", "--out", out, "--quiet")
            s = load(os.path.join(out, "summary.json"))
            i = s["intervals"]["/latency_ms/mean"]
            self.assertTrue(i["uncorrelated"])
            self.assertLess(i["lag1"], 0.1)
            self.assertGreaterEqual(i["n"], 10)
            self.assertGreater(i["batch_windows"], 1)  # one-second windows of M/M/1 at 0.8 are correlated
            covered += i["low"] <= 50 <= i["high"]
            self.assertIn("/throughput_rps", s["intervals"])
            self.assertIn("/utilization/server-1/cpu", s["intervals"])
        self.assertGreaterEqual(covered, 7)  # 95% intervals: fewer than 7 of 10 has a chance of 0.1%
        r = archsim("run", mm1, "--batch-means", "--replications", "3")
        self.assertEqual(2, r.returncode)

    def test_ci_width_adds_replications_until_precise(self):
        mm1 = os.path.join(ROOT, "tests", "validation", "mm1.json")
        out = os.path.join(self.dir, "precise")
        common = ["--duration-s", "200", "--set", "warmup_s=20", "--out", out, "--quiet"]
        self.run_ok("run", mm1, "--ci-width", "0.05", "--max-replications", "40", *common)
        s = load(os.path.join(out, "summary.json"))
        p = s["precision"]
        self.assertTrue(p["met"])
        self.assertGreater(p["replications"], 3)  # three were not enough for the p99
        self.assertEqual(p["replications"], s["replications"]["count"])
        self.assertTrue(os.path.isdir(os.path.join(out, f"rep-{p['replications']:03d}")))
        widest = 0
        for pointer in p["figures"]:
            i = s["intervals"][pointer]
            widest = max(widest, i["half_width"] / abs(i["mean"]))
        self.assertAlmostEqual(widest, p["widest"]["relative_half_width"], places=9)
        self.assertLessEqual(widest, 0.05)
        self.run_ok("run", mm1, "--ci-width", "0.001", "--max-replications", "4", *common)
        p = load(os.path.join(out, "summary.json"))["precision"]
        self.assertFalse(p["met"])
        self.assertEqual(4, p["replications"])
        self.assertFalse(os.path.exists(os.path.join(out, "rep-005")))  # the earlier run's are gone

    def test_bad_replication_options(self):
        r = archsim("run", STEP1, "--replications", "5", "--max-replications", "3")
        self.assertEqual(2, r.returncode)
        self.assertIn("--max-replications", r.stderr)
        r = archsim("run", STEP1, "--replications", "0")
        self.assertEqual(2, r.returncode)
        self.assertIn("--replications", r.stderr)
        folder = os.path.join(self.dir, "done")
        self.run_ok("run", STEP1, "--duration-s", "10", "--set", "warmup_s=2", "--out", folder, "--quiet")
        r = archsim("compare", folder, folder, "--replications", "3")
        self.assertEqual(2, r.returncode)
        self.assertIn("--replications", r.stderr)


if __name__ == "__main__":
    unittest.main()
