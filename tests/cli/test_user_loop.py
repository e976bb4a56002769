#!/usr/bin/python3
"""The user's loop: compare, sweep (in parallel, as a job list for GNU parallel or Slurm,
collected afterwards), capacity search against a fine sweep, traces, numbers, progress."""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ARCHSIM, ROOT, archsim  # noqa: E402

STEP1 = os.path.join(ROOT, "scenarios", "step01-single-node.json")
STEP2 = os.path.join(ROOT, "scenarios", "step02-separate-db.json")
STEP3 = os.path.join(ROOT, "scenarios", "step03-load-balancer.json")
SHORT = ["--duration-s", "30", "--set", "warmup_s=5"]


class Scratch(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="archsim-loop-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)


class SweepTest(Scratch):
    VARY = ["--vary", "clients.shoppers.rate_rps=300:500:100", "--vary", "services.web.workers=16,64"]

    def sweep(self, out, *extra):
        result = archsim("sweep", STEP1, *self.VARY, *SHORT, "--out", out, *extra)
        self.assertEqual(0, result.returncode, result.stderr)
        return result

    def test_results_do_not_depend_on_jobs(self):
        self.sweep(self.path("one"), "--jobs", "1")
        self.sweep(self.path("two"), "--jobs", "2")
        with open(self.path("one", "sweep.csv")) as a, open(self.path("two", "sweep.csv")) as b:
            one, two = a.read(), b.read()
        self.assertEqual(one, two)
        rows = list(csv.DictReader(io.StringIO(one)))
        self.assertEqual(6, len(rows))  # a 3 x 2 grid
        self.assertEqual(["300", "300", "400", "400", "500", "500"], [r["clients.shoppers.rate_rps"] for r in rows])
        self.assertEqual(["16", "64"] * 3, [r["services.web.workers"] for r in rows])
        for column in ("offered_rps", "throughput_rps", "p99_ms", "error_rate", "availability", "bottleneck"):
            self.assertIn(column, rows[0])
        self.assertGreater(float(rows[4]["offered_rps"]), float(rows[0]["offered_rps"]))

    def test_an_earlier_sweep_is_not_mixed_in(self):
        out = self.path("again")
        self.sweep(out)  # 6 points
        small = ["--vary", "clients.shoppers.rate_rps=300,400"]
        refused = archsim("sweep", STEP1, *small, *SHORT, "--out", out)
        self.assertEqual(2, refused.returncode)
        self.assertIn("--out: the folder is not empty", refused.stderr)
        self.assertIn("--force", refused.stderr)
        forced = archsim("sweep", STEP1, *small, *SHORT, "--out", out, "--force")
        self.assertEqual(0, forced.returncode, forced.stderr)
        with open(os.path.join(out, "sweep.csv")) as f:
            self.assertEqual(2, len(list(csv.DictReader(f))))

    def test_emitted_jobs_run_with_gnu_parallel_and_collect_rebuilds_the_table(self):
        self.sweep(self.path("direct"), "--jobs", "2")
        jobs = self.path("jobs.txt")
        result = self.sweep(self.path("emitted"), "--emit-jobs", jobs)
        self.assertIn("parallel <", result.stdout)
        with open(jobs) as f:
            lines = f.read().splitlines()
        self.assertEqual(6, len(lines))
        self.assertIn(" run ", lines[0])
        with open(self.path("emitted", "sweep.sbatch")) as f:
            sbatch = f.read()
        self.assertIn("#SBATCH --array=1-6", sbatch)
        self.assertIn(jobs, sbatch)
        # Nothing has run yet: collect says which points are missing.
        missing = archsim("collect", self.path("emitted"))
        self.assertEqual(2, missing.returncode)
        self.assertIn("6 point(s) have no summary.json yet", missing.stderr)
        with open(jobs) as f:
            ran = subprocess.run(["parallel", "--will-cite", "-j", "2"], stdin=f, capture_output=True, text=True)
        self.assertEqual(0, ran.returncode, ran.stderr)
        collected = archsim("collect", self.path("emitted"))
        self.assertEqual(0, collected.returncode, collected.stderr)
        with open(self.path("direct", "sweep.csv")) as a, open(self.path("emitted", "sweep.csv")) as b:
            self.assertEqual(a.read(), b.read())

    def test_collect_refuses_a_summary_another_run_left_in_a_point(self):
        # Each line of the job list runs its point; a summary of another scenario, duration
        # or seed copied into a point's folder is not that point's.
        out, jobs = self.path("mixed"), self.path("mixed.txt")
        result = archsim("sweep", STEP1, "--vary", "services.web.workers=16,32", "--duration-s", "4",
                         "--set", "warmup_s=0", "--seed", "3", "--out", out, "--emit-jobs", jobs)
        self.assertEqual(0, result.returncode, result.stderr)
        with open(jobs) as f:
            for line in f.read().splitlines():
                self.assertEqual(0, subprocess.run(line, shell=True, capture_output=True).returncode, line)
        self.assertEqual(0, archsim("collect", out).returncode)
        point = os.path.join(out, "point-0002", "summary.json")
        for scenario, extra, wrong in ((STEP2, ["--duration-s", "4", "--seed", "3"], "/scenario_file"),
                                       (STEP1, ["--duration-s", "5", "--seed", "3"], "/duration_s"),
                                       (STEP1, ["--duration-s", "4", "--seed", "4"], "/seed")):
            other = self.path("other")
            ran = archsim("run", scenario, "--set", "warmup_s=0", *extra, "--out", other, "--quiet")
            self.assertEqual(0, ran.returncode, ran.stderr)
            shutil.copy(os.path.join(other, "summary.json"), point)
            result = archsim("collect", out)
            self.assertEqual(2, result.returncode, result.stderr)
            self.assertIn(point + ": " + wrong + ": not this point's run: point.json asks for", result.stderr)

    def test_a_duration_with_more_digits_than_a_summary_keeps_is_the_points_own(self):
        result = archsim("sweep", STEP1, "--vary", "duration_s=2.345678,3", "--set", "warmup_s=0",
                         "--out", self.path("digits"))
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(0, archsim("collect", self.path("digits")).returncode)

    def test_bad_variations(self):
        for bad in ("rate=1:2", "clients.shoppers.rate_rps=5:1:1", "clients.shoppers.rate_rps=1:5:0", "x"):
            result = archsim("sweep", STEP1, "--vary", bad, "--out", self.path("bad"))
            self.assertEqual(2, result.returncode, bad)
        # A value that makes the scenario invalid is reported before anything runs.
        result = archsim("sweep", STEP1, "--vary", "clients.shoppers.rate_rps=-1,10", "--out", self.path("bad"))
        self.assertEqual(2, result.returncode)
        self.assertIn("--vary clients.shoppers.rate_rps: /clients/shoppers/rate_rps: must be >= 0", result.stderr)

    def test_a_refused_sweep_leaves_the_earlier_one_alone(self):
        # --force replaces an earlier sweep only once the new one is known good.
        out = self.path("kept")
        self.assertEqual(0, archsim("sweep", STEP1, "--vary", "clients.shoppers.rate_rps=100,200", *SHORT,
                                    "--out", out).returncode)
        before = sorted(os.listdir(out))
        for bad in (["--vary", "clients.shoppers.rate_rps=-1"], ["--vary", "seed=1,2", "--seed", "3"],
                    ["--vary", "seed=1,2", "--emit-jobs", STEP1]):
            result = archsim("sweep", STEP1, *bad, "--out", out, "--force")
            self.assertEqual(2, result.returncode, bad)
            self.assertEqual(before, sorted(os.listdir(out)), bad)

    def test_sweep_requests_that_cannot_be_meant(self):
        cases = {
            # Two sources for one value: the option would silently win over the points.
            ("--vary", "seed=1,2", "--seed", "7"): "--vary seed: /seed: given twice: --seed sets it too",
            ("--vary", "duration_s=2,3", "--duration-s", "4"): "--vary duration_s: /duration_s: given twice",
            ("--vary", "seed=1,2", "--replications", "2"): "--vary seed: /seed: --replications gives each run its "
                                                           "own seeds",
            ("--vary", "clients.shoppers.rate_rps=1,2", "--vary", "/clients/shoppers/rate_rps=3"):
                "--vary /clients/shoppers/rate_rps: varies the same setting as --vary clients.shoppers.rate_rps",
            ("--vary", "clients.shoppers.rate_rps=1,,2"): "an empty value in the list",
            ("--vary", "clients.shoppers.rate_rps=1,"): "an empty value in the list",
            # A step so small that the count overflows, and a grid too large to build.
            ("--vary", "clients.shoppers.rate_rps=0:1:1e-20"): "more than 100000 values",
            ("--vary", "clients.shoppers.rate_rps=1:100000:1", "--vary", "seed=1:100000:1"):
                "--vary: the grid has more than 100000 points",
            # Where the job list goes.
            ("--vary", "seed=1,2", "--emit-jobs", ""): "--emit-jobs: needs a file name",
            ("--vary", "seed=1,2", "--emit-jobs", "no-such-folder/jobs.txt"): "--emit-jobs: its folder does not exist",
            ("--vary", "seed=1,2", "--emit-jobs", STEP1): "--emit-jobs: is the scenario file",
            ("--vary", "seed=1,2", "--emit-jobs", "SCRATCH"): "--emit-jobs: is a folder",
            ("--vary", "seed=1,2", "--emit-jobs", "OUT/sweep.csv"): "--emit-jobs: is a file the sweep writes itself",
        }
        for args, message in cases.items():
            out = self.path("refused")
            args = [a.replace("SCRATCH", self.dir).replace("OUT", out) for a in args]
            result = archsim("sweep", STEP1, *args, "--out", out)
            self.assertEqual(2, result.returncode, f"{args}: {result.stderr}")
            self.assertIn(message, result.stderr, args)
            self.assertFalse(os.path.exists(out), args)

    def test_json_values_in_a_list_keep_their_commas(self):
        jobs = self.path("jobs.txt")
        result = archsim("sweep", STEP1, "--vary", 'hosts.node1={"cores":2,"disk":"hdd"},{"cores":4}',
                         "--vary", 'description="a, b",plain', "--out", self.path("json"), "--emit-jobs", jobs)
        self.assertEqual(0, result.returncode, result.stderr)
        with open(jobs) as f:
            text = f.read()
        self.assertEqual(4, len(text.splitlines()))
        self.assertIn('''hosts.node1={"cores":2,"disk":"hdd"}''', text)
        self.assertIn('''description="a, b"''', text)
        result = archsim("sweep", STEP1, "--vary", 'hosts.node1={"cores":2', "--out", self.path("open"))
        self.assertEqual(2, result.returncode)
        self.assertIn("a JSON value in the list is not closed", result.stderr)

    def test_large_whole_values_are_written_exactly(self):
        jobs = self.path("jobs.txt")
        result = archsim("sweep", STEP1, "--vary", "seed=9007199254740989:9007199254740991:1", "--out",
                         self.path("big"), "--emit-jobs", jobs)
        self.assertEqual(0, result.returncode, result.stderr)
        with open(jobs) as f:
            text = f.read()
        for seed in ("9007199254740989", "9007199254740990", "9007199254740991"):
            self.assertIn(f"seed={seed} ", text)

    def test_emitted_jobs_find_relative_paths_wherever_they_run(self):
        # A --set value naming a file relative to where the sweep was made (a replayed log)
        # names the same file when a job runs from another folder.
        work = self.path("work")
        os.makedirs(work)
        with open(os.path.join(work, "access.csv"), "w") as f:
            f.write("time_s,operation,key\n0.5,home,1\n1.0,home,2\n")
        with open(os.path.join(work, "replay.json"), "w") as f:
            json.dump({"description": "a replayed log", "duration_s": 2, "warmup_s": 0,
                       "services": {"front": {"kind": "app_server", "host": {"cores": 2}, "workers": 4,
                                              "endpoints": {"home": {"steps": [{"cpu_ms": 1}]}}}},
                       "clients": {"users": {"model": "replay", "target": "front", "log": "elsewhere.csv",
                                             "operations": {"home": {"endpoint": "home"}}}}}, f)
        jobs = self.path("jobs.txt")
        made = subprocess.run([ARCHSIM, "sweep", "replay.json", "--set", "clients.users.log=access.csv",
                               "--vary", "seed=1,2", "--out", "out", "--emit-jobs", jobs],
                              cwd=work, capture_output=True, text=True)
        self.assertEqual(0, made.returncode, made.stderr)
        with open(jobs) as f:
            line = f.read().splitlines()[0]
        ran = subprocess.run(["bash", "-c", line], cwd=self.dir, capture_output=True, text=True)
        self.assertEqual(0, ran.returncode, ran.stderr)
        with open(os.path.join(work, "out", "point-0001", "summary.json")) as f:
            self.assertEqual(2, json.load(f)["requests"]["sent"])

    def test_paths_in_the_job_scripts_are_quoted(self):
        jobs = self.path("my jobs $(touch pwned).txt")
        out = self.path("sweep dir")
        result = archsim("sweep", STEP1, "--vary", "seed=1,2", "--out", out, "--emit-jobs", jobs)
        self.assertEqual(0, result.returncode, result.stderr)
        with open(os.path.join(out, "sweep.sbatch")) as f:
            sbatch = f.read()
        self.assertIn("'" + jobs + "'", sbatch)
        self.assertIn(f'#SBATCH --output="{out}/slurm-%A_%a.out"', sbatch)
        self.assertIn("parallel < '" + jobs + "'", result.stdout)
        # The script's line that reads the job list, run by a shell, reads that file.
        line = next(x for x in sbatch.splitlines() if x.startswith("line=$("))
        ran = subprocess.run(["bash", "-c", "SLURM_ARRAY_TASK_ID=2; " + line + '; echo "$line"'],
                             capture_output=True, text=True, cwd=self.dir)
        self.assertEqual(0, ran.returncode, ran.stderr)
        self.assertIn("seed=2", ran.stdout)
        self.assertFalse(os.path.exists(self.path("pwned")))

    def test_collect_refuses_a_point_edited_by_hand(self):
        # Each member of a point's description removed or given another type: collect
        # exits 0 or 2, never with an internal error.
        out = self.path("points")
        self.assertEqual(0, archsim("sweep", STEP1, "--vary", "clients.shoppers.rate_rps=100,200", *SHORT,
                                    "--out", out).returncode)
        point = os.path.join(out, "point-0001", "point.json")
        with open(point) as f:
            good = json.load(f)
        edits = [(key, bad) for key in list(good) + ["replications"] for bad in ("x", None, -1, 0, {}, [], "removed")]
        edits += [(("values", "clients.shoppers.rate_rps"), bad) for bad in (None, 5, {}, [])]
        for key, bad in edits:
            edited = json.loads(json.dumps(good))
            node, name = (edited["values"], key[1]) if isinstance(key, tuple) else (edited, key)
            if bad == "removed":
                node.pop(name, None)
            else:
                node[name] = bad
            with open(point, "w") as f:
                json.dump(edited, f)
            result = archsim("collect", out)
            self.assertIn(result.returncode, (0, 2), f"{key} {bad}: {result.stderr}")
            self.assertNotIn("internal error", result.stderr, f"{key} {bad}")
        with open(point, "w") as f:
            json.dump(dict(good, values={"clients.shoppers.rate_rps": 5}), f)
        result = archsim("collect", out)
        self.assertEqual(2, result.returncode)
        self.assertIn("point.json: /values/clients.shoppers.rate_rps: invalid point description: must be a string "
                      "(got 5)", result.stderr)
        # A point folder without its description is said, not skipped.
        os.remove(point)
        result = archsim("collect", out)
        self.assertEqual(2, result.returncode)
        self.assertIn("point-0001/point.json: /: missing: the point's description", result.stderr)

    def test_collect_names_the_missing_replication(self):
        out = self.path("reps")
        self.assertEqual(0, archsim("sweep", STEP1, "--vary", "clients.shoppers.rate_rps=100,200", "--replications", "2",
                                    "--out", out, "--duration-s", "2", "--set", "warmup_s=0").returncode)
        shutil.rmtree(os.path.join(out, "point-0002", "rep-002"))
        result = archsim("collect", out)
        self.assertEqual(2, result.returncode)
        self.assertIn("1 point(s) have no summary.json yet (or a replication has none): point-0002 (rep-002)",
                      result.stderr)


class CapacityTest(Scratch):
    SLO = "p99_ms<=200,error_rate<=0.001"
    RUN = ["--duration-s", "40", "--set", "warmup_s=10"]

    def test_capacity_matches_a_fine_sweep_within_two_percent(self):
        sweep = archsim("sweep", STEP2, "--vary", "clients.shoppers.rate_rps=600:780:4", *self.RUN,
                        "--out", self.path("fine"), "--jobs", "2")
        self.assertEqual(0, sweep.returncode, sweep.stderr)
        with open(self.path("fine", "sweep.csv")) as f:
            rows = list(csv.DictReader(f))
        # The sweep's answer: the largest rate below the first one that breaks the SLO.
        answer = None
        for row in rows:
            if float(row["p99_ms"]) > 200 or float(row["error_rate"]) > 0.001:
                break
            answer = float(row["clients.shoppers.rate_rps"])
        self.assertIsNotNone(answer)
        result = archsim("capacity", STEP2, "--slo", self.SLO, "--find-max", "clients.shoppers.rate_rps",
                         "--precision", "0.005", *self.RUN, "--jobs", "2")
        self.assertEqual(0, result.returncode, result.stderr)
        line = next(l for l in result.stdout.splitlines() if l.startswith("maximum clients.shoppers.rate_rps"))
        found = float(line.split(":")[1].split()[0])
        self.assertLess(abs(found - answer) / answer, 0.02, f"capacity {found} vs sweep {answer}")
        self.assertIn("bottleneck app1.cpu", result.stdout)
        # The utilisation law from the scenario's demands: app1.cpu, 5.5 ms per request on 4 cores.
        self.assertIn("saturates at 727.3 req/s", result.stdout)

    def test_find_min_replicas(self):
        result = archsim("capacity", STEP3, "--slo", "p99_ms<=200,error_rate<=0.001", "--find-min",
                         "services.web.replicas", "--set", "faults=null", "--set", "clients.shoppers.rate_rps=1400",
                         *self.RUN, "--jobs", "2")
        self.assertEqual(0, result.returncode, result.stderr)
        line = next(l for l in result.stdout.splitlines() if l.startswith("minimum services.web.replicas"))
        # 1400 req/s x 5.5 ms of app CPU = 7.7 cores: at least 2 hosts of 4 cores by the law.
        self.assertIn(int(line.split(":")[1].split()[0]), (2, 3))
        self.assertIn("the law alone puts saturation at services.web.replicas = 2", result.stdout)

    def test_the_answer_does_not_depend_on_jobs(self):
        outputs = []
        for jobs in ("1", "3"):
            result = archsim("capacity", STEP1, "--slo", "p99_ms<=500,error_rate<=0.001", "--find-max",
                             "clients.shoppers.rate_rps", "--duration-s", "30", "--set", "warmup_s=5", "--jobs", jobs)
            self.assertEqual(0, result.returncode, result.stderr)
            outputs.append(result.stdout)
        self.assertEqual(outputs[0], outputs[1])  # the same values tried, the same answer

    def test_bounds_are_honoured(self):
        held = archsim("capacity", STEP1, "--slo", "p99_ms<=100000", "--find-max", "clients.shoppers.rate_rps",
                       "--duration-s", "20", "--set", "warmup_s=5", "--upper", "500")
        self.assertEqual(0, held.returncode, held.stderr)
        self.assertIn("500  p99", held.stdout)  # the bound itself is tried
        self.assertIn("holds at every value tried, up to 500 (--upper): the objective held throughout", held.stdout)
        # Without --upper, a search that never fails stops at 16 times its start.
        capped = archsim("capacity", STEP1, "--slo", "p99_ms<=100000", "--find-max", "clients.shoppers.rate_rps",
                         "--duration-s", "1", "--set", "warmup_s=0")
        self.assertIn("in [1, 6400]", capped.stdout)
        self.assertIn("up to 6400 (the default upper bound, 16 times the start)", capped.stdout)
        inverted = archsim("capacity", STEP1, "--slo", "p99_ms<=500", "--find-max", "clients.shoppers.rate_rps",
                           "--lower", "900", "--upper", "100")
        self.assertEqual(2, inverted.returncode)
        self.assertIn("--lower: must not exceed --upper (100) (got 900)", inverted.stderr)

    def test_bad_capacity_requests(self):
        self.assertEqual(2, archsim("capacity", STEP2, "--slo", "p99<=200", "--find-max", "x").returncode)
        self.assertEqual(2, archsim("capacity", STEP2, "--slo", "p99_ms<=fast", "--find-max", "x").returncode)
        self.assertEqual(2, archsim("capacity", STEP2, "--slo", "p99_ms<=200").returncode)
        result = archsim("capacity", STEP2, "--slo", "p99_ms<=200", "--find-max", "description")
        self.assertEqual(2, result.returncode)
        # The option is blamed, at a JSON pointer, and a long value is cut.
        self.assertIn("--find-max description: /description: is not a number: capacity searches numbers (got \"",
                      result.stderr)
        self.assertLess(len(result.stderr), 300)
        # A condition no run can meet is refused before anything runs.
        result = archsim("capacity", STEP2, "--slo", "p99_ms<=-5", "--find-max", "clients.shoppers.rate_rps")
        self.assertEqual(2, result.returncode)
        self.assertIn("--slo: can never be met: p99_ms is at least 0 (got p99_ms<=-5)", result.stderr)
        # The seed is not a quantity; the duration cannot be searched and fixed at once.
        result = archsim("capacity", STEP2, "--slo", "p99_ms<=200", "--find-max", "seed")
        self.assertEqual(2, result.returncode)
        self.assertIn("--find-max seed: /seed: the seed is not a quantity to search", result.stderr)
        result = archsim("capacity", STEP2, "--slo", "p99_ms<=200", "--find-max", "duration_s", "--duration-s", "60")
        self.assertEqual(2, result.returncode)
        self.assertIn("--find-max duration_s: /duration_s: given twice: --duration-s sets it too", result.stderr)
        # An earlier search's folders would mix with this one's.
        os.makedirs(self.path("cap", "at-500"))
        result = archsim("capacity", STEP2, "--slo", "p99_ms<=200", "--find-max", "clients.shoppers.rate_rps",
                         "--out", self.path("cap"))
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("holds the at-* folders of an earlier search (at-500)", result.stderr)
        # A malformed JSON pointer is bad input, named with the option.
        result = archsim("capacity", STEP2, "--slo", "p99_ms<=200", "--find-max", "/clients/a~x")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("--find-max /clients/a~x", result.stderr)


class CompareTest(Scratch):
    def test_compare_runs_scenarios_and_reads_folders(self):
        result = archsim("compare", STEP1, STEP2, *SHORT, "--out", self.path("runs"), "--format", "csv")
        self.assertEqual(0, result.returncode, result.stderr)
        rows = list(csv.reader(io.StringIO(result.stdout)))
        self.assertEqual(["figure", "step01-single-node", "step02-separate-db"], rows[0])
        labels = [r[0] for r in rows]
        for label in ("throughput (req/s)", "latency p99 (ms)", "error rate (%)", "downtime (s)", "nines",
                      "bottleneck"):
            self.assertIn(label, labels)
        folders = sorted(os.listdir(self.path("runs")))
        again = archsim("compare", *[self.path("runs", f) for f in folders], "--format", "json")
        self.assertEqual(0, again.returncode)
        data = json.loads(again.stdout)
        self.assertEqual({"step01-single-node", "step02-separate-db"}, set(data))
        # Each value is in its label's unit, as the table shows it.
        for column, folder in zip(sorted(data), folders):
            with open(self.path("runs", folder, "summary.json")) as f:
                summary = json.load(f)
            self.assertAlmostEqual(summary["availability"] * 100, data[column]["availability (%)"], places=4)
            self.assertAlmostEqual(summary["error_rate"] * 100, data[column]["error rate (%)"], places=4)
            self.assertAlmostEqual(summary["projected_downtime_per_year_s"] / 3600,
                                   data[column]["downtime/year (h)"], delta=1e-5 * (1 + data[column]["downtime/year (h)"]))
            if summary["nines"] is None:
                self.assertEqual({"at_least": summary["nines_at_least"]}, data[column]["nines"])
        markdown = archsim("compare", *[self.path("runs", f) for f in folders], "--format", "markdown")
        self.assertIn("| figure | step01-single-node | step02-separate-db |", markdown.stdout)
        # A newer archsim's summary is read as far as this one knows it, with a word.
        newer = self.path("runs", folders[0], "summary.json")
        with open(newer) as f:
            summary = json.load(f)
        summary["format_version"] = 999
        with open(newer, "w") as f:
            json.dump(summary, f)
        result = archsim("compare", self.path("runs", folders[0]))
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn("format_version 999 is newer than this archsim's", result.stderr)
        # A "|" in a name stays inside its cell.
        piped = archsim("compare", STEP1, "--set", 'name="a|b"', "--duration-s", "2", "--set", "warmup_s=0",
                        "--format", "markdown")
        self.assertEqual(0, piped.returncode, piped.stderr)
        self.assertIn("| figure | a\\|b |", piped.stdout)

    def test_missing_input(self):
        result = archsim("compare", self.path("nothing"))
        self.assertEqual(2, result.returncode)

    def test_a_summary_edited_by_hand_is_bad_input_not_a_crash(self):
        # Each member of a replicated run's summary (every fifteenth, sections and intervals
        # included), removed or given a value of another type: compare exits 0 or 2.
        import copy
        import shutil
        from concurrent.futures import ThreadPoolExecutor
        good = self.path("good")
        self.assertEqual(0, archsim("run", STEP1, *SHORT, "--replications", "2", "--quiet", "--out", good).returncode)
        with open(os.path.join(good, "summary.json")) as f:
            summary = json.load(f)
        paths = []

        def walk(node, path):
            if path:
                paths.append(path)
            if isinstance(node, dict):
                for key, value in node.items():
                    walk(value, path + [key])

        walk(summary, [])
        cases = [(path, bad) for i, path in enumerate(paths) if len(path) == 1 or i % 15 == 0
                 for bad in ("x", None, {}, "removed")]
        self.assertGreater(len(cases), 200)

        def check(indexed):
            i, (path, bad) = indexed
            folder = self.path(f"edited-{i}")
            shutil.copytree(good, folder)
            edited = copy.deepcopy(summary)
            node = edited
            for key in path[:-1]:
                node = node[key]
            if bad == "removed":
                del node[path[-1]]
            else:
                node[path[-1]] = bad
            with open(os.path.join(folder, "summary.json"), "w") as f:
                json.dump(edited, f)
            result = archsim("compare", folder, good)
            shutil.rmtree(folder)
            return "/".join(path), bad, result.returncode, result.stderr

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for where, bad, code, stderr in pool.map(check, enumerate(cases)):
                self.assertIn(code, (0, 2), f"{where} {bad}: exit {code}\n{stderr}")
                self.assertNotIn("internal error", stderr, f"{where} {bad}")

    def test_every_cause_of_error_has_a_row_and_bad_inputs_are_refused(self):
        crash = os.path.join(ROOT, "scenarios", "step01-host-crash.json")
        run = ["--duration-s", "50", "--set", "warmup_s=5", "--set", "faults.events.0.at_s=15",
               "--set", "faults.events.0.duration_s=10"]
        out = self.path("crash")
        self.assertEqual(0, archsim("run", crash, *run, "--quiet", "--out", out).returncode)
        with open(os.path.join(out, "summary.json")) as f:
            causes = {c for c, n in json.load(f)["errors_by_cause"].items() if n > 0}
        self.assertTrue(causes)
        table = archsim("compare", out, "--format", "csv")
        self.assertEqual(0, table.returncode, table.stderr)
        labels = [r[0] for r in csv.reader(io.StringIO(table.stdout))]
        for cause in causes:
            self.assertIn(f"errors: {cause}", labels)
        # A JSON file that is not a summary, and run options given with a finished result.
        os.makedirs(self.path("other"))
        not_summary = self.path("other", "summary.json")
        with open(not_summary, "w") as f:
            json.dump({"x": 1}, f)
        refused = archsim("compare", out, not_summary)
        self.assertEqual(2, refused.returncode)
        self.assertIn("not a summary.json written by archsim run", refused.stderr)
        # A cut-off one: where the JSON breaks, in the words used for scenario files.
        with open(not_summary, "w") as f:
            f.write('{"requests":')
        refused = archsim("compare", out, not_summary)
        self.assertEqual(2, refused.returncode)
        self.assertIn("summary.json: /: invalid JSON: parse error at line 1, column 13", refused.stderr)
        self.assertNotIn("json.exception", refused.stderr)
        # One whose scenario name is not a string (it was an internal error).
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        summary["scenario"] = 5
        with open(not_summary, "w") as f:
            json.dump(summary, f)
        refused = archsim("compare", out, not_summary)
        self.assertEqual(2, refused.returncode)
        self.assertIn("summary.json: /scenario: not a summary.json written by archsim run (must be a string) (got 5)",
                      refused.stderr)
        ignored = archsim("compare", out, "--set", "clients.shoppers.rate_rps=5")
        self.assertEqual(2, ignored.returncode)
        self.assertIn("apply only to the scenario files compare runs", ignored.stderr)

    def test_log_level_anywhere(self):
        for args in (["--log-level", "info", "validate", STEP1], ["validate", STEP1, "--log-level", "info"]):
            self.assertEqual(0, archsim(*args).returncode)
        self.assertEqual(2, archsim("validate", STEP1, "--log-level", "loud").returncode)


class QuietAndOptionsTest(Scratch):
    TINY = ["--duration-s", "3", "--set", "warmup_s=0"]

    def test_quiet_drops_the_progress_lines_not_the_results(self):
        for command in (["compare", STEP1, STEP2], ["sweep", STEP1, "--vary", "seed=1,2", "--out", self.path("s"), "--force"]):
            loud = archsim(*command, *self.TINY)
            quiet = archsim(*command, *self.TINY, "--quiet")
            self.assertEqual(0, quiet.returncode, quiet.stderr)
            self.assertNotEqual("", loud.stderr)
            self.assertEqual("", quiet.stderr)
            self.assertEqual(loud.stdout, quiet.stdout)

    def test_an_option_that_does_not_fit_one_input_of_compare_names_it(self):
        cache = os.path.join(ROOT, "scenarios", "step04-cache.json")
        mq = os.path.join(ROOT, "scenarios", "step05-async-mq.json")
        result = archsim("compare", cache, mq, "--set", "services.mq.acks=1", *self.TINY)
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn(f"--set services.mq.acks: /services/mq: no such entry", result.stderr)
        self.assertIn(f"(in {cache})", result.stderr)

    def test_capacity_says_what_to_start_from(self):
        result = archsim("capacity", os.path.join(ROOT, "scenarios", "step05-async-mq.json"), "--slo",
                         "error_rate<=0.001", "--find-max", "services.payments.fail_probability")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("give --lower, a value above 0", result.stderr)


class TraceTest(Scratch):
    def test_trace_is_valid_with_matching_spans_and_marked_failures(self):
        out = self.path("traced")
        result = archsim("run", STEP3, "--duration-s", "130", "--trace-sample", "200", "--out", out, "--quiet")
        self.assertEqual(0, result.returncode, result.stderr)
        with open(os.path.join(out, "trace.json")) as f:
            trace = json.load(f)
        events = trace["traceEvents"]
        tracks = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
        self.assertIn("clients shoppers", tracks.values())
        for replica in ("lb-1", "web-1", "web-4", "db-1", "db-3"):
            self.assertIn(replica, tracks.values())
        open_spans = {}
        ended = 0
        for e in events:
            if e["ph"] == "b":
                key = (e["pid"], e["id2"]["local"])
                self.assertNotIn(key, open_spans)
                open_spans[key] = e
            elif e["ph"] == "e":
                key = (e["pid"], e["id2"]["local"])
                self.assertIn(key, open_spans)
                begin = open_spans.pop(key)
                self.assertEqual(begin["name"], e["name"])
                self.assertGreaterEqual(e["ts"], begin["ts"])
                ended += 1
        self.assertGreater(ended, 1000)
        # Spans still open at the end belong to requests still in flight: few.
        self.assertLess(len(open_spans), 50)
        failed = [e for e in events if e["ph"] == "e" and e["args"]["outcome"] != "ok"]
        self.assertTrue(failed)  # the crash of web-2 and the primary's failure
        self.assertTrue(any(e["ph"] == "i" and e["name"].startswith("failed:") for e in events))
        names = {e["name"] for e in events if e["ph"] == "b"}
        self.assertIn("lb.view_item", names)
        self.assertIn("db.select_item", names)

    def test_trace_needs_an_output_folder(self):
        result = archsim("run", STEP1, "--trace-sample", "10")
        self.assertEqual(2, result.returncode)
        self.assertIn("needs --out", result.stderr)


class RunRequestTest(Scratch):
    def test_a_value_given_by_two_options_is_refused(self):
        # --seed and --duration-s would silently win over --set, whatever the order.
        for args, message in ((["--seed", "5", "--set", "seed=abc"], "--set seed: /seed: given twice: --seed"),
                              (["--set", "/duration_s=40", "--duration-s", "30"],
                               "--set /duration_s: /duration_s: given twice: --duration-s")):
            for command in ("run", "validate"):
                result = archsim(command, STEP1, *args)
                self.assertEqual(2, result.returncode, result.stderr)
                self.assertEqual([message], [line[:len(message)] for line in result.stderr.splitlines()])

    def test_a_short_duration_is_blamed_on_what_shortened_it(self):
        # The metrics window is the schema's default (1 s): the duration that went below it
        # is at fault, and once only, though it is below the warm-up too.
        doc = {"description": "short", "duration_s": 30, "warmup_s": 5,
               "services": {"web": {"kind": "app_server", "host": {"cores": 2}, "workers": 4,
                                    "endpoints": {"home": {"steps": [{"cpu_ms": 5}]}}}},
               "clients": {"users": {"model": "open", "target": "web", "rate_rps": 1,
                                     "operations": {"home": {"weight": 1, "endpoint": "home"}}}}}
        path = self.path("short.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        for args, expected in ((["--duration-s", "0.5"], "--duration-s: /duration_s: must be greater than warmup_s"),
                               (["--set", "warmup_s=0", "--duration-s", "0.5"],
                                "--duration-s: /duration_s: must be at least metrics.window_s (1.0) (got 0.5)"),
                               (["--set", "duration_s=0.5", "--set", "warmup_s=0"],
                                "--set duration_s: /duration_s: must be at least metrics.window_s")):
            result = archsim("validate", path, *args)
            self.assertEqual(2, result.returncode, result.stderr)
            lines = result.stderr.splitlines()
            self.assertEqual(1, len(lines), lines)
            self.assertIn(expected, lines[0])

    def test_options_that_would_do_nothing_are_refused(self):
        finished = self.path("finished")
        self.assertEqual(0, archsim("run", STEP1, *SHORT, "--quiet", "--out", finished).returncode)
        cases = [
            (["run", STEP1, *SHORT, "--max-replications", "5"],
             "--max-replications: bounds the replications of --ci-width, which is not given"),
            (["compare", finished, "--out", self.path("nothing")], "--out: keeps the results of the scenario files"),
            (["validate", STEP1, "--set", 'clients.shoppers.schedule_shape="linear"'],
             "--set clients.shoppers.schedule_shape: /clients/shoppers/schedule_shape: only used with a schedule"),
            (["capacity", STEP2, "--find-max", "services.web.workers", "--lower", "0.5", "--slo", "p99_ms<=200"],
             "--lower: must be a whole number: services.web.workers is one (got 0.5)"),
            (["numbers", "--availability", "nan"], "--availability: must be a number >= 0 and <= 100 (got nan)"),
            (["validate", STEP1, "--set", "extends=other.json"],
             "--set extends: /extends: cannot be set from the command line"),
        ]
        for args, message in cases:
            result = archsim(*args)
            self.assertEqual(2, result.returncode, f"{args}: {result.stderr}")
            self.assertIn(message, result.stderr, args)
        self.assertFalse(os.path.exists(self.path("nothing")))

    def test_whole_numbers_are_decimal(self):
        # A leading 0 is not octal: --seed 010 is seed 10.
        out = self.path("ten")
        result = archsim("run", STEP1, *SHORT, "--seed", "010", "--out", out, "--quiet")
        self.assertEqual(0, result.returncode, result.stderr)
        with open(os.path.join(out, "summary.json")) as f:
            self.assertEqual(10, json.load(f)["seed"])

    def test_what_will_not_happen_is_said(self):
        # Shortened below its fault, a fault scenario would show no failure without a word.
        host_crash = os.path.join(ROOT, "scenarios", "step01-host-crash.json")
        for command in ("validate", "run"):
            result = archsim(command, host_crash, "--duration-s", "100", "--set", "warmup_s=5",
                             *(["--out", self.path("short"), "--quiet"] if command == "run" else []))
            self.assertEqual(0, result.returncode, result.stderr)
            self.assertIn("step01-host-crash.json: /faults/events/0/at_s: comes at or after the end of the run "
                          "(100.0 s): it does not happen", result.stderr)
        self.assertNotIn("does not happen", archsim("validate", host_crash).stderr)
        # A recover of a host that no crash holds down (the crash ended at 60 s) does nothing.
        for command in ("validate", "run"):
            result = archsim(command, STEP1, "--set",
                             'faults={"events":[{"at_s":30,"crash":{"host":"node1"},"duration_s":30},'
                             '{"at_s":70,"recover":{"host":"node1"}}]}',
                             *(["--out", self.path("recover"), "--quiet"] if command == "run" else []))
            self.assertEqual(0, result.returncode, result.stderr)
            self.assertIn("--set faults: /faults/events/1: recover at 70.0 s does nothing: node1 is not down then",
                          result.stderr)
        # A fault too short to end after it starts would never be undone.
        result = archsim("validate", STEP1, "--set",
                         'faults={"events":[{"at_s":1,"crash":{"host":"node1"},"duration_s":1e-17}]}')
        self.assertEqual(2, result.returncode)
        self.assertIn("/faults/events/0/duration_s: too short to end after it starts at 1.0 s", result.stderr)

    def test_a_mistyped_command_is_named(self):
        for words in (["rnu", STEP1], ["--log-level", "info", "rnu", STEP1], ["--log-level=info", "rnu", STEP1]):
            with self.subTest(words=words):
                result = archsim(*words)
                self.assertEqual(2, result.returncode)
                self.assertIn("archsim: unknown command rnu (the commands: ", result.stderr)
        # Options of archsim itself before a known command still work.
        self.assertEqual(0, archsim("--log-level", "warn", "validate", STEP1).returncode)

    def test_control_characters_of_the_user_are_not_written_raw(self):
        # A key, a file name or a command holding an escape sequence would recolour (or
        # rewrite) the terminal when echoed: every message writes them as JSON escapes.
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "step\x1b[31m.json")
            with open(path, "w") as f:
                json.dump({"extends": STEP1, "bo\u0007gus": 1}, f)
            for words in (["validate", path], ["\x1b[2J"], ["validate", STEP1, "--set", "hosts.node1.c\nres=2"]):
                with self.subTest(words=words):
                    result = archsim(*words)
                    self.assertEqual(2, result.returncode)
                    self.assertNotRegex(result.stderr.rstrip("\n"), "[\x00-\x1f\x7f]")
            result = archsim("validate", path)
            self.assertIn("step\\u001b[31m.json: /bo\\u0007gus: unknown key", result.stderr)
            with open(path, "w") as f:
                json.dump({"extends": STEP1}, f)
            result = archsim("validate", path)
            self.assertEqual(0, result.returncode)
            self.assertNotRegex(result.stdout.rstrip("\n"), "[\x00-\x1f\x7f]")

    def test_output_that_cannot_be_written_is_an_error(self):
        with open("/dev/full", "w") as full:
            result = subprocess.run([ARCHSIM, "validate", STEP1], stdout=full, stderr=subprocess.PIPE, text=True)
        self.assertEqual(1, result.returncode)
        self.assertIn("cannot write to the standard output", result.stderr)

    def test_a_drain_of_days_is_simulated_not_waited_for(self):
        # A request sent at the end of a 3 s run retries for 99 hours (the largest backoff,
        # 100 attempts): the drain follows it to the end without costing minutes of wall
        # time (a guard against a hang: it took over 3 minutes when the watch for Ctrl-C
        # kept its step of the run through the drain).
        doc = {"description": "long drain", "duration_s": 3, "warmup_s": 0,
               "services": {"web": {"kind": "app_server", "host": {"cores": 2}, "workers": 4,
                                    "endpoints": {"home": {"steps": [{"cpu_ms": 5}]}}}},
               "clients": {"users": {"model": "open", "target": "web", "rate_rps": 1, "timeout_ms": 1,
                                     "retry": {"max_attempts": 100, "backoff_ms": 3.6e6, "max_backoff_ms": 3.6e6,
                                               "jitter": "none"},
                                     "operations": {"home": {"weight": 1, "endpoint": "home"}}}}}
        path = self.path("drain.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        out = self.path("drained")
        result = subprocess.run([ARCHSIM, "run", path, "--quiet", "--out", out], capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(0, result.returncode, result.stderr)
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        self.assertGreater(summary["drain_s"], 99 * 3600 - 10)
        self.assertEqual(0, summary["requests"]["in_flight"])

    def test_a_temporary_folder_that_is_a_file_is_named(self):
        not_a_folder = self.path("file")
        open(not_a_folder, "w").close()
        env = dict(os.environ, TMPDIR=not_a_folder)
        result = subprocess.run([ARCHSIM, "run", STEP1, "--replications", "2", *SHORT], capture_output=True,
                                text=True, env=env)
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn(f"$TMPDIR: is not a folder for scratch files: Not a directory (got {not_a_folder})",
                      result.stderr)


class OutputFolderTest(Scratch):
    """What a command writes and removes in its output folder is its own: never the user's
    files, never its own inputs; and what it cannot do there is said before anything runs."""
    TINY = ["--duration-s", "2", "--set", "warmup_s=0"]

    def touch(self, *parts):
        os.makedirs(self.path(*parts[:-1]), exist_ok=True)
        with open(self.path(*parts), "w") as f:
            f.write("mine\n")

    def test_a_run_replaces_only_the_replication_folders_runs_wrote(self):
        self.touch("out", "rep-abc", "notes.txt")
        self.touch("out", "rep-1", "notes.txt")
        self.touch("out", "rep-005", "summary.json")
        result = archsim("run", STEP1, *self.TINY, "--out", self.path("out"), "--quiet")
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(["events.csv", "latency_histogram.csv", "rep-1", "rep-abc", "summary.json",
                          "timeseries.csv"], sorted(os.listdir(self.path("out"))))
        # A replication folder holding the user's files is not removed: the run is refused.
        self.touch("out", "rep-002", "thesis.tex")
        for command in (["run", STEP1, *self.TINY], ["run", STEP1, *self.TINY, "--replications", "2"]):
            result = archsim(*command, "--out", self.path("out"), "--quiet")
            self.assertEqual(2, result.returncode, result.stderr)
            self.assertIn("--out: rep-002 there holds files no run writes", result.stderr)
        self.assertTrue(os.path.exists(self.path("out", "rep-002", "thesis.tex")))
        # A file named like a replication folder: refused before the runs (moving the new
        # replications in place failed after them).
        self.touch("out3", "rep-002")
        result = archsim("run", STEP1, *self.TINY, "--replications", "3", "--out", self.path("out3"))
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("rep-002 there is not a folder", result.stderr)
        # A result file's name taken by a folder is said before the run, not after it.
        self.touch("out2", "timeseries.csv", "x")
        result = archsim("run", STEP1, *self.TINY, "--out", self.path("out2"))
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("timeseries.csv there is a folder", result.stderr)

    def test_inputs_inside_the_output_folder_are_never_overwritten(self):
        with open(STEP1) as f:
            text = f.read()
        for place in (("d1", "summary.json"), ("d2", "rep-001", "scen.json"), ("d3", "sweep.csv")):
            os.makedirs(self.path(*place[:-1]), exist_ok=True)
            with open(self.path(*place), "w") as f:
                f.write(text)
        cases = [(["run", self.path("d1", "summary.json"), "--out", self.path("d1")], "an input of this command"),
                 (["run", self.path("d2", "rep-001", "scen.json"), "--out", self.path("d2"), "--replications", "2"],
                  "rep-001 there holds files no run writes"),
                 (["sweep", self.path("d3", "sweep.csv"), "--out", self.path("d3"), "--force", "--vary", "seed=1,2"],
                  "an input of this command")]
        for words, message in cases:
            with self.subTest(command=words[0]):
                result = archsim(*words, *self.TINY)
                self.assertEqual(2, result.returncode, result.stderr)
                self.assertIn(message, result.stderr)
        for place in (("d1", "summary.json"), ("d2", "rep-001", "scen.json"), ("d3", "sweep.csv")):
            with open(self.path(*place)) as f:
                self.assertEqual(text, f.read())
        # compare: a finished result that is also where a scenario's run would go.
        self.assertEqual(0, archsim("compare", STEP1, "--out", self.path("cx"), *self.TINY).returncode)
        result = archsim("compare", STEP1, self.path("cx", "1-step01-single-node"), "--out", self.path("cx"), *self.TINY)
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("would overwrite or remove", result.stderr)

    def test_interrupted_replications_leave_the_earlier_results_as_they_were(self):
        # The replications run in a staging folder inside --out, and replace the earlier
        # results only once all are done.
        import signal
        import time
        out = self.path("reps")
        self.assertEqual(0, archsim("run", STEP1, *self.TINY, "--replications", "2", "--out", out, "--quiet").returncode)
        with open(os.path.join(out, "summary.json")) as f:
            before = f.read()
        process = subprocess.Popen([ARCHSIM, "run", STEP1, "--duration-s", "20000", "--replications", "2",
                                    "--out", out, "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        self.assertEqual(130, process.returncode, stderr)
        with open(os.path.join(out, "summary.json")) as f:
            self.assertEqual(before, f.read())
        self.assertEqual(["events.csv", "latency_histogram.csv", "rep-001", "rep-002", "summary.json",
                          "timeseries.csv"], sorted(os.listdir(out)))
        # Finished, they replace them.
        self.assertEqual(0, archsim("run", STEP1, "--duration-s", "3", "--set", "warmup_s=0", "--replications", "3",
                                    "--out", out, "--quiet").returncode)
        with open(os.path.join(out, "summary.json")) as f:
            self.assertEqual(3, json.load(f)["replications"]["count"])
        self.assertEqual(["events.csv", "latency_histogram.csv", "rep-001", "rep-002", "rep-003", "summary.json",
                          "timeseries.csv"], sorted(os.listdir(out)))

    @staticmethod
    def children_of(pid):
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open("/proc/%s/stat" % entry) as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == pid:
                    found.append(int(entry))
        return found

    @staticmethod
    def running(pid):
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(self):
        # SIGKILL leaves no time to clean up: the next run into the folder removes what a
        # process of this host that has ended left there, if it holds only results.
        import signal
        import socket
        import time
        out = self.path("killed")
        process = subprocess.Popen([ARCHSIM, "run", STEP1, "--duration-s", "20000", "--replications", "2",
                                    "--out", out, "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while not any(n.startswith(".archsim-staging-") for n in (os.listdir(out) if os.path.isdir(out) else [])):
            self.assertLess(time.time(), deadline, "no staging folder appeared")
            time.sleep(0.1)
        time.sleep(1)
        children = self.children_of(process.pid)
        self.assertEqual(2, len(children))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        # Its runs stop with it: none goes on writing into the folder.
        for pid in children:
            while self.running(pid):
                self.assertLess(time.time(), deadline + 60, "a child run outlived its parent")
                time.sleep(0.1)
        left = [n for n in os.listdir(out) if n.startswith(".archsim-staging-")]
        self.assertEqual(1, len(left))
        host = socket.gethostname()
        # Kept: a live process's folder, another host's, an ended one holding a file no run
        # writes (a kept folder's KEPT.txt), and one whose lock a live process holds (in
        # another PID namespace, its id says nothing here).
        import fcntl
        alive = ".archsim-staging-%s-%d" % (host, os.getpid())
        other = ".archsim-staging-%s-elsewhere-%d" % (host, 1)
        kept = ".archsim-staging-%s-%d" % (host, 999999999)
        locked = ".archsim-staging-%s-%d" % (host, 999999998)
        self.touch("killed", alive, "rep-001", "summary.json")
        self.touch("killed", other, "summary.json")
        self.touch("killed", kept, "KEPT.txt")
        self.touch("killed", locked, ".archsim-lock")
        lock = open(os.path.join(out, locked, ".archsim-lock"))
        self.addCleanup(lock.close)
        fcntl.flock(lock, fcntl.LOCK_EX)
        self.touch("killed", left[0], "notes.txt")
        result = archsim("run", STEP1, *self.TINY, "--replications", "2", "--out", out)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertNotIn("killed before it finished", result.stderr)
        os.remove(os.path.join(out, left[0], "notes.txt"))
        result = archsim("run", STEP1, *self.TINY, "--replications", "2", "--out", out)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn("removed %s: the replications of a run that was killed before it finished"
                      % os.path.join(out, left[0]), result.stderr)
        self.assertEqual(sorted([alive, other, kept, locked, "events.csv", "latency_histogram.csv", "rep-001",
                                 "rep-002", "summary.json", "timeseries.csv"]), sorted(os.listdir(out)))

    def test_sweep_force_removes_only_what_a_sweep_made(self):
        out = self.path("sweep")
        self.assertEqual(0, archsim("sweep", STEP1, "--vary", "seed=1,2", "--out", out, *self.TINY).returncode)
        self.touch("sweep", "point-x", "notes.txt")
        result = archsim("sweep", STEP1, "--vary", "seed=3,4", "--out", out, "--force", *self.TINY)
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("point-x there was not made by a sweep", result.stderr)
        self.assertTrue(os.path.exists(os.path.join(out, "point-0001", "summary.json")))  # nothing removed
        os.remove(os.path.join(out, "point-x", "notes.txt"))
        os.rmdir(os.path.join(out, "point-x"))
        self.touch("sweep", "slurm-12_1.out")
        self.assertEqual(0, archsim("sweep", STEP1, "--vary", "seed=3,4", "--out", out, "--force", *self.TINY).returncode)
        self.assertFalse(os.path.exists(os.path.join(out, "slurm-12_1.out")))
        result = archsim("sweep", STEP1, "--vary", "seed=1,2", "--out", "")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("--out: needs a folder", result.stderr)

    def test_a_setting_given_twice_is_refused(self):
        for words in (["--set", "seed=1", "--set", "seed=2"],
                      ["--set", "hosts.node1.cores=1", "--set", 'hosts={"node1":{"cores":8}}']):
            result = archsim("validate", STEP1, *words)
            self.assertEqual(2, result.returncode, result.stderr)
            self.assertIn("given before it, which would then do nothing", result.stderr)
        # A section then a value inside it: both count.
        self.assertEqual(0, archsim("validate", STEP1, "--set", 'hosts={"node1":{"cores":8}}',
                                    "--set", "hosts.node1.cores=1").returncode)
        for words in (["--vary", "seed=1,2", "--set", "seed=5"],
                      ["--vary", "hosts.node1.cores=1,2", "--vary", 'hosts={"node1":{"cores":8}}']):
            result = archsim("sweep", STEP1, *words, "--out", self.path("s"), *self.TINY)
            self.assertEqual(2, result.returncode, result.stderr)
            self.assertIn("given before it", result.stderr)

    def test_a_seed_given_by_set_works_with_replications_and_an_automatic_warm_up(self):
        result = archsim("run", STEP1, "--duration-s", "30", "--set", 'warmup_s="auto"', "--set", "seed=5",
                         "--out", self.path("auto"), "--quiet")
        self.assertEqual(0, result.returncode, result.stderr)
        with open(self.path("auto", "summary.json")) as f:
            self.assertEqual(5, json.load(f)["seed"])
        result = archsim("run", STEP1, *self.TINY, "--set", "seed=5", "--replications", "2",
                         "--out", self.path("reps"), "--quiet")
        self.assertEqual(0, result.returncode, result.stderr)
        with open(self.path("reps", "rep-001", "summary.json")) as f:
            self.assertEqual(5, json.load(f)["seed"])

    def test_a_child_run_that_refuses_its_input_is_bad_input(self):
        # MSER-5 finds no steady state in a 10 s run: bad input in every command that runs it.
        for words in (["compare", STEP1], ["sweep", STEP1, "--vary", "seed=1,2", "--out", self.path("sw")]):
            result = archsim(*words, "--duration-s", "10", "--set", 'warmup_s="auto"')
            self.assertEqual(2, result.returncode, result.stderr)
            self.assertIn("MSER-5 finds no steady state", result.stderr)
            self.assertIn("its run refused the input", result.stderr)
        # A capacity search stops where the scenario does (a hit ratio is at most 1).
        result = archsim("capacity", STEP1, *self.TINY, "--slo", "p99_ms<=10000",
                         "--find-max", "services.db.buffer_cache_hit_ratio")
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn("up to 1 (the largest value the scenario accepts)", result.stdout)


class ChildWarningsTest(Scratch):
    """A scenario's warnings come once from the command, not again from each of its runs,
    and child runs log at the level the command was given."""
    CRASH = os.path.join(ROOT, "scenarios", "step01-host-crash.json")
    LATE = "/faults/events/0/at_s: comes at or after the end of the run"  # a crash at 120 s
    TINY = ["--duration-s", "3", "--set", "warmup_s=0"]

    def test_replications_give_a_warning_once(self):
        result = archsim("run", self.CRASH, *self.TINY, "--replications", "3", "--out", self.path("r"), "--quiet")
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(1, result.stderr.count(self.LATE), result.stderr)

    def test_compare_gives_each_warning_once_and_children_follow_the_log_level(self):
        result = archsim("compare", self.CRASH, STEP1, *self.TINY, "--replications", "2", "--out", self.path("c"))
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(1, result.stderr.count(self.LATE), result.stderr)
        quiet = archsim("--log-level", "error", "compare", self.CRASH, STEP1, *self.TINY, "--out", self.path("c"))
        self.assertEqual(0, quiet.returncode, quiet.stderr)
        self.assertNotIn("warning", quiet.stderr)
        # info reaches the child runs too: each says what it runs.
        verbose = archsim("--log-level", "info", "compare", self.CRASH, STEP1, *self.TINY, "--out", self.path("c"))
        self.assertEqual(0, verbose.returncode, verbose.stderr)
        self.assertEqual(2, verbose.stderr.count("[info] running "), verbose.stderr)

    def test_a_sweep_names_the_point_a_warning_comes_with(self):
        result = archsim("sweep", self.CRASH, "--vary", "duration_s=100,150,200", "--set", "warmup_s=0",
                         "--out", self.path("s"))
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(1, result.stderr.count(self.LATE), result.stderr)
        self.assertIn(self.LATE + " (100.0 s): it does not happen (with duration_s=100)", result.stderr)
        # The scenario's own warning is given once, as is.
        result = archsim("sweep", self.CRASH, "--vary", "services.web.workers=8,16", *self.TINY,
                         "--out", self.path("t"))
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(1, result.stderr.count(self.LATE), result.stderr)
        self.assertIn(self.LATE + " (3.0 s): it does not happen\n", result.stderr)

    def test_capacity_gives_the_warnings_of_the_values_it_runs(self):
        result = archsim("capacity", self.CRASH, "--slo", "p99_ms<=500", "--find-max", "duration_s",
                         "--lower", "100", "--upper", "110", "--precision", "0.05", "--set", "warmup_s=0")
        self.assertEqual(0, result.returncode, result.stderr)
        ran = {line.split()[0] for line in result.stdout.splitlines() if " p99 " in line}
        warned = {line.rsplit("(with duration_s=", 1)[1].rstrip(")") for line in result.stderr.splitlines()
                  if self.LATE in line}
        self.assertTrue(ran, result.stdout)
        self.assertEqual(ran, warned, result.stderr)


class NumbersAndProgressTest(unittest.TestCase):
    def test_numbers(self):
        result = archsim("numbers")
        self.assertEqual(0, result.returncode)
        self.assertIn("Round trip within the same datacenter", result.stdout)
        self.assertIn("52.60 minutes", result.stdout)  # 99.99% a year
        self.assertIn("2^30", result.stdout)
        converted = archsim("numbers", "--availability", "99.95")
        self.assertIn("4.38 hours", converted.stdout)
        self.assertEqual(2, archsim("numbers", "--availability", "120").returncode)

    def test_progress_only_on_a_terminal(self):
        args = [STEP3, "--duration-s", "240", "--set", "faults=null"]
        plain = archsim("run", *args)
        self.assertNotIn("ETA", plain.stderr)
        if shutil.which("script") is None:
            self.skipTest("script (util-linux) is not installed")
        command = " ".join([ARCHSIM, "run", *args, ">/dev/null"])
        tty = subprocess.run(["script", "-qc", command, "/dev/null"], capture_output=True, text=True)
        self.assertIn("ETA", tty.stdout)
        quiet = subprocess.run(["script", "-qc", command + " --quiet", "/dev/null"], capture_output=True, text=True)
        self.assertNotIn("ETA", quiet.stdout)

    def test_progress_of_a_run_that_crawls(self):
        # An overloaded run advances milliseconds per wall second: the line still shows, by
        # wall time, with the simulated time it has reached.
        if shutil.which("script") is None:
            self.skipTest("script (util-linux) is not installed")
        command = " ".join([ARCHSIM, "run", STEP1, "--duration-s", "30", "--set",
                            "clients.shoppers.rate_rps=1000000", ">/dev/null"])
        tty = subprocess.run(["timeout", "-s", "INT", "4", "script", "-qc", command, "/dev/null"],
                             capture_output=True, text=True)
        self.assertIn("ETA", tty.stdout)
        self.assertRegex(tty.stdout, r"t=0\.0\d*/30 s")


if __name__ == "__main__":
    unittest.main()
