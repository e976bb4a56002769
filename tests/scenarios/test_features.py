#!/usr/bin/python3
"""Each step kind and component behaves as documented, checked on small scenarios whose
answer is known exactly: constant service times, no network delay, light load."""
import json
import math
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from scenario_helpers import NO_NETWORK, PING, archsim, call, endpoint, run, scenario, service  # noqa: E402,F401


class StepsTest(unittest.TestCase):
    def test_sequence_of_cpu_and_call(self):
        s = run(scenario({
            "front": service({"main": endpoint({"cpu_ms": 5}, call("back"), {"cpu_ms": 2})}),
            "back": service({"main": endpoint({"cpu_ms": 3})}),
        }))
        # Alone on idle hosts: 5 + 3 + 2 ms exactly.
        self.assertAlmostEqual(10.0, s["latency_ms"]["mean"], delta=0.01)
        self.assertAlmostEqual(10.0, s["latency_ms"]["max"], delta=0.05)
        self.assertAlmostEqual(3.0, s["hops"]["front->back.main"]["latency_ms"]["mean"], delta=0.01)
        self.assertEqual(s["requests"]["ok"], s["hops"]["front->back.main"]["ok"])

    def test_parallel_waits_for_the_slowest_branch(self):
        s = run(scenario({
            "front": service({"main": endpoint({"parallel": [
                call("a"), call("b"), {"cpu_ms": 7}, {"sequence": [{"cpu_ms": 1}, call("a")]}]})}),
            "a": service({"main": endpoint({"cpu_ms": 10})}),
            "b": service({"main": endpoint({"cpu_ms": 20})}),
        }))
        # max(10, 20, 7, 1 + 10) = 20 ms: the branches ran at once.
        self.assertAlmostEqual(20.0, s["latency_ms"]["mean"], delta=0.05)
        # Two calls to a per request (requests still in flight at the end may have made theirs).
        r = s["requests"]
        self.assertGreaterEqual(s["hops"]["front->a.main"]["ok"], 2 * r["ok"])
        self.assertLessEqual(s["hops"]["front->a.main"]["ok"], 2 * (r["ok"] + r["in_flight"]))

    def test_choice_draws_one_branch_by_weight(self):
        # A mixture (hyperexponential-like): 3/4 of the requests take 1 ms, 1/4 take 9 ms.
        s = run(scenario({"front": service({"main": endpoint({"choice": [
            {"weight": 3, "steps": [{"cpu_ms": 1}]}, {"weight": 1, "steps": [{"cpu_ms": 9}]}]})})}, rate=50, duration=200))
        n = s["requests"]["ok"]
        # Each request's time is 1 or 9 ms: variance 0.75 x 0.25 x 64 = 12.
        self.assertAlmostEqual(3.0, s["latency_ms"]["mean"], delta=5 * math.sqrt(12 / n))
        self.assertAlmostEqual(1.0, s["latency_ms"]["p50"], delta=0.01)
        self.assertAlmostEqual(9.0, s["latency_ms"]["p90"], delta=0.05)
        self.assertLessEqual(s["latency_ms"]["p90"], s["latency_ms"]["p95"])

    def test_probability_of_a_step(self):
        s = run(scenario({
            "front": service({"main": endpoint(call("back", probability=0.25))}),
            "back": service({"main": endpoint({"cpu_ms": 1})}),
        }, rate=50))
        n = s["requests"]["ok"]
        calls = s["hops"]["front->back.main"]["calls"]
        # Binomial(n, 0.25): within 4 standard deviations.
        self.assertLess(abs(calls - 0.25 * n), 4 * math.sqrt(n * 0.25 * 0.75))

    def test_disk_read_write_and_buffer_cache(self):
        s = run(scenario({"front": service({"main": endpoint({"read_kb": 1024}, {"write_kb": 512})},
                                           buffer_cache_hit_ratio=0.0)}))
        # Default HDD: seek 10 ms + 30 ms per MB read; seek 10 ms + 15 ms for 512 KB written
        # (the fastest request found the disk idle).
        self.assertAlmostEqual(65.0, s["latency_ms"]["min"], delta=0.01)
        hit = run(scenario({"front": service({"main": endpoint({"read_kb": 1024})}, buffer_cache_hit_ratio=1.0)}))
        # A buffer-cache hit copies 1 MB from memory: 250 us.
        self.assertAlmostEqual(0.25, hit["latency_ms"]["mean"], delta=0.001)

    def test_disk_is_fifo_with_one_arm(self):
        # Two requests at once on one HDD: the second waits for the first (seek + 1 MB = 40 ms).
        s = run(scenario({"front": service({"main": endpoint({"read_kb": 1024})}, buffer_cache_hit_ratio=0.0)},
                         rate=40, duration=100))
        self.assertGreater(s["latency_ms"]["p99"], 75.0)
        self.assertGreater(s["utilization"]["front-1"]["disk"], 0.5)

    def test_core_speed_scales_cpu_time(self):
        s = run(scenario({"front": {"kind": "app_server", "host": {"cores": 4, "core_speed": 2.0}, "workers": 4,
                                    "endpoints": {"main": endpoint({"cpu_ms": 10})}}}))
        self.assertAlmostEqual(5.0, s["latency_ms"]["mean"], delta=0.001)

    def test_forward_replies_to_the_original_caller(self):
        s = run(scenario({
            "front": service({"main": endpoint({"cpu_ms": 2}, {"forward": "back", "endpoint": "main", "request_kb": 0})}),
            "back": service({"main": endpoint({"cpu_ms": 3})}),
        }))
        self.assertAlmostEqual(5.0, s["latency_ms"]["mean"], delta=0.01)
        self.assertAlmostEqual(2.0, s["services"]["front"]["residence_ms"]["mean"], delta=0.01)


