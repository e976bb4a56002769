#!/usr/bin/python3
"""docs/summary-schema.json, the JSON Schema (draft 7) of summary.json: it is a valid schema
with a description on every key; every golden summary, and the summaries of short edge-case
runs (every request failing, --replications, an SLO latency, random faults, warmup_s "auto",
a replica parked all run, a worker pool busier than its starting replicas, --batch-means,
--ci-width), are valid under it; every whole number a single run writes is typed integer; and
broken summaries are rejected."""
import copy
import glob
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from common import ARCHSIM, ROOT, archsim, require_modules  # noqa: E402

require_modules("jsonschema")
import jsonschema  # noqa: E402

SCHEMA_FILE = os.path.join(ROOT, "docs", "summary-schema.json")
with open(SCHEMA_FILE) as f:
    SCHEMA = json.load(f)
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
STEP1 = os.path.join(ROOT, "scenarios", "step01-single-node.json")
GOLDEN = sorted(glob.glob(os.path.join(ROOT, "tests", "golden", "*", "summary.json")))

# Short runs of step 1 (25 s, the first 20 of them warm-up unless set), each at an edge of the
# format. Together they take a few seconds.
RUNS = {
    "normal": [],
    # The only host is down from the start: every request times out, nothing succeeds.
    "crashed_host": ["--set", 'faults={"events": [{"at_s": 0, "crash": {"host": "node1"}}]}'],
    "timeouts": ["--set", "clients.shoppers.timeout_ms=1"],
    "replications": ["--replications", "3", "--jobs", "2"],
    "slo_latency": ["--set", "metrics.slo.latency_ms=100"],
    "random_faults": ["--set", 'faults={"random": [{"host": "node1", "mtbf_s": 8, "mttr_s": 1}]}'],
    "warmup_auto": ["--set", "warmup_s=auto"],
    # web-2 is never brought into service: its uptime_fraction is null.
    "parked_replica": ["--set", "services.web.max_replicas=2"],
    # Scaled from 1 to 4 replicas of 2 workers: its utilisation is of the 8 workers then in service.
    "scaled_up": ["--set", "services.web.max_replicas=4", "--set", "services.web.workers=2",
                  "--set", 'faults={"events": [{"at_s": 1, "scale": {"service": "web", "replicas": 4}}]}'],
    "batch_means": ["--batch-means", "--set", "warmup_s=2"],
    "ci_width": ["--ci-width", "0.5", "--max-replications", "3", "--jobs", "2"],
}


def load(path):
    with open(path) as f:
        return json.load(f)


def errors(doc):
    return sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))


