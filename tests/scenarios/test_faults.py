#!/usr/bin/python3
"""Failures are simulated, not assumed: what a crash, a cut, a partition or a slow disk does
to requests; retries; capacity coming and going with the scale action. (Balancers and
replicated databases have their own tests, in tests/kinds/.)"""
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from scenario_helpers import (NO_NETWORK, PING, call, endpoint, event_times, lb, rows_between, run,  # noqa: E402,F401
                              run_with_files, scenario, service, total)

class CrashTest(unittest.TestCase):
    def test_process_crash_resets_in_flight_refuses_new_then_restarts(self):
        doc = scenario({"front": service({"main": endpoint({"cpu_ms": 100})}, workers=4, startup_s=5)},
                       rate=20, duration=60, timeout_ms=5000,
                       faults={"events": [{"at_s": 20, "crash": {"replica": "front-1"}, "duration_s": 10}]})
        s, rows, events = run_with_files(doc)
        # In service or queued when it died: reset; while it is down and starting: refused.
        self.assertGreater(s["errors_by_cause"]["reset"], 0)
        self.assertGreater(s["errors_by_cause"]["refused"], 0.8 * 20 * 15)
        self.assertEqual(0, s["errors_by_cause"]["timeout"])
        self.assertEqual([20.0], event_times(events, "front-1", "crashed"))
        self.assertEqual([30.0], event_times(events, "front-1", "starting"))
        self.assertEqual([35.0], event_times(events, "front-1", "up"))
        self.assertEqual(0, total(rows_between(rows, 40, 60), "errors"))
        self.assertAlmostEqual(15.0, s["components"]["front-1"]["downtime_s"], delta=0.01)

    def test_host_crash_loses_requests_silently(self):
        doc = scenario({"front": {"kind": "app_server", "host": "node", "workers": 4,
                                  "endpoints": {"main": endpoint({"cpu_ms": 50})}}},
                       hosts={"node": {"cores": 4}}, rate=20, duration=60, timeout_ms=1000,
                       faults={"events": [{"at_s": 20, "crash": {"host": "node"}},
                                          {"at_s": 30, "recover": {"host": "node"}}]})
        s, rows, events = run_with_files(doc)
        # Nothing answers from a dead host: every request in the outage times out.
        self.assertEqual(s["requests"]["failed"], s["errors_by_cause"]["timeout"])
        self.assertAlmostEqual(200, s["errors_by_cause"]["timeout"], delta=40)
        self.assertEqual([20.0], event_times(events, "node", "host_down"))
        self.assertEqual([30.0], event_times(events, "node", "host_up"))
        self.assertEqual(1, s["components"]["node"]["failures"])
        self.assertAlmostEqual(10.0, s["downtime_s"], delta=1.01)
        self.assertEqual(0, total(rows_between(rows, 32, 60), "errors"))

    def test_the_end_of_a_crash_a_recover_ended_does_not_end_a_later_crash(self):
        # Down at 5 for 20 s, recovered at 10, down again at 15 with no end: still down at 25.
        doc = scenario({"front": {"kind": "app_server", "host": "node", "workers": 4,
                                  "endpoints": {"main": endpoint({"cpu_ms": 1})}}},
                       hosts={"node": {"cores": 4}}, rate=5, duration=40, timeout_ms=1000,
                       faults={"events": [{"at_s": 5, "crash": {"host": "node"}, "duration_s": 20},
                                          {"at_s": 10, "recover": {"host": "node"}},
                                          {"at_s": 15, "crash": {"host": "node"}}]})
        s, _, events = run_with_files(doc)
        self.assertEqual([5.0, 15.0], event_times(events, "node", "host_down"))
        self.assertEqual([10.0], event_times(events, "node", "host_up"))
        self.assertAlmostEqual(5.0 + 25.0, s["components"]["node"]["downtime_s"], delta=0.01)

    def test_the_end_of_a_partition_a_later_one_replaced_heals_nothing(self):
        doc = scenario({"front": {"kind": "app_server", "host": "a", "workers": 4,
                                  "endpoints": {"main": endpoint({"cpu_ms": 1})}}},
                       hosts={"a": {"cores": 4}, "b": {"cores": 1}}, rate=5, duration=40,
                       faults={"events": [{"at_s": 5, "partition": [["a"], ["b"]], "duration_s": 20},
                                          {"at_s": 15, "partition": [["b"], ["a"]]},
                                          {"at_s": 30, "heal": True}]})
        _, _, events = run_with_files(doc)
        self.assertEqual([30.0], event_times(events, "network", "healed"))

    def test_service_crash_takes_every_replica(self):
        doc = scenario({"front": service({"main": PING}, replicas=3)}, rate=30, duration=40,
                       faults={"events": [{"at_s": 10, "crash": {"service": "front"}, "duration_s": 10}]})
        s, _, _ = run_with_files(doc)
        for r in ("front-1", "front-2", "front-3"):
            self.assertAlmostEqual(10.0, s["components"][r]["downtime_s"], delta=0.01)
        up = s["services"]["front"]["replicas_up_fraction"]  # time with 0, 1, 2, 3 replicas up
        self.assertAlmostEqual(0.25, up[0], delta=0.001)
        self.assertAlmostEqual(0.75, up[3], delta=0.001)

    def test_random_failures_follow_their_distributions(self):
        doc = scenario({"front": service({"main": PING})}, rate=1, duration=5000,
                       faults={"random": [{"replica": "front-1", "time_to_failure_s": {"dist": "constant", "value": 90},
                                           "time_to_repair_s": {"dist": "constant", "value": 10}}]})
        s, _, events = run_with_files(doc)
        c = s["components"]["front-1"]
        self.assertAlmostEqual(0.9, c["configured_availability"])
        self.assertEqual(50, c["failures"])  # one every 100 s, exactly
        self.assertAlmostEqual(0.9, c["uptime_fraction"], delta=0.001)
        self.assertEqual([90.0, 190.0], event_times(events, "front-1", "crashed")[:2])