class DrainTest(unittest.TestCase):
    """Requests still in flight at the end of the measured period drain: their outcomes count."""

    def test_requests_in_flight_at_the_end_settle(self):
        # Every request takes 2 s; arrivals stop at 10 s: those of the last 2 s finish after it.
        s = run(scenario({"front": service({"main": endpoint({"cpu_ms": 2000})}, workers=1000,
                                           host={"cores": 1024})}, rate=20, duration=10))
        self.assertEqual(0, s["requests"]["in_flight"])
        self.assertEqual(s["requests"]["sent"], s["requests"]["ok"])
        self.assertAlmostEqual(2000.0, s["latency_ms"]["mean"], delta=0.01)
        self.assertAlmostEqual(2.0, s["drain_s"], delta=0.2)
        # The tier's own figures stop at the end: the requests inside then are still inside.
        self.assertGreater(s["services"]["front"]["in_system_at_end"], 20)
        self.assertEqual(10.0, s["measured_s"])

    def test_a_drained_request_can_still_time_out(self):
        s = run(scenario({"front": service({"main": endpoint({"cpu_ms": 2000})}, workers=1000,
                                           host={"cores": 1024})}, rate=20, duration=10, timeout_ms=1000))
        self.assertEqual(0, s["requests"]["in_flight"])
        self.assertEqual(s["requests"]["sent"], s["errors_by_cause"]["timeout"])
        self.assertAlmostEqual(1.0, s["drain_s"], delta=0.1)


