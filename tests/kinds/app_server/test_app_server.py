#!/usr/bin/python3
"""The app_server kind: a thread-per-request server. Requests wait in FIFO order for one of
`workers` threads; beyond workers + queue_limit inside, arrivals are rejected at once. A
request whose steps only compute takes a worker's slot but no thread: the replica serves it
itself, with the same results."""
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scenarios"))
from scenario_helpers import endpoint, run, run_with_files, scenario, service  # noqa: E402


class AppServerTest(unittest.TestCase):
    def test_bounded_queue_rejects_and_bounds_the_wait(self):
        # One worker, two places in the queue, 100 ms per request, 20 requests/s offered:
        # twice what it can serve.
        s = run(scenario({"front": service({"main": endpoint({"cpu_ms": 100})}, workers=1, queue_limit=2)},
                         rate=20, duration=200))
        front = s["services"]["front"]
        self.assertEqual(front["arrivals"], front["served"] + front["rejected"] + front["refused"] + front["in_system_at_end"])
        self.assertGreater(front["rejected"], 0.4 * front["arrivals"])
        self.assertAlmostEqual(10.0, front["throughput_rps"], delta=0.3)  # the worker never idles
        # At most two requests ahead: the wait is under 200 ms, the residence under 300 ms.
        self.assertLessEqual(front["queue_wait_ms"]["max"], 200.0 + 1e-6)
        self.assertLessEqual(front["residence_ms"]["max"], 300.0 + 1e-6)
        self.assertEqual(front["rejected"], s["errors_by_cause"]["rejected"])

    def test_enough_workers_serve_everything(self):
        s = run(scenario({"front": service({"main": endpoint({"cpu_ms": 100})}, workers=8, queue_limit=2)},
                         rate=20, duration=200))
        self.assertEqual(0, s["services"]["front"]["rejected"])
        self.assertAlmostEqual(100.0, s["latency_ms"]["p50"], delta=1.0)



def flatten(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from flatten(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from flatten(v, f"{path}[{i}]")
    else:
        yield path, value


class ThreadlessTest(unittest.TestCase):
    def test_served_without_a_thread_exactly_as_with_one(self):
        # Endpoints that only compute (with groups, a choice and a step's probability) beside
        # one that writes to disk (a worker's), through crashes of a process and of the
        # host, a scale-up (boot) and a scale-down (drain, park) of the fleet.
        compute = endpoint({"cpu_ms": {"dist": "exponential", "mean": 8}},
                           {"sequence": [{"cpu_ms": {"dist": "exponential", "mean": 2}, "probability": 0.5},
                                         {"choice": [{"weight": 3, "steps": [{"cpu_ms": 1}]},
                                                     {"weight": 1, "steps": [{"cpu_ms": {"dist": "exponential",
                                                                                         "mean": 20}}]}]}]})
        web = service({"compute": compute, "store": endpoint({"cpu_ms": 2}, {"write_kb": 8})}, workers=6,
                      queue_limit=10, replicas=2, max_replicas=3, startup_s=2, host="node")
        doc = scenario({
            "lb": {"kind": "load_balancer", "host": {"cores": 4}, "backend": "web", "cpu_ms": 0},
            "web": web,
        }, target="lb", rate=400, duration=60, timeout_ms=500, platform={}, hosts={"node": {"cores": 2}},
            faults={"events": [{"at_s": 10, "crash": {"replica": "web-1"}, "duration_s": 5},
                               {"at_s": 20, "scale": {"service": "web", "replicas": 3}},
                               {"at_s": 35, "scale": {"service": "web", "replicas": 1}},
                               {"at_s": 45, "crash": {"host": "node"}},
                               {"at_s": 50, "recover": {"host": "node"}}]})
        doc["clients"]["users"]["operations"] = {
            "compute": {"weight": 4, "endpoint": "compute", "request_kb": 1, "response_kb": 4},
            "store": {"weight": 1, "endpoint": "store", "request_kb": 8, "response_kb": 1}}
        threadless, _, events = run_with_files(doc)
        # What the run went through.
        seen = {e["event"] for e in events}
        self.assertTrue({"crashed", "host_down", "draining", "parked", "up"} <= seen, seen)
        self.assertGreater(threadless["errors_by_cause"]["reset"], 0)
        self.assertGreater(threadless["errors_by_cause"]["rejected"], 0)
        self.assertGreater(threadless["requests"]["ok"], 5000)
        self.assert_same_both_ways(threadless, run(doc, "--test-threaded-steps"))

    def test_a_request_without_a_thread_waits_only_for_the_requests_ahead(self):
        # One that only computes queued behind one that reads from disk starts as soon as the
        # reader's worker takes the reader, not when the reader is done. (With this seed the
        # two users' first requests, sent at once, are a read and then a computation.)
        doc = scenario({"front": service({"read": endpoint({"read_kb": 64}), "compute": endpoint({"cpu_ms": 1})},
                                         workers=4, queue_limit=16, host="node", buffer_cache_hit_ratio=0)},
                       hosts={"node": {"cores": 4, "disk": "hdd"}}, duration=20, seed=3)
        doc["clients"] = {"users": {"model": "closed", "users": 2, "think_ms": 0, "target": "front",
                                    "timeout_ms": 1000, "operations": {
                                        "read": {"weight": 1, "endpoint": "read", "request_kb": 1, "response_kb": 1},
                                        "compute": {"weight": 1, "endpoint": "compute", "request_kb": 1,
                                                    "response_kb": 1}}}}
        threadless = run(doc)
        self.assertLess(threadless["operations"]["compute"]["latency_ms"]["p50"], 2.0)
        self.assert_same_both_ways(threadless, run(doc, "--test-threaded-steps"))

    def assert_same_both_ways(self, threadless, threaded):
        # The same numbers (sums of the same terms, at most in another order).
        a, b = dict(flatten(threadless)), dict(flatten(threaded))
        self.assertEqual(a.keys(), b.keys())

        def same(x, y):
            if isinstance(x, float) and isinstance(y, float):
                return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12)
            return x == y
        differ = {k: (a[k], b[k]) for k in a if not same(a[k], b[k])}
        self.assertEqual([".scenario_file"], sorted(differ), differ)


if __name__ == "__main__":
    unittest.main()
