#!/usr/bin/python3
"""Do archsim's confidence intervals cover as often as they claim?

Over EXPERIMENTS independent short experiments on M/M/1 at rho = 0.5 (lambda 50/s, mu
100/s, so the mean response time is 1/(mu - lambda) = 20 ms), each `archsim run
--replications R` (seeds derived from the experiment's own seed), the 95% interval that
archsim reports for the mean response time must contain 20 ms in 92.5-97.5% of the
experiments (the binomial spread of 500 experiments at 95% is +/- 1%).

Negative control: the interval a naive analysis would compute from the per-request
response times of the same runs, treating them as independent (mean +/- 1.96 sd / sqrt(n),
sd and n from latency_histogram.csv), must under-cover: successive response times in a
queue are positively correlated, so that interval is too narrow.

usage: coverage.py ARCHSIM [--experiments N] [--replications R] [--duration-s S]
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
TRUE_MEAN_MS = 1000.0 / (100.0 - 50.0)


def experiment(archsim, seed, replications, duration_s):
    """(archsim's interval covers the truth, the naive interval covers it) for one experiment."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([archsim, "run", os.path.join(HERE, "mm1.json"), "--quiet", "--seed", str(seed),
                        "--replications", str(replications), "--jobs", "1", "--out", out,
                        "--duration-s", str(duration_s), "--set", "warmup_s=2", "--set", "clients.arrivals.rate_rps=50",
                        "--set", "metrics.window_s=1"], check=True)
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        interval = summary["intervals"]["/latency_ms/mean"]
        ours = interval["low"] <= TRUE_MEAN_MS <= interval["high"]
        # The naive interval: every request of every replication as an independent sample.
        n = total = squares = 0.0
        for r in range(1, replications + 1):
            with open(os.path.join(out, f"rep-{r:03d}", "latency_histogram.csv")) as f:
                for row in csv.DictReader(f):
                    if row["series"] != "all":
                        continue
                    count = float(row["count"])
                    mid = (float(row["lower_ms"]) + float(row["upper_ms"])) / 2
                    n += count
                    total += count * mid
                    squares += count * mid * mid
        mean = summary["latency_ms"]["mean"]
        sd = math.sqrt(max(0.0, squares / n - (total / n) ** 2))
        naive = abs(mean - TRUE_MEAN_MS) <= 1.96 * sd / math.sqrt(n)
        return ours, naive


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("archsim")
    parser.add_argument("--experiments", type=int, default=500)
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--duration-s", type=float, default=20)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda k: experiment(args.archsim, 1000 + k, args.replications, args.duration_s),
                                range(args.experiments)))
    ours = sum(1 for o, _ in results if o) / len(results)
    naive = sum(1 for _, n in results if n) / len(results)
    print(f"M/M/1 mean response time {TRUE_MEAN_MS} ms, {args.experiments} experiments of {args.replications} "
          f"replications x {args.duration_s} s:")
    print(f"  archsim's 95% intervals cover it in {100 * ours:.1f}% of the experiments (must be 92.5-97.5%)")
    print(f"  naive intervals from per-request samples cover it in {100 * naive:.1f}% (must under-cover: < 85%)")
    failures = []
    if not 0.925 <= ours <= 0.975:
        failures.append("archsim's coverage is outside 92.5-97.5%")
    if naive >= 0.85:
        failures.append("the negative control did not under-cover")
    for f in failures:
        print(f"FAILED: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