class NetworkTest(unittest.TestCase):
    def test_datacenter_round_trip_and_bandwidth(self):
        # Client next to the datacenter; front calls back on another host with a 1 MB reply.
        platform = {"network": {"datacenter_rtt_ms": 0.5, "client_rtt_ms": 0.5, "loopback_rtt_ms": 0}}
        s = run(scenario({
            "front": service({"main": endpoint(call("back", response_kb=1024))}),
            "back": service({"main": endpoint({"cpu_ms": 1})}),
        }, platform=platform))
        # The fastest call found the NICs idle (concurrent replies share them): 0.5 ms round
        # trip + 1 ms of work + 1 MiB over 1 Gbps (8.39 ms).
        hop = s["hops"]["front->back.main"]["latency_ms"]["min"]
        self.assertAlmostEqual(0.5 + 1.0 + 1048576 / 125e6 * 1000, hop, delta=0.01)
        # The client's own round trip: 0.5 ms more.
        self.assertAlmostEqual(hop + 0.5, s["latency_ms"]["min"], delta=0.01)
        # Sharing shows in the mean: two replies at once each get half of the NIC.
        self.assertGreater(s["hops"]["front->back.main"]["latency_ms"]["max"], hop + 1.0)


    def test_zero_byte_messages_take_the_latency_under_load(self):
        # 0 KB requests and replies, no work: every request takes the client's round trip,
        # whatever the rate (SimGrid alone would deliver a zero-byte message early whenever
        # another transfer starts or ends: see engine/message.hpp).
        platform = {"network": {"client_rtt_ms": 100, "datacenter_rtt_ms": 0.5, "loopback_rtt_ms": 0}}
        for rate in (1, 1000):
            s = run(scenario({"front": service({"main": endpoint({"cpu_ms": 0})})}, rate=rate, duration=20,
                             platform=platform))
            self.assertAlmostEqual(100.0, s["latency_ms"]["min"], delta=0.05)
            self.assertAlmostEqual(100.0, s["latency_ms"]["mean"], delta=0.05)

    def test_zero_byte_replication_events_take_the_latency(self):
        db = {"kind": "database", "host": {"cores": 4}, "replicas": 2, "max_connections": 64,
              "buffer_cache_hit_ratio": 1, "replication": {"stream_kb": 0, "apply_steps": [{"cpu_ms": 0}]},
              "endpoints": {"put": {"access": "write", "steps": [{"cpu_ms": 0.1}]}}}
        platform = {"network": {"datacenter_rtt_ms": 100, "client_rtt_ms": 0, "loopback_rtt_ms": 0}}
        s = run(scenario({"db": db}, target="db", endpoint_name="put", rate=200, duration=20, platform=platform))
        lag = s["services"]["db"]["replication"]["replication_lag_ms"]
        self.assertAlmostEqual(50.0, lag["p50"], delta=0.1)
        self.assertAlmostEqual(50.0, lag["mean"], delta=0.1)


class HangUpTest(unittest.TestCase):
    """A caller that gives up hangs up: the rest of a long message is not sent."""

    PLATFORM = {"network": {"datacenter_rtt_ms": 0.5, "client_rtt_ms": 0.5, "loopback_rtt_ms": 0}}

    def back_nic_up(self, response_kb, timeout_ms):
        s = run(scenario({
            "front": service({"main": endpoint(call("back", response_kb=response_kb, timeout_ms=timeout_ms))}),
            "back": service({"main": endpoint({"cpu_ms": 1})}),
        }, rate=2, duration=100, platform=self.PLATFORM))
        return s, s["utilization"]["back-1"]["nic_up"]

    def test_long_reply_is_cut_off_at_the_deadline(self):
        # 10 MiB take 84 ms over 1 Gbps. With a 1 s timeout every byte crosses the back NIC;
        # with 20 ms the reply starts after 1.25 ms (request trip and work) and the first
        # 0.25 ms carry no bytes (latency): the body flows for 18.5 ms, then the caller hangs up.
        whole, full = self.back_nic_up(10240, 1000)
        cut, partial = self.back_nic_up(10240, 20)
        self.assertEqual(0, whole["hops"]["front->back.main"]["failed"])
        self.assertEqual(0, cut["hops"]["front->back.main"]["ok"])
        per_call = 10240 * 1024 / 125e6
        self.assertAlmostEqual(0.0185 / per_call, partial / full, delta=0.02)

    def test_short_reply_is_in_flight_at_once(self):
        # 8 KiB fit in TCP's initial window: sent at 1.25 ms, before the 1.4 ms deadline, they
        # arrive after it (at 1.57 ms) but cross the NICs all the same.
        whole, full = self.back_nic_up(8, 1000)
        cut, partial = self.back_nic_up(8, 1.4)
        self.assertEqual(0, cut["hops"]["front->back.main"]["ok"])
        self.assertAlmostEqual(1.0, partial / full, delta=0.01)

    def test_reply_after_the_deadline_is_not_sent(self):
        # The caller gave up at 1 ms, before the reply was ready: nothing goes out.
        cut, partial = self.back_nic_up(8, 1)
        self.assertEqual(0, cut["hops"]["front->back.main"]["ok"])
        self.assertEqual(0, partial)