class NetworkFaultTest(unittest.TestCase):
    def test_cut_link_then_reconnect(self):
        doc = scenario({"front": service({"main": endpoint(call("back"))}),
                        "back": {"kind": "app_server", "host": "b", "workers": 4, "endpoints": {"main": PING}}},
                       hosts={"b": {"cores": 2}}, rate=20, duration=60, timeout_ms=1000,
                       faults={"events": [{"at_s": 20, "cut": {"host": "b"}, "duration_s": 10}]})
        s, rows, events = run_with_files(doc)
        self.assertGreater(total(rows_between(rows, 20, 29), "errors"), 150)
        self.assertEqual(0, total(rows_between(rows, 31, 60), "errors"))
        self.assertEqual([20.0], event_times(events, "b", "cut"))
        self.assertEqual([30.0], event_times(events, "b", "reconnected"))

    def test_partition_between_groups(self):
        doc = scenario({"front": {"kind": "app_server", "host": "a", "workers": 8,
                                  "endpoints": {"main": endpoint(call("back", timeout_ms=200))}},
                        "back": {"kind": "app_server", "host": "b", "workers": 8, "endpoints": {"main": PING}}},
                       hosts={"a": {}, "b": {}}, rate=20, duration=60,
                       faults={"events": [{"at_s": 20, "partition": [["a"], ["b"]], "duration_s": 10}]})
        s, rows, events = run_with_files(doc)
        # The clients still reach a; a cannot reach b: its calls time out.
        during = rows_between(rows, 20, 29)
        self.assertEqual(total(during, "timeout"), total(during, "errors"))
        self.assertGreater(total(during, "errors"), 150)
        self.assertEqual(0, total(rows_between(rows, 31, 60), "errors"))
        self.assertEqual(["partitioned", "healed"], [e["event"] for e in events if e["component"] == "network"])

    def test_degraded_cpu_and_disk(self):
        doc = scenario({"front": {"kind": "app_server", "host": "a", "workers": 8, "buffer_cache_hit_ratio": 0,
                                  "endpoints": {"main": endpoint({"cpu_ms": 10}, {"read_kb": 4})}}},
                       hosts={"a": {"cores": 8}}, rate=2, duration=60,
                       faults={"events": [{"at_s": 20, "degrade": {"host": "a", "cpu_factor": 4, "disk_factor": 2},
                                           "duration_s": 20}]})
        s, rows, _ = run_with_files(doc)
        normal = 10 + 10 + 4 / 1024 * 30  # cpu + seek + transfer (ms)
        slow = 40 + 2 * (10 + 4 / 1024 * 30)
        def typical(start, end):  # the median window: two requests rarely meet at 2/s
            values = sorted(float(r["mean_ms"]) for r in rows_between(rows, start, end) if int(r["ok"]) > 0)
            return values[len(values) // 2]
        self.assertAlmostEqual(normal, typical(0, 20), delta=0.01)
        self.assertAlmostEqual(slow, typical(21, 40), delta=0.01)
        self.assertAlmostEqual(normal, typical(41, 60), delta=0.01)

    def test_a_degradation_inside_another_leaves_the_outer_one_in_force(self):
        # x4 from 10 to 50 s, x2 from 20 to 30 s: the end of the inner one brings back x4,
        # not full speed (it did); the end of the outer one restores.
        doc = scenario({"front": {"kind": "app_server", "host": "a", "workers": 8,
                                  "endpoints": {"main": endpoint({"cpu_ms": 10})}}},
                       hosts={"a": {"cores": 8}}, rate=2, duration=60,
                       faults={"events": [{"at_s": 10, "degrade": {"host": "a", "cpu_factor": 4}, "duration_s": 40},
                                          {"at_s": 20, "degrade": {"host": "a", "cpu_factor": 2}, "duration_s": 10}]})
        s, rows, events = run_with_files(doc)

        def typical(start, end):
            values = sorted(float(r["mean_ms"]) for r in rows_between(rows, start, end) if int(r["ok"]) > 0)
            return values[len(values) // 2]
        self.assertAlmostEqual(40, typical(11, 20), delta=0.01)
        self.assertAlmostEqual(20, typical(21, 30), delta=0.01)
        self.assertAlmostEqual(40, typical(31, 50), delta=0.01)
        self.assertAlmostEqual(10, typical(51, 60), delta=0.01)
        self.assertEqual([10.0, 20.0, 30.0], event_times(events, "a", "degraded"))
        self.assertEqual([50.0], event_times(events, "a", "restored"))


class ResilienceTest(unittest.TestCase):
    def test_retries_route_around_a_dead_replica(self):
        base = scenario({"front": service({"main": PING}, replicas=2)}, rate=50, duration=40,
                        faults={"events": [{"at_s": 10, "crash": {"replica": "front-1"}, "duration_s": 20}]})
        s = run(base)
        # Client-side round robin: half the requests hit the dead replica and are refused.
        self.assertAlmostEqual(0.5 * 50 * 20, s["errors_by_cause"]["refused"], delta=100)
        base["clients"]["users"]["retry"] = {"max_attempts": 3, "backoff_ms": 10, "on": ["refused"]}
        retried = run(base)
        self.assertLess(retried["requests"]["failed"], 0.02 * s["requests"]["failed"])
        self.assertGreater(retried["retries"], 400)

    def test_retry_budget_caps_a_retry_storm(self):
        doc = scenario({"front": service({"main": PING})}, rate=100, duration=40,
                       faults={"events": [{"at_s": 10, "crash": {"replica": "front-1"}, "duration_s": 20}]})
        doc["clients"]["users"]["retry"] = {"max_attempts": 5, "backoff_ms": 1, "jitter": "none",
                                            "on": ["refused"], "budget_ratio": 0.1, "budget_reserve": 10}
        s, rows, _ = run_with_files(doc)
        client = s["clients"]["users"]
        # 10% of the requests sent, plus the reserve, can be retried.
        self.assertLessEqual(client["retries"], 0.1 * s["requests"]["sent"] + 10)
        self.assertGreater(client["retries_denied_by_budget"], 1000)
        during = rows_between(rows, 12, 28)
        self.assertLess(total(during, "attempts"), 1.2 * total(during, "sent"))


class CapacityTest(unittest.TestCase):
    """Parked replicas and the scale action: capacity that comes and goes during a run."""

    def fleet(self, events, host=None, replicas=2):
        web = service({"main": endpoint({"cpu_ms": 10})}, workers=4, replicas=replicas, max_replicas=4, startup_s=5)
        if host:
            web["host"] = host
        extra = {"hosts": {"node1": {"cores": 16}}} if host else {}
        return run_with_files(scenario({
            "lb": {"kind": "load_balancer", "host": {"cores": 4}, "backend": "web", "cpu_ms": 0,
                   "health_check": {"interval_ms": 1000, "healthy_threshold": 2, "unhealthy_threshold": 2}},
            "web": web,
        }, target="lb", rate=200, duration=60, faults={"events": events}, **extra))

    def test_parked_capacity_is_neither_up_nor_down_and_costs_nothing(self):
        s, rows, events = self.fleet([])
        for name in ("web-3", "web-4"):
            c = s["components"][name]
            self.assertEqual(60.0, c["parked_s"])
            self.assertEqual(0.0, c["downtime_s"])
            self.assertIsNone(c["uptime_fraction"])  # never meant to be up: no fraction, not 0
            self.assertNotIn(name, s["utilization"])  # a host that never runs gets no columns
            self.assertEqual(0.0, s["services"]["lb"]["balancer"]["backend_share"][name])
        self.assertNotIn("util:web-3.cpu", rows[0])
        self.assertEqual(0.0, s["availability"] - 1.0)

    def test_scale_up_boots_then_serves_and_scale_down_drains(self):
        s, rows, events = self.fleet([{"at_s": 10, "scale": {"service": "web", "replicas": 4}},
                                      {"at_s": 40, "scale": {"service": "web", "replicas": 1}}])
        seen = [(float(e["t_s"]), e["component"], e["event"]) for e in events]
        self.assertIn((10.0, "web-3", "host_activated"), seen)
        self.assertIn((10.0, "web-3", "starting"), seen)
        self.assertIn((15.0, "web-3", "up"), seen)  # after startup_s
        self.assertIn((40.0, "web-2", "draining"), seen)
        parked = [t for t, c, e in seen if c == "web-2" and e == "parked"]
        self.assertTrue(parked and 40.0 <= parked[0] < 40.5)  # once its requests finished
        self.assertIn("host_parked", [e for t, c, e in seen if c == "web-3"])
        web3 = s["components"]["web-3"]
        # Booting is provisioning, not downtime: parked 0-15 s and 40-60 s, up 15-40 s.
        self.assertAlmostEqual(25.0, web3["uptime_s"], delta=0.1)
        self.assertAlmostEqual(35.0, web3["parked_s"], delta=0.1)
        self.assertEqual(0.0, web3["downtime_s"])
        # Draining loses nothing: no reset, no refused request reaches the client.
        self.assertEqual(0, s["errors_by_cause"]["reset"])
        self.assertEqual(0, s["errors_by_cause"]["timeout"])
        # The replicas-up gauge follows: 2, then 4 once booted, then 1.
        up = [float(r["replicas_up:web"]) for r in rows]
        self.assertEqual(2.0, up[5])
        self.assertEqual(4.0, up[20])
        self.assertEqual(1.0, up[50])
        self.assertGreater(s["services"]["lb"]["balancer"]["backend_share"]["web-3"], 0.05)

    def test_scale_on_a_shared_host_and_to_zero(self):
        s, rows, events = self.fleet([{"at_s": 20, "scale": {"service": "web", "replicas": 0}},
                                      {"at_s": 30, "scale": {"service": "web", "replicas": 3}}], host="node1")
        # With nothing in service, requests find no replica; then three boot (5 s) and serve.
        self.assertGreater(s["errors_by_cause"]["unavailable"], 0)
        self.assertEqual(3, sum(1 for e in events if e["event"] == "up"))
        self.assertAlmostEqual(25.0, s["components"]["web-3"]["uptime_s"], delta=0.1)

    def test_a_crash_holds_a_replica_brought_into_service(self):
        s, _, events = self.fleet([{"at_s": 5, "crash": {"replica": "web-4"}, "duration_s": 20},
                                   {"at_s": 10, "scale": {"service": "web", "replicas": 4}}])
        web4 = s["components"]["web-4"]
        # Parked 0-10 s, in service but crashed 10-25 s, then restarts (5 s, down as after any
        # crash) and runs from 30 s.
        self.assertAlmostEqual(20.0, web4["downtime_s"], delta=0.1)
        self.assertAlmostEqual(30.0, web4["uptime_s"], delta=0.1)


if __name__ == "__main__":
    unittest.main()