def error_text(errs):
    return "\n".join(f"  /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errs[:10])


def integer_paths(doc, path=()):
    """The paths of the JSON integers in doc (whole numbers written without a fraction)."""
    if isinstance(doc, bool):
        return
    if isinstance(doc, int):
        yield path
    elif isinstance(doc, dict):
        for key, value in doc.items():
            yield from integer_paths(value, path + (key,))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from integer_paths(value, path + (i,))


def at(doc, path):
    for part in path:
        doc = doc[part]
    return doc


def assert_whole_numbers_typed_integer(test, label, summary):
    """$defs/count admits fractions (the means of a combined summary), so $defs/whole_counts
    must list every count of a single run: each whole number made fractional must be an error
    at its own path."""
    paths = list(integer_paths(summary))
    broken = copy.deepcopy(summary)
    for path in paths:
        parent = at(broken, path[:-1])
        # x + 0.5 is whole again above 2^52 (a replication's seed): 0.5 there.
        parent[path[-1]] = parent[path[-1]] + 0.5 if parent[path[-1]] < 2 ** 52 else 0.5
    flagged = {tuple(e.absolute_path) for e in VALIDATOR.iter_errors(broken)}
    with test.subTest(summary=label):
        test.assertGreater(len(paths), 20)
        test.assertEqual([], ["/" + "/".join(map(str, p)) for p in paths if p not in flagged])


class SchemaTest(unittest.TestCase):
    """The schema itself and the golden summaries (no run needed)."""

    def test_the_schema_is_a_draft7_schema_with_a_description_on_every_key(self):
        jsonschema.Draft7Validator.check_schema(SCHEMA)
        self.assertEqual("http://json-schema.org/draft-07/schema#", SCHEMA["$schema"])
        self.assertEqual("https://archsim.invalid/results/v6/summary-schema.json", SCHEMA["$id"])
        self.assertTrue(SCHEMA["title"])
        self.assertEqual(6, SCHEMA["properties"]["format_version"]["const"])
        undescribed = []

        def walk(node, path):
            if isinstance(node, dict):
                for key, value in node.get("properties", {}).items():
                    if not (isinstance(value, dict) and value.get("description")):
                        undescribed.append(f"{path}/properties/{key}")
                for key, value in node.items():
                    # Conditions and the whole-number overlay restate keys described elsewhere.
                    if key in ("allOf", "anyOf", "oneOf", "not", "if", "then", "else") or key == "whole_counts":
                        continue
                    walk(value, f"{path}/{key}")
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    walk(value, f"{path}/{i}")
        walk(SCHEMA, "")
        self.assertEqual([], undescribed)

    def test_golden_summaries_are_valid(self):
        self.assertGreater(len(GOLDEN), 10)
        for path in GOLDEN:
            with self.subTest(golden=os.path.relpath(path, ROOT)):
                errs = errors(load(path))
                self.assertEqual([], errs, "\n" + error_text(errs))

    def test_every_whole_number_of_a_golden_summary_is_typed_integer(self):
        for path in GOLDEN:
            assert_whole_numbers_typed_integer(self, os.path.relpath(path, ROOT), load(path))


class RunSummariesTest(unittest.TestCase):
    """Summaries of short runs at the edges of the format, and broken ones."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(ARCHSIM):
            raise AssertionError(f"no archsim binary at {ARCHSIM}: build it, or set ARCHSIM")
        cls.tmp = tempfile.mkdtemp(prefix="archsim-summary-schema-")
        cls.summaries = {}  # run name -> summary
        cls.folders = {}
        for name, args in RUNS.items():
            out = os.path.join(cls.tmp, name)
            result = archsim("run", STEP1, "--quiet", "--duration-s", "25", "--out", out, *args)
            if result.returncode != 0:
                raise AssertionError(f"run {name} ({' '.join(args)}) failed:\n{result.stderr}")
            cls.folders[name] = out
            cls.summaries[name] = load(os.path.join(out, "summary.json"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def single_runs(self):
        """(label, summary) of every single run made here, the replications' own included."""
        out = []
        for name, summary in self.summaries.items():
            if "replications" not in summary:
                out.append((name, summary))
            for rep in sorted(glob.glob(os.path.join(self.folders[name], "rep-*", "summary.json"))):
                out.append((os.path.relpath(rep, self.tmp), load(rep)))
        return out

    def test_summaries_of_edge_case_runs_are_valid(self):
        checked = 0
        for name in RUNS:
            paths = [os.path.join(self.folders[name], "summary.json")]
            paths += sorted(glob.glob(os.path.join(self.folders[name], "rep-*", "summary.json")))
            for path in paths:
                with self.subTest(run=os.path.relpath(path, self.tmp)):
                    errs = errors(load(path))
                    self.assertEqual([], errs, "\n" + error_text(errs))
                    checked += 1
        self.assertGreaterEqual(checked, len(RUNS) + 6)  # and the replications of two runs

    def test_the_runs_reach_the_edges_they_are_meant_to(self):
        s = self.summaries
        for name in ("crashed_host", "timeouts"):
            r = s[name]["requests"]
            self.assertEqual(0, r["ok"], name)
            self.assertGreater(r["failed"], 0, name)
            self.assertEqual({0.0}, set(s[name]["latency_ms"].values()), name)  # 0, not null, when none succeeded
            self.assertEqual(0.0, s[name]["availability"], name)
            self.assertIsNotNone(s[name]["nines"], name)
            self.assertIsNone(s[name]["nines_at_least"], name)
        self.assertIsNone(s["normal"]["nines"])
        self.assertIsNone(s["normal"]["slo"]["latency_ms"])
        self.assertIsNone(s["normal"]["components"]["node1"]["configured_availability"])
        combined = s["replications"]
        self.assertEqual(3, combined["replications"]["count"])
        self.assertIn("/latency_ms/p99", combined["intervals"])
        self.assertEqual(3, len(glob.glob(os.path.join(self.folders["replications"], "rep-*", "summary.json"))))
        self.assertEqual(100, s["slo_latency"]["slo"]["latency_ms"])
        self.assertIsInstance(s["random_faults"]["components"]["node1"]["configured_availability"], float)
        self.assertIn("warmup_auto", s["warmup_auto"])
        self.assertIsNone(s["parked_replica"]["components"]["web-2"]["uptime_fraction"])
        web = s["scaled_up"]["services"]["web"]
        self.assertEqual(1.0, web["replicas_up_fraction"][4])
        self.assertAlmostEqual(web["mean_busy_workers"] / 8, web["worker_utilization"], places=5)
        self.assertTrue(s["batch_means"]["intervals"])
        self.assertIn("batch_windows", next(iter(s["batch_means"]["intervals"].values())))
        self.assertIn("precision", s["ci_width"])

    def test_every_whole_number_of_a_single_run_is_typed_integer(self):
        for label, summary in self.single_runs():
            assert_whole_numbers_typed_integer(self, label, summary)

    def test_a_combined_summary_may_hold_means_of_counts(self):
        combined = copy.deepcopy(self.summaries["replications"])
        combined["requests"]["sent"] += 0.5
        combined["peak_threads"] = 48.666667
        self.assertEqual([], errors(combined))
        single = copy.deepcopy(self.summaries["normal"])
        single["peak_threads"] = 48.666667
        self.assertNotEqual([], errors(single))

    def test_broken_summaries_are_rejected(self):
        normal = self.summaries["normal"]
        cache_golden = load(os.path.join(ROOT, "tests", "golden", "step04-cache", "summary.json"))
        lb_golden = load(os.path.join(ROOT, "tests", "golden", "step03-load-balancer", "summary.json"))

        def deleting(*path):
            return lambda s: at(s, path[:-1]).pop(path[-1])

        def setting(value, *path):
            return lambda s: at(s, path[:-1]).__setitem__(path[-1], value)

        cases = [
            ("a negative count", normal, setting(-1, "requests", "sent")),
            ("a negative count in a service", normal, setting(-3, "services", "web", "arrivals")),
            ("availability 1.5", normal, setting(1.5, "availability")),
            ("an error rate below 0", normal, setting(-0.1, "error_rate")),
            ("a missing required key", normal, deleting("latency_ms")),
            ("a missing key in a service", normal, deleting("services", "web", "arrivals")),
            ("a missing cause of error", normal, deleting("operations", "search", "errors_by_cause", "reset")),
            ("an unknown top-level key", normal, setting(1, "latency_p99_ms")),
            ("an unknown key in an operation", normal, setting(0, "operations", "search", "p99_ms")),
            ("an unknown cause of error", normal, setting(0, "errors_by_cause", "dns")),
            ("a fractional count in a single run", normal, setting(10.5, "requests", "ok")),
            ("a count written as a string", normal, setting("10", "requests", "ok")),
            ("a null latency", normal, setting(None, "latency_ms", "p99")),
            ("a negative latency", normal, setting(-1.0, "latency_ms", "p50")),
            ("a host's CPU busier than 1", normal, setting(1.01, "utilization", "node1", "cpu")),
            ("an uptime fraction above 1", normal, setting(1.2, "components", "node1", "uptime_fraction")),
            ("an unknown component kind", normal, setting("vm", "components", "node1", "kind")),
            ("a wrong format_version", normal, setting(5, "format_version")),
            ("nines and nines_at_least both null", normal, setting(None, "nines_at_least")),
            ("nines and nines_at_least both numbers", normal, setting(2.0, "nines")),
            ("an SLO latency of 0", normal, setting(0, "slo", "latency_ms")),
            ("a hop named without an arrow", normal,
             lambda s: s["hops"].__setitem__("web.db", s["hops"]["web->db.search"])),
            ("intervals without replications or --batch-means", normal, setting({}, "intervals")),
            ("a cache section on an app server", normal,
             setting(cache_golden["services"]["cache"]["cache"], "services", "web", "cache")),
            ("a cache without its cache section", cache_golden, deleting("services", "cache", "cache")),
            ("nine popularity deciles", cache_golden,
             lambda s: s["services"]["cache"]["cache"]["hit_ratio_by_popularity_decile"].pop()),
            ("ring key shares without consistent hashing", lb_golden,
             setting({"web-1": 1.0}, "services", "lb", "balancer", "ring_key_share")),
            ("an unknown balancing policy", lb_golden, setting("fastest", "services", "lb", "balancer", "policy")),
            ("an interval without its batch figures in a --batch-means run", self.summaries["batch_means"],
             lambda s: next(iter(s["intervals"].values())).pop("lag1")),
            ("batch figures in a combined summary", self.summaries["replications"],
             lambda s: next(iter(s["intervals"].values())).update(batch_windows=1, lag1=0.0, uncorrelated=True)),
            ("a combined summary without intervals", self.summaries["replications"], deleting("intervals")),
            ("precision without replications", normal, setting(self.summaries["ci_width"]["precision"], "precision")),
            ("a negative count in a combined summary", self.summaries["replications"],
             setting(-0.5, "requests", "sent")),
        ]
        for name, base, change in cases:
            with self.subTest(case=name):
                doc = copy.deepcopy(base)
                change(doc)
                self.assertNotEqual([], errors(doc), "the schema accepts it")


if __name__ == "__main__":
    unittest.main()
