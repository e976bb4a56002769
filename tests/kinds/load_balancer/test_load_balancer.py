#!/usr/bin/python3
"""The load_balancer kind: the detection gap of its health checks, what each policy costs when a
server fails (lost sessions, remapped keys), weighted and hashed shares, active/passive failover,
and its calls left to the replica's relay (the connection limit, timeouts and crashes hold)."""
import json
import math
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scenarios"))
from scenario_helpers import (PING, archsim, call, endpoint, event_times, lb, rows_between, run,  # noqa: E402,F401
                              run_with_files, scenario, service, total)


class BalancerTest(unittest.TestCase):
    def test_detection_gap_then_traffic_avoids_the_dead_backend(self):
        doc = scenario({"lb": lb(), "front": service({"main": PING}, replicas=4)}, target="lb", rate=100, duration=60,
                       faults={"events": [{"at_s": 20.05, "crash": {"replica": "front-2"}}]})
        s, rows, events = run_with_files(doc)
        down = event_times(events, "lb-1", "marks_down")
        self.assertEqual(1, len(down))
        # Three failed probes, one per second: detected between 2 and 3 s after the crash.
        self.assertGreater(down[0] - 20.05, 1.9)
        self.assertLess(down[0] - 20.05, 3.1)
        gap = rows_between(rows, 20, int(down[0]) + 1)
        self.assertGreater(total(gap, "refused"), 0.15 * total(gap, "sent"))
        self.assertEqual(0, total(rows_between(rows, math.ceil(down[0]) + 1, 60), "errors"))

    def test_sticky_sessions_are_lost_with_their_server(self):
        doc = scenario({"lb": lb(policy="sticky"), "front": service({"main": PING}, replicas=3)}, target="lb", rate=100,
                       duration=60, faults={"events": [{"at_s": 20, "crash": {"replica": "front-1"}}]})
        doc["clients"]["users"]["sessions"] = {"active": 300, "mean_requests": 1000}
        s = run(doc)
        lost = s["services"]["lb"]["balancer"]["lost_sessions"]
        # About a third of the 300 sessions lived on front-1.
        self.assertGreater(lost, 60)
        self.assertLess(lost, 140)
        calm = run(scenario({"lb": lb(policy="sticky"), "front": service({"main": PING}, replicas=3)}, target="lb",
                            rate=100, duration=60))
        self.assertEqual(0, calm["services"]["lb"]["balancer"]["lost_sessions"])

    def test_weighted_round_robin_and_consistent_hashing_shares(self):
        s = run(scenario({"lb": lb(policy="weighted_round_robin", weights=[3, 1]), "front": service({"main": PING}, replicas=2)},
                         target="lb", rate=100, duration=30))
        share = s["services"]["lb"]["balancer"]["backend_share"]
        self.assertAlmostEqual(0.75, share["front-1"], delta=0.01)
        doc = scenario({"lb": lb(policy="consistent_hash", hash_on="key", virtual_nodes=200),
                        "front": service({"main": PING}, replicas=4)}, target="lb", rate=200, duration=30)
        doc["clients"]["users"]["keys"] = {"count": 1000000}
        s = run(doc)
        ring = s["services"]["lb"]["balancer"]["ring_key_share"]
        self.assertAlmostEqual(1.0, sum(ring.values()), delta=1e-9)
        for name, fraction in s["services"]["lb"]["balancer"]["backend_share"].items():
            self.assertAlmostEqual(ring[name], fraction, delta=0.03)

    def test_active_passive_failover(self):
        doc = scenario({"lb": lb(replicas=2, mode="active_passive", failover_s=3), "front": service({"main": PING})},
                       target="lb", rate=50, duration=60, timeout_ms=500,
                       faults={"events": [{"at_s": 20, "crash": {"host": "lb-1"}}]})
        s, rows, events = run_with_files(doc)
        self.assertEqual([23.0], event_times(events, "lb", "failover"))
        self.assertAlmostEqual(3 * 50, total(rows_between(rows, 20, 24), "timeout"), delta=40)
        self.assertEqual(0, total(rows_between(rows, 24, 60), "errors"))
        self.assertEqual(1, s["services"]["lb"]["balancer"]["failovers"])


    def test_max_connections_bounds_the_calls_in_flight(self):
        # 100 requests/s of 100 ms each would keep 10 backend workers busy; the balancer's 4
        # connections let 40/s through, the others wait in its queue (FIFO, 2 s client timeout).
        slow = endpoint({"cpu_ms": {"dist": "constant", "value": 100}})
        doc = scenario({"lb": lb(max_connections=4, queue_limit=20),
                        "front": service({"main": slow}, workers=64, host={"cores": 64})},
                       target="lb", rate=100, duration=60, timeout_ms=2000)
        s = run(doc)
        front, balancer = s["services"]["front"], s["services"]["lb"]
        self.assertLessEqual(front["mean_in_system"], 4.0 + 1e-9)
        self.assertAlmostEqual(4.0, front["mean_in_system"], delta=0.1)
        self.assertAlmostEqual(40, front["throughput_rps"], delta=1.0)
        self.assertAlmostEqual(4.0, balancer["mean_busy_workers"], delta=0.1)
        self.assertGreater(balancer["queue_wait_ms"]["mean"], 200)
        self.assertGreater(balancer["rejected"], 0)

    def test_a_chain_of_balancers_works_in_any_order_of_the_file(self):
        # A global balancer in front of a regional one: the front one takes its endpoints from
        # its backend, which takes them from the servers, whichever is written first.
        servers = service({"main": endpoint({"cpu_ms": 1})}, workers=4)
        for order in (("edge", "inner", "front"), ("front", "inner", "edge"), ("inner", "edge", "front")):
            with self.subTest(order=order):
                parts = {"edge": lb(backend="inner"), "inner": lb(backend="front"), "front": servers}
                s = run(scenario({name: parts[name] for name in order}, target="edge", rate=20, duration=20))
                self.assertGreater(s["requests"]["ok"], 300)
                self.assertEqual(0, s["requests"]["failed"])
                self.assertEqual(s["services"]["edge"]["served"], s["services"]["inner"]["served"])

    def test_balancers_in_a_loop_are_one_error(self):
        # Each the other's backend: neither has endpoints. Said once, at the first of the
        # loop; the client's endpoint, which no service has, is not reported besides.
        doc = scenario({"c": lb(backend="a"), "a": lb(backend="b"), "b": lb(backend="d"), "d": lb(backend="a")},
                       target="c")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "loop.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            for command in ("validate", "run"):
                result = archsim(command, path)
                self.assertEqual(2, result.returncode, result.stderr)
                self.assertEqual([f"{path}: /services/a/backend: forms a loop: a -> b -> d -> a "
                                  "(each service takes its endpoints from the next)"],
                                 result.stderr.strip().splitlines())

    def test_a_balancer_in_front_of_a_replicated_database_is_a_warning(self):
        # The database sends writes to its primary itself; a balancer spreads them over all.
        step3 = os.path.join(os.path.dirname(__file__), "..", "..", "..", "scenarios", "step03-load-balancer.json")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "lb-db.json")
            with open(path, "w") as f:
                json.dump({"extends": os.path.abspath(step3),
                           "services": {"dblb": {"kind": "load_balancer", "host": {"cores": 2}, "backend": "db"}}}, f)
            result = archsim("validate", path)
            self.assertEqual(0, result.returncode, result.stderr)
            self.assertIn(f"{path}: /services/dblb/backend: service db routes writes to its primary itself", result.stderr)
        self.assertNotIn("routes writes", archsim("validate", os.path.abspath(step3)).stderr)

    def test_relayed_calls_time_out_and_die_with_the_process(self):
        slow = endpoint({"cpu_ms": {"dist": "constant", "value": 300}})
        s = run(scenario({"lb": lb(timeout_ms=100), "front": service({"main": slow}, workers=64, host={"cores": 64})},
                         target="lb", rate=20, duration=30))
        self.assertEqual(s["requests"]["sent"], s["errors_by_cause"]["timeout"])
        # The balancer answers each one when its 100 ms are up (residence percentiles are
        # histogram bins, within 1%).
        self.assertAlmostEqual(100, s["services"]["lb"]["residence_ms"]["min"], delta=1)
        self.assertAlmostEqual(100, s["services"]["lb"]["residence_ms"]["max"], delta=1)
        # A process crash resets the requests whose calls are out: 50/s x 200 ms, about 10.
        slow = endpoint({"cpu_ms": {"dist": "constant", "value": 200}})
        doc = scenario({"lb": lb(), "front": service({"main": slow}, workers=64, host={"cores": 64})},
                       target="lb", rate=50, duration=30,
                       faults={"events": [{"at_s": 10.1, "crash": {"replica": "lb-1"}, "duration_s": 5}]})
        s = run(doc)
        self.assertGreaterEqual(s["errors_by_cause"]["reset"], 3)
        self.assertLessEqual(s["errors_by_cause"]["reset"], 20)
        self.assertEqual(0, s["requests"]["in_flight"])


if __name__ == "__main__":
    unittest.main()
