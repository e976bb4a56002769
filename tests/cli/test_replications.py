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

    def test_bad_replication_options(self):
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
