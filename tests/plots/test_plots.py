#!/usr/bin/python3
"""The plotting scripts scripts/plot_compare, plot_cdf, plot_sweep, plot_timeline and
plot_hit_ratio.

Writes small but realistic synthetic archsim result folders (summary.json,
timeseries.csv with a failure in the middle, latency_histogram.csv, events.csv) and a
sweep folder (sweep.csv) into a temporary directory, runs each script on them with
/usr/bin/python3 (archsim itself is not run), and checks the images: exit status 0, a
PNG with its signature, over 10 KB and over 300 px each way, an SVG with --format svg.
Bad input (a missing folder, file or column, no data) must give exit status 2 and a
one-line message naming the file, never a traceback. Also unit-tests the helpers of
scripts/plotlib.py (labels, knee, down spans, event labels).

Run from the repository root: /usr/bin/python3 tests/plots/test_plots.py
"""
import csv
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PYTHON = "/usr/bin/python3"
SCRIPTS = ["plot_compare", "plot_cdf", "plot_sweep", "plot_timeline", "plot_hit_ratio"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import plotlib  # noqa: E402

CAUSES = ["timeout", "rejected", "refused", "reset", "pool_timeout", "unavailable", "failed"]
HOSTS = ["node1", "db1"]


# --------------------------------------------------------------------------------------
# Synthetic archsim results


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def write_run(folder, scenario, seed, rate=400.0, outage=None, events=True, windows=120, warmup=10):
    """Writes a result folder: rate requests/s for `windows` 1-s windows; during the
    outage (start, end) every request fails (timeouts, then refused connections)."""
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(seed)
    header = ["t_s", "sent", "attempts", "ok", "errors", *CAUSES, "throughput_rps", "success_ratio", "down",
              "mean_ms", "p50_ms", "p99_ms"]
    header += [f"util:{host}.{kind}" for host in HOSTS for kind in ("cpu", "disk", "nic_up", "nic_down")]
    rows = []
    totals = {"sent": 0, "ok": 0, "failed": 0, **{cause: 0 for cause in CAUSES}}
    down_windows = 0
    for t in range(windows):
        sent = max(0, round(rng.gauss(rate, math.sqrt(rate))))
        causes = dict.fromkeys(CAUSES, 0)
        if outage and outage[0] <= t < outage[1]:
            ok = 0
            causes["timeout" if t < outage[0] + 8 else "refused"] = sent
            mean = p50 = p99 = 0.0
        else:
            ok = sent
            if outage and t < outage[0] + 12 and t >= outage[1]:  # a few timeouts right after the outage
                causes["timeout"] = rng.randint(0, 5)
                ok = sent - causes["timeout"]
            p50 = 30 + rng.uniform(-2, 2)
            mean = p50 * 1.2
            p99 = 80 + rng.expovariate(1 / 10.0)
        errors = sum(causes.values())
        success = ok / sent if sent else 1.0
        down = 1 if success < 0.99 else 0
        if t >= warmup:
            down_windows += down
            totals["sent"] += sent
            totals["ok"] += ok
            totals["failed"] += errors
            for cause in CAUSES:
                totals[cause] += causes[cause]
        utils = []
        for _ in HOSTS:
            busy = 0.0 if down else rng.uniform(0.4, 0.7)
            utils += [round(busy, 4), round(busy / 2, 4), round(busy / 10, 4), round(busy / 12, 4)]
        rows.append([t, sent, sent, ok, errors, *[causes[c] for c in CAUSES], ok, round(success, 6), down,
                     round(mean, 4), round(p50, 4), round(p99, 4), *utils])
    write_csv(os.path.join(folder, "timeseries.csv"), header, rows)

    # Latency histogram: log-linear buckets, 8 per power of two, of a shifted log-normal.
    series_rows = []
    for series, scale in (("all", 1.0), ("browse", 0.8), ("buy", 1.6)):
        samples = sorted(20 * scale + rng.lognormvariate(math.log(10 * scale), 0.7) for _ in range(3000))
        buckets = {}
        for value in samples:
            k = math.floor(math.log2(value) * 8)
            buckets[k] = buckets.get(k, 0) + 1
        cumulative = 0
        for k in sorted(buckets):
            cumulative += buckets[k]
            series_rows.append([series, f"{2 ** (k / 8):.6g}", f"{2 ** ((k + 1) / 8):.6g}", buckets[k],
                                f"{cumulative / len(samples):.9g}"])
    write_csv(os.path.join(folder, "latency_histogram.csv"),
              ["series", "lower_ms", "upper_ms", "count", "cumulative_fraction"], series_rows)

    if events:
        event_rows = []
        if outage:
            event_rows = [[outage[0], "node1", "host_down", ""],
                          [outage[0] + 2.5, "lb", "marks_down", "node1"],
                          [outage[1], "node1", "host_up", ""],
                          [outage[1], "web-1", "starting", ""],
                          [outage[1] + 5, "web-1", "up", ""],
                          [outage[1] + 6.0005, "lb", "marks_up", "node1"]]
        write_csv(os.path.join(folder, "events.csv"), ["t_s", "component", "event", "detail"], event_rows)

    measured = windows - warmup
    downtime = float(down_windows)
    availability = 1 - downtime / measured
    latency = {"mean": 36.0, "p50": 30.1, "p90": 51.0, "p99": 94.0 if outage else 65.0, "p999": 159.0,
               "max": 420.0, "min": 21.0}
    summary = {
        "archsim_version": "0.1.0", "scenario": scenario, "scenario_file": f"scenarios/{scenario}.json",
        "seed": seed, "duration_s": float(windows), "warmup_s": float(warmup), "measured_s": float(measured),
        "offered_rps": totals["sent"] / measured, "throughput_rps": totals["ok"] / measured,
        "requests": {"sent": totals["sent"], "ok": totals["ok"], "failed": totals["failed"], "in_flight": 0},
        "error_rate": totals["failed"] / max(1, totals["ok"] + totals["failed"]),
        "errors_by_cause": {cause: totals[cause] for cause in CAUSES},
        "latency_ms": latency,
        "availability": availability, "downtime_s": downtime,
        "projected_downtime_per_year_s": (1 - availability) * 365.25 * 86400,
        "nines": -math.log10(1 - availability) if downtime else None,
        "nines_at_least": None if downtime else round(math.log10(measured), 2),
        "bottleneck": {"resource": "node1.cpu", "utilization": 0.62},
    }
    with open(os.path.join(folder, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)


def write_sweep(folder, points=10):
    """Writes a sweep of the shoppers' rate from 100 to 100*points requests/s against a
    capacity of ~880 requests/s; one point failed and has empty results."""
    os.makedirs(folder, exist_ok=True)
    header = ["point", "clients.shoppers.rate_rps", "offered_rps", "throughput_rps", "mean_ms", "p50_ms",
              "p90_ms", "p99_ms", "p999_ms", "error_rate", "availability", "downtime_s", "bottleneck",
              "bottleneck_utilization"]
    capacity = 880.0
    rows = []
    for i in range(1, points + 1):
        rate = 100.0 * i
        rho = min(rate / capacity, 0.995)
        service = 25.0
        mean = service / (1 - rho) if rate < capacity else 5000.0
        p50 = mean * 0.7
        p99 = min(mean * 4.6, 10000.0)
        throughput = min(rate, capacity)
        error_rate = 0.0 if rate < capacity else (rate - capacity) / rate
        rows.append([f"point-{i:04d}", rate, rate * 0.998, throughput, round(mean, 3), round(p50, 3),
                     round(mean * 2.3, 3), round(p99, 3), round(p99 * 1.5, 3), round(error_rate, 6),
                     1.0 if error_rate < 0.01 else 0.0, 0.0 if error_rate < 0.01 else 100.0, "node1.cpu",
                     round(min(rho, 1.0), 4)])
    rows.insert(3, ["point-0099", 350.0, "", "", "", "", "", "", "", "", "", "", "", ""])
    write_csv(os.path.join(folder, "sweep.csv"), header, rows)


# --------------------------------------------------------------------------------------
# Checks


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, which follows the 8-byte signature."""
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise AssertionError(f"{path} is not a PNG file")
    return struct.unpack(">II", head[16:24])


class PlotsTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="archsim-plots-")
        cls.run_a = os.path.join(cls.tmp, "run-a")
        cls.run_b = os.path.join(cls.tmp, "run-b")
        cls.run_c = os.path.join(cls.tmp, "run-c")
        write_run(cls.run_a, "step-demo-crash", 1, outage=(50, 70))
        write_run(cls.run_b, "step-demo", 2, rate=600.0)
        write_run(cls.run_c, "step-demo", 3, rate=500.0, events=False)  # same name: "#2"
        cls.sweep = os.path.join(cls.tmp, "sweep-demo")
        write_sweep(cls.sweep)
        cls.out = os.path.join(cls.tmp, "out")
        os.makedirs(cls.out)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_script(self, script, *args, cwd=ROOT, env=None):
        path = os.path.join("scripts", script) if cwd == ROOT else os.path.join(ROOT, "scripts", script)
        return subprocess.run([PYTHON, path, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                              env=env)

    def output(self, name):
        return os.path.join(self.out, name)

    def run_from_results_parent(self, script, *folders):
        """Copies the folders into a fresh WORK/results/ and runs the script from WORK on
        results/NAME, without --out: (the result, WORK)."""
        work = tempfile.mkdtemp(prefix="default-out-", dir=self.tmp)
        relative = []
        for folder in folders:
            target = os.path.join(work, "results", os.path.basename(folder))
            shutil.copytree(folder, target)
            relative.append(os.path.join("results", os.path.basename(folder)))
        return self.run_script(script, *relative, cwd=work), work

    def assert_default_output(self, result, work, name):
        """Without --out, the plot lands in results/plots/ beside the result folders, and
        nothing is written into the current folder."""
        self.assertEqual(0, result.returncode, result.stderr)
        expected = os.path.join("results", "plots", name)
        self.assertEqual(expected, result.stdout.strip())
        self.assertTrue(os.path.isfile(os.path.join(work, expected)))
        self.assertEqual(["results"], sorted(os.listdir(work)))

    def assert_plotted(self, result, path):
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertNotIn("Traceback", result.stderr)
        self.assertIn(path, result.stdout)
        self.assertTrue(os.path.isfile(path), f"{path} not written")

    def assert_png(self, result, path):
        self.assert_plotted(result, path)
        with open(path, "rb") as f:
            self.assertEqual(PNG_SIGNATURE, f.read(8), f"{path} lacks the PNG signature")
        self.assertGreater(os.path.getsize(path), 10 * 1024, f"{path} is suspiciously small")
        width, height = png_size(path)
        self.assertGreater(width, 300)
        self.assertGreater(height, 300)

    def assert_svg(self, result, path):
        self.assert_plotted(result, path)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("<svg", text)
        self.assertTrue(text.rstrip().endswith("</svg>"))

    def assert_bad_input(self, result, *names):
        """Exit status 2 and a one-line message naming the input, no traceback."""
        self.assertEqual(2, result.returncode, result.stdout + result.stderr)
        self.assertNotIn("Traceback", result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(1, len(lines), result.stderr)
        self.assertIn("error", lines[0])
        for name in names:
            self.assertIn(name, lines[0])

    def broken_copy(self, source, name):
        """A copy of a result folder to break in a test."""
        target = os.path.join(self.tmp, name)
        shutil.copytree(source, target)
        return target


class CompareTest(PlotsTestCase):
    def test_png(self):
        path = self.output("compare.png")
        result = self.run_script("plot_compare", self.run_a, self.run_b, self.run_c, "--out", path)
        self.assert_png(result, path)

    def test_svg_with_title(self):
        path = self.output("compare.svg")
        result = self.run_script("plot_compare", self.run_a, self.run_b, "--format", "svg", "--out", path,
                                 "--title", "Demo runs")
        self.assert_svg(result, path)
        with open(path, encoding="utf-8") as f:
            self.assertIn("Demo runs", f.read())

    def test_default_output_beside_the_results(self):
        result, cwd = self.run_from_results_parent("plot_compare", self.run_a)
        self.assert_default_output(result, cwd, "compare.png")

    def test_missing_folder(self):
        missing = os.path.join(self.tmp, "no-such-run")
        self.assert_bad_input(self.run_script("plot_compare", self.run_a, missing), missing)

    def test_run_without_latency(self):
        # A run where no request succeeded has null percentiles and nines.
        folder = self.broken_copy(self.run_a, "no-success")
        with open(os.path.join(folder, "summary.json")) as f:
            summary = json.load(f)
        summary["latency_ms"] = dict.fromkeys(summary["latency_ms"])
        summary["nines"] = summary["nines_at_least"] = None
        with open(os.path.join(folder, "summary.json"), "w") as f:
            json.dump(summary, f)
        path = self.output("compare-no-latency.png")
        self.assert_png(self.run_script("plot_compare", folder, "--out", path), path)

    def test_missing_key(self):
        folder = self.broken_copy(self.run_a, "no-p99")
        with open(os.path.join(folder, "summary.json")) as f:
            summary = json.load(f)
        del summary["latency_ms"]["p99"]
        with open(os.path.join(folder, "summary.json"), "w") as f:
            json.dump(summary, f)
        self.assert_bad_input(self.run_script("plot_compare", folder), "summary.json", "latency_ms.p99")

    def test_not_json(self):
        folder = self.broken_copy(self.run_a, "not-json")
        with open(os.path.join(folder, "summary.json"), "w") as f:
            f.write("{not json")
        self.assert_bad_input(self.run_script("plot_compare", folder), "summary.json")

    def test_unwritable_output(self):
        blocker = os.path.join(self.tmp, "a-file")
        with open(blocker, "w", encoding="utf-8") as f:
            f.write("not a folder\n")
        path = os.path.join(blocker, "compare.png")
        self.assert_bad_input(self.run_script("plot_compare", self.run_a, "--out", path), path)

    def test_missing_output_folder_is_created(self):
        path = os.path.join(self.tmp, "new-folder", "deeper", "compare.png")
        self.assert_plotted(self.run_script("plot_compare", self.run_a, "--out", path), path)


class CdfTest(PlotsTestCase):
    def test_png(self):
        path = self.output("cdf.png")
        result = self.run_script("plot_cdf", self.run_a, self.run_b, self.run_c, "--out", path)
        self.assert_png(result, path)

    def test_svg_of_an_operation(self):
        path = self.output("cdf-buy.svg")
        result = self.run_script("plot_cdf", self.run_a, "--series", "buy", "--format", "svg", "--out", path)
        self.assert_svg(result, path)

    def test_out_extension_sets_the_format(self):
        path = self.output("cdf-by-extension.svg")
        result = self.run_script("plot_cdf", self.run_b, "--out", path)
        self.assert_svg(result, path)

    def test_default_output_beside_the_results(self):
        result, cwd = self.run_from_results_parent("plot_cdf", self.run_a, self.run_b)
        self.assert_default_output(result, cwd, "latency-cdf.png")

    def test_missing_folder(self):
        missing = os.path.join(self.tmp, "no-such-run")
        self.assert_bad_input(self.run_script("plot_cdf", missing), missing)

    def test_unknown_series(self):
        result = self.run_script("plot_cdf", self.run_a, "--series", "nope")
        self.assert_bad_input(result, "latency_histogram.csv", "nope")
        self.assertIn("browse", result.stderr)  # the series present are listed

    def test_missing_histogram(self):
        folder = self.broken_copy(self.run_a, "no-histogram")
        os.remove(os.path.join(folder, "latency_histogram.csv"))
        self.assert_bad_input(self.run_script("plot_cdf", folder), "latency_histogram.csv")

    def test_histogram_without_data(self):
        folder = self.broken_copy(self.run_a, "empty-histogram")
        write_csv(os.path.join(folder, "latency_histogram.csv"),
                  ["series", "lower_ms", "upper_ms", "count", "cumulative_fraction"], [])
        self.assert_bad_input(self.run_script("plot_cdf", folder), "latency_histogram.csv")


class SweepTest(PlotsTestCase):
    def test_png(self):
        path = self.output("sweep.png")
        result = self.run_script("plot_sweep", self.sweep, "--out", path)
        self.assert_png(result, path)
        self.assertIn("point-0099", result.stderr)  # the empty row is skipped with a note

    def test_csv_path_parameter_axis_and_slo(self):
        path = self.output("sweep-slo.png")
        result = self.run_script("plot_sweep", os.path.join(self.sweep, "sweep.csv"), "--x", "rate_rps",
                                 "--slo-ms", "300", "--out", path)
        self.assert_png(result, path)

    def test_svg(self):
        path = self.output("sweep.svg")
        result = self.run_script("plot_sweep", self.sweep, "--format", "svg", "--out", path, "--linear")
        self.assert_svg(result, path)

    def test_default_output_beside_the_results(self):
        result, cwd = self.run_from_results_parent("plot_sweep", self.sweep)
        self.assert_default_output(result, cwd, "sweep-demo.png")

    def test_missing_folder(self):
        missing = os.path.join(self.tmp, "no-such-sweep")
        self.assert_bad_input(self.run_script("plot_sweep", missing), missing)

    def test_folder_without_sweep_csv(self):
        self.assert_bad_input(self.run_script("plot_sweep", self.run_a), "sweep.csv")

    def test_unknown_x_column(self):
        self.assert_bad_input(self.run_script("plot_sweep", self.sweep, "--x", "nope"), "sweep.csv", "nope")

    def test_no_data_rows(self):
        folder = os.path.join(self.tmp, "sweep-empty")
        os.makedirs(folder)
        with open(os.path.join(self.sweep, "sweep.csv")) as f:
            header = f.readline()
        with open(os.path.join(folder, "sweep.csv"), "w") as f:
            f.write(header)
        self.assert_bad_input(self.run_script("plot_sweep", folder), "sweep.csv", "no data")


class IntervalTest(PlotsTestCase):
    """Replicated results (format 3): the scripts read the intervals and draw them."""

    def test_compare_reads_the_half_widths(self):
        folder = os.path.join(self.tmp, "replicated")
        shutil.copytree(self.run_b, folder)
        path = os.path.join(folder, "summary.json")
        with open(path) as f:
            summary = json.load(f)
        summary["format_version"] = 3
        summary["intervals"] = {"/latency_ms/p99": {"mean": summary["latency_ms"]["p99"], "half_width": 7.5},
                                "/throughput_rps": {"mean": summary["throughput_rps"], "half_width": 3.0}}
        with open(path, "w") as f:
            json.dump(summary, f)
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        import importlib.machinery
        import importlib.util
        loader = importlib.machinery.SourceFileLoader("plot_compare", os.path.join(ROOT, "scripts", "plot_compare"))
        spec = importlib.util.spec_from_loader("plot_compare", loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        run = module.load_run(folder)
        self.assertEqual(7.5, run["latency_hw"]["p99"])
        self.assertEqual(3.0, run["throughput_hw"])
        self.assertIsNone(run["latency_hw"]["p50"])
        self.assertEqual({"yerr": [0, 7.5], "capsize": 3, "error_kw": {"elinewidth": 1, "ecolor": "#333333"}},
                         module.error_bars([None, 7.5]))
        self.assertEqual({}, module.error_bars([None, None]))
        out = self.output("compare-intervals.png")
        self.assert_png(self.run_script("plot_compare", self.run_a, folder, "--out", out), out)

    def test_sweep_with_half_width_columns(self):
        folder = os.path.join(self.tmp, "sweep-replicated")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(self.sweep, "sweep.csv")) as f:
            rows = list(csv.reader(f))
        rows[0] += ["p50_ms_hw", "p99_ms_hw", "throughput_rps_hw"]
        for row in rows[1:]:
            row += ["1.5", "6.0", "2.0"] if row[2] else ["", "", ""]
        write_csv(os.path.join(folder, "sweep.csv"), rows[0], rows[1:])
        out = self.output("sweep-intervals.png")
        result = self.run_script("plot_sweep", folder, "--out", out)
        self.assert_png(result, out)
        self.assertNotIn("p99_ms_hw", result.stderr)  # not taken for a varied parameter


class TimelineTest(PlotsTestCase):
    def test_png(self):
        path = self.output("timeline.png")
        result = self.run_script("plot_timeline", self.run_a, "--out", path)
        self.assert_png(result, path)

    def test_svg_linear(self):
        path = self.output("timeline.svg")
        result = self.run_script("plot_timeline", self.run_a, "--format", "svg", "--linear", "--out", path)
        self.assert_svg(result, path)

    def test_default_output_names_the_scenario(self):
        result, cwd = self.run_from_results_parent("plot_timeline", self.run_b)
        self.assert_default_output(result, cwd, "timeline-step-demo.png")

    def test_without_events_csv(self):
        path = self.output("timeline-no-events.png")
        result = self.run_script("plot_timeline", self.run_c, "--out", path)
        self.assert_png(result, path)

    def test_missing_folder(self):
        missing = os.path.join(self.tmp, "no-such-run")
        self.assert_bad_input(self.run_script("plot_timeline", missing), missing)

    def test_missing_column(self):
        folder = self.broken_copy(self.run_a, "no-p99-column")
        path = os.path.join(folder, "timeseries.csv")
        with open(path) as f:
            rows = list(csv.reader(f))
        column = rows[0].index("p99_ms")
        write_csv(path, rows[0][:column] + rows[0][column + 1:], [r[:column] + r[column + 1:] for r in rows[1:]])
        self.assert_bad_input(self.run_script("plot_timeline", folder), "timeseries.csv", "p99_ms")

    def test_bad_number(self):
        folder = self.broken_copy(self.run_a, "bad-number")
        path = os.path.join(folder, "timeseries.csv")
        with open(path) as f:
            rows = list(csv.reader(f))
        rows[5][rows[0].index("throughput_rps")] = "lots"
        write_csv(path, rows[0], rows[1:])
        self.assert_bad_input(self.run_script("plot_timeline", folder), "timeseries.csv", "line 6")


    def test_a_cache_adds_a_hit_ratio_panel(self):
        folder = self.broken_copy(self.run_a, "with-cache")
        path = os.path.join(folder, "timeseries.csv")
        with open(path) as f:
            rows = list(csv.reader(f))
        rows[0].append("hit_ratio:cache")
        for i, row in enumerate(rows[1:]):
            row.append("" if i == 3 else str(0.2 if 60 <= i < 65 else 0.8))  # a window without a get
        write_csv(path, rows[0], rows[1:])
        with open(os.path.join(folder, "events.csv"), "a") as f:
            f.write("60,cache,flush,\n")
        plain, cached = self.output("timeline-plain.png"), self.output("timeline-cache.png")
        self.assert_png(self.run_script("plot_timeline", self.run_a, "--out", plain), plain)
        self.assert_png(self.run_script("plot_timeline", folder, "--out", cached), cached)
        self.assertGreater(png_size(cached)[1], png_size(plain)[1])  # a fourth panel
        self.assertEqual("failure", plotlib.event_kind("flush"))

    def test_a_cdn_adds_the_hit_ratio_panel_too(self):
        folder = self.broken_copy(self.run_a, "with-cdn")
        path = os.path.join(folder, "timeseries.csv")
        with open(path) as f:
            rows = list(csv.reader(f))
        rows[0].append("cdn_hit_ratio:cdn")
        for i, row in enumerate(rows[1:]):
            row.append(str(min(0.9, 0.1 * i)))  # the edges fill up
        write_csv(path, rows[0], rows[1:])
        plain, cdn = self.output("timeline-plain-2.png"), self.output("timeline-cdn.png")
        self.assert_png(self.run_script("plot_timeline", self.run_a, "--out", plain), plain)
        self.assert_png(self.run_script("plot_timeline", folder, "--out", cdn), cdn)
        self.assertGreater(png_size(cdn)[1], png_size(plain)[1])


def write_cache_sweep(folder, sizes=(8, 16, 32, 64)):
    """A sweep of a cache's memory: point folders with point.json and summary.json."""
    for i, size in enumerate(sizes):
        point = os.path.join(folder, f"point-{i + 1:04d}")
        os.makedirs(point)
        with open(os.path.join(point, "point.json"), "w") as f:
            json.dump({"values": {"services.cache.memory_mb": str(size)}}, f)
        hit = 1 - 0.5 / (1 + i)
        summary = {"format_version": 5, "scenario": "cache-demo",
                   "services": {"cache": {"kind": "cache", "cache": {"hit_ratio": hit}},
                                "db": {"kind": "database", "arrivals_per_request": 1 - hit},
                                "web": {"kind": "app_server", "arrivals_per_request": 1}}}
        if i == 2:
            summary["intervals"] = {"/services/cache/cache/hit_ratio": {"mean": hit, "half_width": 0.02}}
        with open(os.path.join(point, "summary.json"), "w") as f:
            json.dump(summary, f)


class HitRatioTest(PlotsTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cache_sweep = os.path.join(cls.tmp, "sweep-cache")
        write_cache_sweep(cls.cache_sweep)

    def test_png_and_svg(self):
        path = self.output("hit-ratio.png")
        self.assert_png(self.run_script("plot_hit_ratio", self.cache_sweep, "--logx", "--out", path), path)
        svg = self.output("hit-ratio.svg")
        self.assert_svg(self.run_script("plot_hit_ratio", self.cache_sweep, "--format", "svg", "--out", svg), svg)

    def test_a_cdn_sweep(self):
        folder = os.path.join(self.tmp, "sweep-cdn")
        write_cache_sweep(folder)
        for point in os.listdir(folder):
            path = os.path.join(folder, point, "summary.json")
            with open(path) as f:
                summary = json.load(f)
            summary["services"]["cdn"] = {"kind": "cdn", "cdn": summary["services"].pop("cache")["cache"]}
            with open(path, "w") as f:
                json.dump(summary, f)
        path = self.output("hit-ratio-cdn.png")
        self.assert_png(self.run_script("plot_hit_ratio", folder, "--out", path), path)

    def test_default_output_names_the_sweep(self):
        result, cwd = self.run_from_results_parent("plot_hit_ratio", self.cache_sweep)
        self.assert_default_output(result, cwd, "hit-ratio-sweep-cache.png")

    def test_bad_input(self):
        missing = os.path.join(self.tmp, "no-such-sweep")
        self.assert_bad_input(self.run_script("plot_hit_ratio", missing), missing)
        # A sweep of a run without caches, and a run folder that is not a sweep.
        self.assert_bad_input(self.run_script("plot_hit_ratio", self.run_a), self.run_a, "point-NNNN")
        no_cache = os.path.join(self.tmp, "sweep-no-cache")
        write_cache_sweep(no_cache, sizes=(1, 2))
        for point in os.listdir(no_cache):
            path = os.path.join(no_cache, point, "summary.json")
            with open(path) as f:
                summary = json.load(f)
            del summary["services"]["cache"]
            with open(path, "w") as f:
                json.dump(summary, f)
        self.assert_bad_input(self.run_script("plot_hit_ratio", no_cache), "no service of kind cache or cdn")
        several = os.path.join(self.tmp, "sweep-two-parameters")
        write_cache_sweep(several, sizes=(1, 2))
        for point in os.listdir(several):
            path = os.path.join(several, point, "point.json")
            with open(path, "w") as f:
                json.dump({"values": {"a": "1", "b": "2"}}, f)
        self.assert_bad_input(self.run_script("plot_hit_ratio", several), "several parameters vary")


class MissingMatplotlibTest(PlotsTestCase):
    def test_names_the_debian_package(self):
        fake = os.path.join(self.tmp, "fake-site")
        os.makedirs(os.path.join(fake, "matplotlib"), exist_ok=True)
        with open(os.path.join(fake, "matplotlib", "__init__.py"), "w") as f:
            f.write("raise ImportError('No module named matplotlib (test)')\n")
        env = dict(os.environ, PYTHONPATH=fake)
        result = self.run_script("plot_compare", self.run_a, "--out", self.output("never.png"), env=env)
        self.assert_bad_input(result, "python3-matplotlib")
        self.assertFalse(os.path.exists(self.output("never.png")))


class HelpersTest(unittest.TestCase):
    def test_unique_labels(self):
        self.assertEqual(["a", "b", "a #2", "a #3"], plotlib.unique_labels(["a", "b", "a", "a"]))

    def test_knee_is_the_first_point_over_the_slo(self):
        self.assertEqual((2, "slo"), plotlib.find_knee([1, 2, 3, 4], [10, 20, 40, 80], slo=30))
        self.assertIsNone(plotlib.find_knee([1, 2, 3], [10, 20, 25], slo=30))
        self.assertEqual((3, "slo"), plotlib.find_knee([1, 2, 3, 4], [10, None, 20, 50], slo=30))

    def test_knee_is_the_point_of_maximum_curvature(self):
        xs = [100, 200, 300, 400, 500, 600, 700, 800]
        ys = [50, 51, 52, 54, 58, 70, 120, 600]
        self.assertEqual((6, "curvature"), plotlib.find_knee(xs, ys))
        self.assertIsNone(plotlib.find_knee(xs, [50, 51, 52, 53, 55, 56, 58, 60]))  # flat: no knee

    def test_down_spans(self):
        self.assertEqual([(2, 5), (7, 8)], plotlib.true_spans(list(range(9)), [0, 0, 1, 1, 1, 0, 0, 1, 0], 1))

    def test_event_labels(self):
        events = [(10, "db-1", "host_down"), (10.5, "db", "failover_started"), (10.5, "db-1", "degraded"),
                  (50, "db-1", "host_up"), (50, "db-1", "starting"), (60, "db-1", "up"), (61, "db", "primary")]
        groups, unlabelled = plotlib.cluster_events(events, line_width=2)
        self.assertEqual(0, unlabelled)
        self.assertEqual(["db-1 host_down, degraded\ndb failover_started", "db-1 host_up, starting",
                          "db-1 up\ndb primary"], [g["label"] for g in groups])
        self.assertEqual(["failure", "recovery", "recovery"], [g["kind"] for g in groups])
        simultaneous = [(5, f"web-{k}", "crashed") for k in range(6)]
        groups, _ = plotlib.cluster_events(simultaneous, line_width=1, max_lines=3)
        self.assertEqual(["web-0 crashed\nweb-1 crashed\n(+4 more)"], [g["label"] for g in groups])

    def test_event_labels_are_limited(self):
        many = [(float(t), "web", "crashed" if t % 2 else "up") for t in range(100)]
        groups, unlabelled = plotlib.cluster_events(many, line_width=0.5, max_labels=30)
        self.assertEqual(70, unlabelled)
        self.assertTrue(all(g["kind"] == "failure" for g in groups if g["label"]))

    def test_event_labels_do_not_overlap(self):
        # Two one-line groups 0.4 s apart whose labels are 0.5 s wide: the failure is labelled.
        events = [(10.0, "web-1", "up"), (10.4, "web-2", "crashed")]
        groups, unlabelled = plotlib.cluster_events(events, line_width=0.5, max_lines=1)
        self.assertEqual(1, unlabelled)
        self.assertEqual([None, "web-2 crashed"], [g["label"] for g in groups])


if __name__ == "__main__":
    unittest.main()
