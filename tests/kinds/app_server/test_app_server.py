#!/usr/bin/python3
"""The app_server kind: a thread-per-request server. Requests wait in FIFO order for one of
`workers` threads; beyond workers + queue_limit inside, arrivals are rejected at once."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scenarios"))
from scenario_helpers import endpoint, run, scenario, service  # noqa: E402


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


if __name__ == "__main__":
    unittest.main()