class ServerTest(unittest.TestCase):
    def test_full_queue_rejects(self):
        s = run(scenario({"front": service({"main": endpoint({"cpu_ms": 100})}, workers=1, queue_limit=0)},
                         rate=30, duration=100))
        # One worker, no queue: an arrival while it is busy is turned away.
        self.assertGreater(s["errors_by_cause"]["rejected"], 0.5 * s["requests"]["sent"])
        self.assertEqual(s["services"]["front"]["rejected"], s["errors_by_cause"]["rejected"])
        self.assertLessEqual(s["throughput_rps"], 10.01)

    def test_client_timeout(self):
        s = run(scenario({"front": service({"main": endpoint({"cpu_ms": 50})}, workers=1)}, rate=5,
                         timeout_ms=20))
        self.assertEqual(0, s["requests"]["ok"])
        self.assertEqual(s["requests"]["failed"], s["errors_by_cause"]["timeout"])

    def test_connection_pool_limits_concurrency_and_times_out(self):
        s = run(scenario({
            "front": service({"main": endpoint(call("back"))}, workers=50,
                             connection_pools={"back": {"size": 1, "timeout_ms": 30}}),
            "back": service({"main": endpoint({"cpu_ms": 20})}, workers=50),
        }, rate=60, duration=100))
        # One connection: the back end never serves two calls at once...
        self.assertLessEqual(s["services"]["back"]["mean_busy_workers"], 1.0)
        # ...and callers that wait over 30 ms for it fail.
        self.assertGreater(s["errors_by_cause"]["pool_timeout"], 0)

    def test_optional_call_failure_does_not_fail_the_request(self):
        s = run(scenario({
            "front": service({"main": endpoint(call("flaky", on_error="continue", timeout_ms=5), {"cpu_ms": 1})}),
            "flaky": service({"main": endpoint({"cpu_ms": 50})}, workers=1),
        }, rate=20, duration=60))
        self.assertEqual(0, s["requests"]["failed"])
        self.assertGreater(s["hops"]["front->flaky.main"]["failed"], 0)
        strict = run(scenario({
            "front": service({"main": endpoint(call("flaky", timeout_ms=5), {"cpu_ms": 1})}),
            "flaky": service({"main": endpoint({"cpu_ms": 50})}, workers=1),
        }, rate=20, duration=60))
        self.assertEqual(strict["requests"]["failed"], strict["errors_by_cause"]["timeout"])
        self.assertGreater(strict["requests"]["failed"], 0)


