#!/usr/bin/python3
"""Every invalid-input rule gives a clear error naming the file, JSON path and rule, and
exit status 2, from both `archsim validate` and `archsim run`; never a crash."""
import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, archsim, load_merged  # noqa: E402

INVALID = os.path.join(ROOT, "tests", "invalid")
KINDS = os.path.join(ROOT, "tests", "kinds")


def expectations():
    """(sample path, JSON pointer, rule, blamed file) of tests/invalid/ (shared rules) and of
    each kind's invalid/ folder (tests/kinds/KIND/invalid/)."""
    folders = [INVALID] + sorted(os.path.join(KINDS, k, "invalid") for k in os.listdir(KINDS)
                                 if os.path.isdir(os.path.join(KINDS, k, "invalid")))
    out = []
    for folder in folders:
        with open(os.path.join(folder, "expected.json")) as f:
            for name, (pointer, rule, *blamed) in sorted(json.load(f).items()):
                out.append((os.path.join(folder, name), pointer, rule,
                            os.path.join(folder, blamed[0]) if blamed else os.path.join(folder, name)))
    return folders, out


FOLDERS, EXPECTED = expectations()


class InvalidInputTest(unittest.TestCase):
    def test_each_rule(self):
        for path, pointer, rule, named in EXPECTED:
            name = os.path.relpath(path, ROOT)
            # The error names the file that set the bad value (another one of an extends chain).
            with self.subTest(file=name):
                for command in ("validate", "run"):
                    result = archsim(command, path)
                    self.assertEqual(2, result.returncode, result.stderr)
                    self.assertIn(f"{named}: {pointer}: {rule}", result.stderr)
                    self.assertNotIn("internal error", result.stderr)

    def test_every_sample_has_an_expectation(self):
        on_disk = set()
        for folder in FOLDERS:
            for root, _, files in os.walk(folder):
                # Besides the samples: the access logs that replay samples read (*.csv).
                on_disk.update(os.path.join(root, f) for f in files if f != "expected.json" and not f.endswith(".csv"))
        on_disk.discard(os.path.join(INVALID, "semantic", "extends-loop-b.json"))  # the other half of the loop
        self.assertEqual(on_disk, {path for path, *_ in EXPECTED})

    def test_every_broken_option_is_an_error_alone_never_a_crash(self):
        # Each top-level setting, each service and client of two scenarios that hold every
        # kind (and the faults of the earlier steps), each of their options and each member
        # of those, removed or replaced by a value of another type: exit 0 or 2 with a
        # message naming the file and a JSON path, never a signal, an abort or another
        # status. The scenario was valid: when the changed value itself is reported, nothing
        # else may be (a reference to a service whose entry broke, or a check comparing with
        # the default that stood in for the broken value, would blame what is right).
        from concurrent.futures import ThreadPoolExecutor
        import copy
        import re
        missing = object()
        cases = []
        for name in ("step05-async-mq.json", "step04-cache-cdn.json"):
            doc = load_merged(os.path.join(ROOT, "scenarios", name))
            for key in doc:
                for bad in (missing, {}, [], "x", -1, 0):
                    cases.append((doc, [key], bad))
            for section in ("services", "clients"):
                for owner, spec in doc[section].items():
                    for bad in (missing, 5):
                        cases.append((doc, [section, owner], bad))
                    for key, value in spec.items():
                        for bad in (missing, {}, [], "x", -1):
                            cases.append((doc, [section, owner, key], bad))
                        if isinstance(value, dict):
                            for member in value:
                                for bad in (missing, {}, "x"):
                                    cases.append((doc, [section, owner, key, member], bad))

        self.assertGreater(len(cases), 1000)
        # Under the sanitizers (scripts/test --sanitize) a validation costs five times as
        # much: every fifth case, which still reaches every service.
        if os.environ.get("ASAN_OPTIONS"):
            cases = cases[::5]

        with tempfile.TemporaryDirectory() as tmp:
            def check(indexed):
                i, (doc, path, bad) = indexed
                broken = copy.deepcopy(doc)
                node = broken
                for step in path[:-1]:
                    node = node[step]
                if bad is missing:
                    del node[path[-1]]
                else:
                    node[path[-1]] = bad
                file = os.path.join(tmp, f"case-{i}.json")
                with open(file, "w") as f:
                    json.dump(broken, f)
                r = archsim("validate", file)
                return path, "removed" if bad is missing else json.dumps(bad), r.returncode, r.stderr

            with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
                for path, what, code, stderr in pool.map(check, enumerate(cases)):
                    where = ".".join(path)
                    self.assertIn(code, (0, 2), f"{where} {what}: exit {code}\n{stderr}")
                    if code != 2:
                        continue
                    self.assertRegex(stderr, r"case-\d+\.json: /", f"{where} {what}: {stderr}")
                    errors = [line for line in stderr.splitlines() if re.search(r"case-\d+\.json: /", line)]
                    changed = re.compile(r"case-\d+\.json: " + re.escape("/" + "/".join(path)) + r"[/:]")
                    if any(changed.search(line) for line in errors):
                        self.assertEqual([], [line for line in errors if not changed.search(line)],
                                         f"{where} {what}: errors besides the one at the changed value")

    def test_missing_file(self):
        result = archsim("validate", "no/such/file.json")
        self.assertEqual(2, result.returncode)
        self.assertIn("no/such/file.json: /: cannot read file", result.stderr)

    def test_bad_overrides(self):
        scenario = os.path.join(ROOT, "scenarios", "step01-single-node.json")
        result = archsim("run", scenario, "--set", "clients.shoppers.rate_rps")
        self.assertEqual(2, result.returncode)
        self.assertIn("expected PATH=VALUE", result.stderr)
        result = archsim("run", scenario, "--set", "clients.shoppers.rate_rps=-1")
        self.assertEqual(2, result.returncode)
        self.assertIn("--set clients.shoppers.rate_rps: /clients/shoppers/rate_rps: must be >= 0 (got -1)",
                      result.stderr)
        result = archsim("run", scenario, "--duration-s", "-5")
        self.assertEqual(2, result.returncode)
        self.assertIn("--duration-s: must be a number > 0 and <= 31536000 (got -5)", result.stderr)
        # An array index is written as JSON pointers write it: "01" is none.
        for path, message in (("/services/web/endpoints/view_item/steps/01/cpu_ms", "no such setting"),
                              ("/services/web/endpoints/view_item/steps/01", "no array element 01")):
            result = archsim("validate", scenario, "--set", path + "=2")
            self.assertEqual(2, result.returncode, path)
            self.assertIn(message, result.stderr)
        self.assertEqual(0, archsim("validate", scenario, "--set",
                                    "/services/web/endpoints/view_item/steps/0/cpu_ms=2").returncode)

    def test_paths_of_overrides_are_checked_against_the_schema(self):
        scenario = os.path.join(ROOT, "scenarios", "step01-single-node.json")
        cases = [
            (["run", scenario, "--set", "clients.shopers.rate_rps=5"],
             '--set clients.shopers.rate_rps: /clients/shopers: no such entry (did you mean "shoppers"?)'),
            (["run", scenario, "--set", "services.web.workres=5"],
             '--set services.web.workres: /services/web/workres: no such setting (did you mean "workers"?)'),
            (["sweep", scenario, "--vary", "clients.shoppers.ratee_rps=1,2", "--out", tempfile.mkdtemp()],
             '--vary clients.shoppers.ratee_rps: /clients/shoppers/ratee_rps: no such setting (did you mean "rate_rps"?)'),
            (["capacity", scenario, "--slo", "p99_ms<=200", "--find-max", "clients.shoppers.ratee_rps"],
             '--find-max clients.shoppers.ratee_rps: /clients/shoppers/ratee_rps: no such setting'),
            (["run", scenario, "--set", "services.web.host.cores=8"], "not an object"),
            (["run", scenario, "--duration-s", "nan"], "--duration-s: must be a number > 0 and <= 31536000 (got nan)"),
            (["run", scenario, "--duration-s", "20"], "--duration-s: /duration_s: must be greater than warmup_s (20"),
            (["run", scenario, "--seed", "-1"], "--seed: must be a whole number from 0 to 9007199254740991 (got -1)"),
            (["run", scenario, "--trace-sample", "0", "--out", tempfile.mkdtemp()],
             "--trace-sample: must be a whole number from 1 to 1000000000000 (got 0)"),
            (["compare", scenario, "--jobs", "0"], "--jobs: must be a whole number from 1 to 1024 (got 0)"),
        ]
        for args, message in cases:
            with self.subTest(args=" ".join(args[2:])):
                result = archsim(*args)
                self.assertEqual(2, result.returncode, result.stderr)
                self.assertIn(message, result.stderr)
        # A whole new section or entry is still set as a whole.
        ok = archsim("validate", scenario)
        self.assertEqual(0, ok.returncode)
        added = archsim("run", scenario, "--duration-s", "25", "--quiet", "--set",
                        'faults={"events": [{"at_s": 22, "crash": {"host": "node1"}, "duration_s": 1}]}')
        self.assertEqual(0, added.returncode, added.stderr)

    def test_a_broken_override_is_said_alone_and_blamed_on_the_option(self):
        # The run's duration broken from the command line is one error of that option (it
        # was a crash when the option differed from the file's warm-up), and null, which
        # deletes, leaves a missing key that the option is blamed for too.
        scenario = os.path.join(ROOT, "scenarios", "step03-load-balancer.json")
        cases = [("duration_s=0", "--set duration_s: /duration_s: must be > 0 (got 0)"),
                 ('duration_s="x"', '--set duration_s: /duration_s: must be a number (got "x")'),
                 ("duration_s=null", "--set duration_s: /duration_s: required key is missing"),
                 ("services=null", "--set services: /services: required key is missing"),
                 ('services.web.kind="bogus"', "--set services.web.kind: /services/web/kind: must be one of"),
                 ("services.lb.backend=7", "--set services.lb.backend: /services/lb/backend: must be a string")]
        for setting, message in cases:
            with self.subTest(setting=setting):
                result = archsim("run", scenario, "--set", setting, "--out", tempfile.mkdtemp())
                self.assertEqual(2, result.returncode, result.stderr)
                self.assertEqual([message], [line[:len(message)] for line in result.stderr.splitlines()])
        # What an option's null deleted is named where the file still refers to it; a count
        # over the thread limit is blamed on the option that set it.
        result = archsim("validate", scenario, "--set", "services.web=null")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertEqual(['/services/lb/backend: no such service (--set services.web removed it) (got "web")',
                          "/faults/events/0/crash/replica: no such replica (--set services.web removed it) "
                          '(got "web-2")'],
                         [line.split(": ", 1)[1] for line in result.stderr.splitlines()])
        result = archsim("validate", scenario, "--set", "services.web.replicas=40000")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("--set services.web.replicas: /services/web/replicas: the replicas alone hold", result.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            patch = os.path.join(tmp, "patch.json")

            def validate_patch(doc):
                with open(patch, "w") as f:
                    json.dump(doc, f)
                return archsim("validate", patch)

            # So is a patch file's null.
            result = validate_patch({"extends": scenario, "services": {"db": None}})
            self.assertEqual(2, result.returncode, result.stderr)
            self.assertIn(f"step01-single-node.json: /services/web/endpoints/checkout/steps/1/call: no such service "
                          f"({patch} removed it)", result.stderr)
            # A replica's host goes with its service.
            self.assertIn(f"step03-load-balancer.json: /faults/events/1/crash/host: no such host ({patch} removed it)",
                          result.stderr)
            # A rule between two values blames the one changed last: the patch's replicas, not
            # the base's replication (nor the base's replicas when the patch adds replication).
            result = validate_patch({"extends": scenario, "services": {"db": {"replicas": 1}}})
            self.assertEqual(2, result.returncode, result.stderr)
            self.assertEqual([f"{patch}: /services/db/replicas: must be at least 2 under replication "
                              "(a primary and a replica) (got 1)"], result.stderr.splitlines())
            result = archsim("validate", scenario, "--set", "services.db.replicas=1")
            self.assertIn("--set services.db.replicas: /services/db/replicas: must be at least 2", result.stderr)
            step2 = os.path.join(ROOT, "scenarios", "step02-separate-db.json")
            result = validate_patch({"extends": step2, "services": {"db": {"replication": {"mode": "async"}}}})
            self.assertEqual([f"{patch}: /services/db/replication: needs replicas >= 2 (a primary and at least one "
                              "replica)"], result.stderr.splitlines())
            # The state a CDN keeps per key, raised by a patch: blamed on the patch's setting,
            # not on the base file's key count.
            cdn = os.path.join(ROOT, "scenarios", "step04-cache-cdn.json")
            result = validate_patch({"extends": cdn, "services": {"cdn": {"admission": {"min_requests": 1000000,
                                                                                          "window_s": 600}}}})
            self.assertEqual(2, result.returncode, result.stderr)
            self.assertIn(f"{patch}: /services/cdn/admission/min_requests: state kept per key by cdn", result.stderr)
            self.assertNotIn("step04-cache-cdn.json:", result.stderr)
            # Once for every client whose keys overflow it, not once per client.
            result = archsim("validate", os.path.join(ROOT, "scenarios", "step04-cdn-cost-policies.json"),
                             "--set", "services.cdn.admission.min_requests=1000000")
            self.assertEqual(1, len(result.stderr.splitlines()), result.stderr)
            self.assertIn("the keys of browsers_ca (20000 keys), browsers_nl (20000 keys), shoppers", result.stderr)
            # Objects made larger than the storage: the option that did it is blamed.
            result = archsim("validate", cdn, "--set", 'services.cdn.object_kb={"dist":"lognormal","mean":1e300,'
                                                       '"p99":2e300}')
            self.assertEqual(["--set services.cdn.object_kb: /services/cdn/object_kb: larger on average (1e+300 KiB) "
                              "than the storage (0.5 GB)"],
                             result.stderr.splitlines())
        # Which keys an object takes is its discriminator's choice: a distribution's dist or a
        # service's kind changed later takes the blame for the keys that no longer fit.
        step1 = os.path.join(ROOT, "scenarios", "step01-single-node.json")
        dist = "services.web.endpoints.view_item.steps.0.cpu_ms.dist"
        result = archsim("validate", step1, "--set", dist + '="constant"')
        self.assertEqual(2, result.returncode, result.stderr)
        at = "/services/web/endpoints/view_item/steps/0/cpu_ms"
        self.assertEqual([f'--set {dist}: {at}/value: required key is missing where dist is "constant"',
                          f'--set {dist}: {at}/mean: unknown key where dist is "constant"',
                          f'--set {dist}: {at}/p99: unknown key where dist is "constant"'],
                         result.stderr.splitlines())
        result = archsim("validate", step1, "--set", "services.web.kind=\"cache\"")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn('--set services.web.kind: /services/web/workers: unknown key where kind is "cache"', result.stderr)
        self.assertNotIn("step01-single-node.json: /services/web/", result.stderr)
        # A key no choice takes is the file's whatever the choice (a typo).
        with tempfile.TemporaryDirectory() as tmp:
            patch = os.path.join(tmp, "typo.json")
            with open(patch, "w") as f:
                json.dump({"extends": step1, "services": {"web": {"workres": 8}}}, f)
            result = archsim("validate", patch, "--set", "services.web.kind=\"cache\"")
            self.assertIn(f'{patch}: /services/web/workres: unknown key', result.stderr)
            self.assertNotIn("--set services.web.kind: /services/web/workres", result.stderr)
        # A key the file added after the choice is the file's.
        with tempfile.TemporaryDirectory() as tmp:
            patch = os.path.join(tmp, "patch.json")
            with open(patch, "w") as f:
                json.dump({"extends": step1, "services": {"web": {"endpoints": {"view_item": {"steps": [
                    {"cpu_ms": {"dist": "constant", "value": 2, "mean": 1}}]}}}}}, f)
            result = archsim("validate", patch)
            self.assertEqual([f'{patch}: {at}/mean: unknown key where dist is "constant"'], result.stderr.splitlines())
        # Rules between two settings, and follow-ons of one broken value, in the step 4 and 5
        # kinds: the option that changed last is named, once.
        s4, s4cdn, s5 = (os.path.join(ROOT, "scenarios", n) for n in
                         ("step04-cache.json", "step04-cache-cdn.json", "step05-async-mq.json"))
        cases = [
            (s5, ["services.mq.log.commit=\"page_cache\""],
             ["--set services.mq.log.commit: /services/mq/log/commit: does not use group_ms (only commit group does)",
              "--set services.mq.log.commit: /services/mq/log/commit: does not use group_batch"]),
            (s5, ["services.payments.retry_backoff.initial_ms=1e300"],
             ["--set services.payments.retry_backoff.initial_ms: /services/payments/retry_backoff/initial_ms: "
              "larger than max_ms (30000)"]),
            (s5, ["services.payments.concurrency=100"],
             ["--set services.payments.concurrency: /services/payments/concurrency: more workers than messages pushed"]),
            (s5, ["services.payments.concurrency=100000", "services.payments.prefetch=1000000"],
             ["--set services.payments.concurrency: /services/payments/concurrency: the replicas alone hold"]),
            (s5, ["services.mq.topics.orders=null"],
             ["--set services.mq.topics.orders: /services/mq/topics: must have at least 1 entry"]),
            (s5, ['services.fraud.steps=[{"publish":"mq","topic":"orders"}]'],
             ["--set services.fraud.steps: /services/fraud/steps: calls form a cycle: fraud.deliver -> "
              "mq.publish.orders -> fraud.deliver"]),
            (s4cdn, ['services.cdn.origin="db"'],
             ['--set services.cdn.origin: /services/cdn/origin: service db has no endpoint "static" (origin_endpoint)']),
            (s4, ['services.cache.write_behind={"steps":[{"call":"db","endpoint":"insert_order"}]}'],
             ["--set services.cache.write_behind: /services/cache/write_behind: the cache_aside step at "
              "/services/web/endpoints/checkout/steps/3/cache_aside",
              "--set services.cache.write_behind: /services/cache/write_behind: the cache_aside step at "
              "/services/web/endpoints/view_item/steps/1/cache_aside"]),
            # A change deep inside a list counts as a change of the list: the call removed.
            (s5, ['services.payments.steps.2={"cpu_ms":1}'],
             ["--set services.payments.steps.2: /services/payments/steps: no step calls ledger, which "
              "connection_pools gives a pool"]),
            (os.path.join(ROOT, "scenarios", "step01-single-node.json"),
             ['services.web.endpoints.search.steps.1={"call":"web","endpoint":"search","request_kb":0,"response_kb":0}'],
             ["--set services.web.endpoints.search.steps.1: /services/web/endpoints/search: calls form a cycle: "
              "web.search -> web.search"]),
            (s4, ["services.cache.memory_mb=1e-300"],
             ["--set services.cache.memory_mb: /services/cache/memory_mb: smaller than one item's overhead"]),
        ]
        for file, settings, expected in cases:
            with self.subTest(settings=settings):
                result = archsim("validate", file, *[a for setting in settings for a in ("--set", setting)])
                self.assertEqual(2, result.returncode, result.stderr)
                lines = result.stderr.splitlines()
                self.assertEqual(len(expected), len(lines), result.stderr)
                for line, start in zip(lines, expected):
                    self.assertTrue(line.startswith(start), f"{line!r} does not start with {start!r}")
        # validate takes the same options, and checks the file as run would take it.
        result = archsim("validate", scenario, "--set", "services.web.replicas=1")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn('/faults/events/0/crash/replica: no such replica (did you mean "web-1"?)', result.stderr)
        result = archsim("validate", scenario, "--set", "duration_s=0")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("--set duration_s: /duration_s: must be > 0 (got 0)", result.stderr)
        result = archsim("validate", scenario, "--set", "services.web.replicas=3", "--duration-s", "30")
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn(": ok (3 services, 7 hosts, 1 client population)", result.stdout)

    def test_a_sweep_point_the_file_does_not_fit_is_named(self):
        # Step 3 crashes web-2: with one replica there is no web-2, which only that point says.
        scenario = os.path.join(ROOT, "scenarios", "step03-load-balancer.json")
        result = archsim("sweep", scenario, "--vary", "services.web.replicas=2,1", "--out", tempfile.mkdtemp())
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn('/faults/events/0/crash/replica: no such replica (did you mean "web-1"?) '
                      '(with services.web.replicas=1) (got "web-2")', result.stderr)
        # A replica count that is wrong itself is said once: which replicas exist is unknown,
        # so the fault naming web-2 is not blamed too.
        result = archsim("run", scenario, "--set", "services.web.replicas=-1")
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertIn("/services/web/replicas: must be >= 1 (got -1)", result.stderr)
        self.assertNotIn("no such replica", result.stderr)

    def test_a_folder_for_a_file(self):
        scenario = os.path.join(ROOT, "scenarios", "step02-separate-db.json")
        with tempfile.TemporaryDirectory() as d:
            result = archsim("validate", d)
            profile = archsim("run", scenario, "--set", f"platform.profile={d}")
        self.assertEqual(2, result.returncode)
        self.assertIn(": /: cannot read file: it is a folder", result.stderr)
        # A profile that cannot be read is said once: the hosts it would have brought are not
        # reported missing one by one.
        self.assertEqual(2, profile.returncode)
        self.assertIn(f"/platform/profile: hardware profile {d}: cannot read file: it is a folder", profile.stderr)
        self.assertNotIn("no such host", profile.stderr)

    def test_schema_and_reference_errors_in_one_pass(self):
        doc = {"description": "x", "duration_s": 10,
               "services": {"web": {"kind": "app_server", "host": {"cores": 2}, "workres": 4, "workers": 4,
                                    "endpoints": {"home": {"steps": [{"cpu_ms": 1}, {"call": "dbb", "endpoint": "get"}]}}},
                            "db": {"kind": "database", "host": "nodeX", "max_connections": 4,
                                   "buffer_cache_hit_ratio": 2, "endpoints": {"get": {"steps": [{"read_kb": 1}]}}}},
               "clients": {"users": {"model": "open", "target": "webb", "rate_rps": -5,
                                     "operations": {"home": {"weight": 1, "endpoint": "home"}}}}}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "both.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            result = archsim("validate", path)
        self.assertEqual(2, result.returncode)
        for message in ('/services/web/workres: unknown key (did you mean "workers"?)',
                        "/clients/users/rate_rps: must be >= 0", "/services/db/buffer_cache_hit_ratio: must be <= 1",
                        '/services/web/endpoints/home/steps/1/call: no such service (did you mean "db"?)',
                        '/clients/users/target: no such service (did you mean "web"?)'):
            self.assertIn(message, result.stderr)

    def test_deep_nesting_is_refused_quickly(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "deep.json")
            with open(path, "w") as f:
                f.write("[" * 100000 + "]" * 100000)
            start = time.monotonic()
            result = archsim("validate", path)
            self.assertEqual(2, result.returncode)
            self.assertIn("nesting deeper than 64 levels", result.stderr)
            self.assertLess(time.monotonic() - start, 5)

    def test_duplicate_keys_are_reported(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "dup.json")
            with open(path, "w") as f:
                f.write('{"description": "x", "duration_s": 10, "duration_s": 20, "services": {}, "clients": {}}')
            result = archsim("validate", path)
            self.assertEqual(2, result.returncode)
            self.assertIn(f"{path}: /duration_s: duplicate key", result.stderr)
        scenario = os.path.join(ROOT, "scenarios", "step01-single-node.json")
        result = archsim("run", scenario, "--set", 'hosts.node1={"cores": 2, "cores": 8}')
        self.assertEqual(2, result.returncode)
        self.assertIn("--set hosts.node1: /hosts/node1/cores: duplicate key", result.stderr)

    def test_bad_command_line(self):
        self.assertEqual(2, archsim("run").returncode)
        self.assertEqual(2, archsim("frobnicate").returncode)
        self.assertEqual(2, archsim("run", "x.json", "--no-such-flag").returncode)
        self.assertEqual(2, archsim("--log-level", "loud", "validate",
                                    os.path.join(ROOT, "scenarios", "step01-single-node.json")).returncode)


if __name__ == "__main__":
    unittest.main()