class ThreadBudgetTest(unittest.TestCase):
    """Workers and connections start on demand: what counts is how many live at once."""

    def test_a_large_fleet_validates(self):
        doc = scenario({"front": service({"main": PING}, workers=64, replicas=1000)})
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            result = archsim("validate", path)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_the_run_stops_at_the_thread_budget(self):
        # 200 requests/s of 1 s of CPU and a disk write on 8 cores: the 64 workers fill up,
        # past a budget of 40. Without network delay a worker is started from the sending
        # client's thread; with it, the acceptor starts it after the timer that hands the
        # request over.
        for platform in (NO_NETWORK, {}):
            with self.subTest(platform=platform):
                self.stops_at_the_thread_budget(platform)

    def test_requests_that_only_compute_need_no_thread(self):
        # The same load without the disk write: the 64 slots fill up, and no worker starts.
        # The 64 requests in service share the 8 cores (8 s each), then leave at 8 per second.
        for platform in (NO_NETWORK, {}):
            with self.subTest(platform=platform):
                doc = scenario({"front": service({"main": endpoint({"cpu_ms": 1000})}, workers=64)}, rate=200,
                               duration=20, platform=platform)
                os.environ["ARCHSIM_THREAD_LIMIT"] = "40"
                try:
                    s = run(doc)
                finally:
                    del os.environ["ARCHSIM_THREAD_LIMIT"]
                front = s["services"]["front"]
                self.assertGreaterEqual(front["in_system_at_end"], 64)  # every slot taken
                self.assertGreater(front["served"], 0.8 * 8 * 12)  # the 8 cores busy from 8 s on
                self.assertLess(s["peak_threads"], 10)

    def stops_at_the_thread_budget(self, platform):
        doc = scenario({"front": service({"main": endpoint({"cpu_ms": 1000}, {"write_kb": 1})}, workers=64)},
                       rate=200, duration=5, platform=platform)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            os.environ["ARCHSIM_THREAD_LIMIT"] = "40"
            try:
                result = archsim("run", path, "--quiet", "--out", os.path.join(d, "out"))
            finally:
                del os.environ["ARCHSIM_THREAD_LIMIT"]
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn("/services/front", result.stderr)
            self.assertIn("more than 40 simulated threads alive at once", result.stderr)
            self.assertIn("front-1/worker-", result.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "out", "summary.json")))
            # Without the low budget, the same run goes through.
            result = archsim("run", path, "--quiet", "--out", os.path.join(d, "out"))
            self.assertEqual(result.returncode, 0, result.stderr)


class ClientTest(unittest.TestCase):
    def test_closed_loop_obeys_the_response_time_law(self):
        # N users, think time Z, response time R: throughput X = N / (R + Z).
        clients = {"users": {"model": "closed", "target": "front", "users": 50,
                             "think_ms": {"dist": "exponential", "mean": 1000}, "timeout_ms": 10000,
                             "operations": {"op": {"weight": 1, "endpoint": "main", "request_kb": 0,
                                                   "response_kb": 0}}}}
        s = run(scenario({"front": service({"main": endpoint({"cpu_ms": {"dist": "exponential", "mean": 15}})},
                                           workers=1)}, clients=clients, duration=2000, warmup_s=100))
        r = s["latency_ms"]["mean"] / 1000.0
        self.assertAlmostEqual(50 / (r + 1.0), s["throughput_rps"], delta=0.02 * s["throughput_rps"])

    def test_rate_schedule(self):
        s = run(scenario({"front": service({"main": endpoint({"cpu_ms": 1})})}, rate=10, duration=100,
                         metrics={"window_s": 10}),
                "--set", 'clients.users.schedule=[{"at_s": 50, "rate_rps": 100}]')
        # 10/s for 50 s then 100/s for 50 s: 5500 expected.
        self.assertLess(abs(s["requests"]["sent"] - 5500), 4 * math.sqrt(5500))

    def test_operation_mix(self):
        doc = scenario({"front": service({"main": endpoint({"cpu_ms": 1}), "other": endpoint({"cpu_ms": 2})})},
                       rate=100, duration=100)
        doc["clients"]["users"]["operations"] = {
            "a": {"weight": 3, "endpoint": "main", "request_kb": 0, "response_kb": 0},
            "b": {"weight": 1, "endpoint": "other", "request_kb": 0, "response_kb": 0}}
        s = run(doc)
        n = s["requests"]["sent"]
        self.assertLess(abs(s["operations"]["a"]["sent"] - 0.75 * n), 4 * math.sqrt(n * 0.75 * 0.25))
        self.assertAlmostEqual(2.0, s["operations"]["b"]["latency_ms"]["mean"], delta=0.01)

    def test_warmup_is_excluded(self):
        s = run(scenario({"front": service({"main": endpoint({"cpu_ms": 1})})}, rate=100, duration=100,
                         warmup_s=60))
        self.assertEqual(40.0, s["measured_s"])
        self.assertLess(abs(s["requests"]["sent"] - 4000), 4 * math.sqrt(4000))


if __name__ == "__main__":
    unittest.main()
