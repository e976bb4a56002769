#!/usr/bin/python3
"""The CDN kind: edges that serve each region from its own storage, hit ratios that follow
the theory, exact egress and cost arithmetic, the four cost policies each measured for hit
ratio, origin egress, edge storage and latency, and edges that fail over."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scenarios"))
sys.path.insert(0, os.path.join(HERE, "..", "cache"))
from scenario_helpers import archsim, endpoint, run  # noqa: E402
from test_cache import che_lru  # noqa: E402

ROOT = os.path.join(HERE, "..", "..", "..")
with open(os.path.join(ROOT, "platforms", "default.json")) as f:
    PRICES = json.load(f)["prices"]
ZERO_NETWORK = {"datacenter_rtt_ms": 0, "client_rtt_ms": 0, "loopback_rtt_ms": 0}
TWO_REGIONS = {"network": ZERO_NETWORK, "regions": {"a": {"rtt_ms": {"b": 100}}, "b": {}}, "home_region": "a"}


def origin():
    return {"kind": "app_server", "host": {"cores": 2}, "workers": 256,
            "endpoints": {"static": endpoint({"cpu_ms": 0.1})}}


def cdn(edges=("a", "b"), storage_gb=1.0, object_kb=None, **extra):
    c = {"kind": "cdn", "host": {"cores": 4, "nic_gbps": 10}, "origin": "origin", "origin_endpoint": "static",
         "edges": list(edges), "storage_gb": storage_gb,
         "object_kb": object_kb or {"dist": "lognormal", "mean": 50, "p99": 500}}
    c.update(extra)
    return c


def browsers(region, rate, keys=2000, first=0, zipf_s=0.8, name=None):
    name = name or "browsers_" + region
    return {name: {"model": "open", "region": region, "target": "cdn", "rate_rps": rate, "timeout_ms": 5000,
                   "keys": {"count": keys, "zipf_s": zipf_s, "first": first},
                   "operations": {"asset_" + region: {"weight": 1, "endpoint": "get"}}}}


def doc(services, clients, platform=TWO_REGIONS, duration=60, **extra):
    d = {"description": "cdn test", "duration_s": duration, "warmup_s": 0, "platform": platform,
         "services": services, "clients": clients}
    d.update(extra)
    return d


def two_regions(**cdn_options):
    clients = browsers("a", 300)
    clients.update(browsers("b", 300, first=500))
    return run(doc({"origin": origin(), "cdn": cdn(**cdn_options)}, clients))


class CdnTest(unittest.TestCase):
    def test_egress_and_cost_arithmetic_on_a_deterministic_log(self):
        # 1,000 requests over 100 s for 50 objects of 100 KiB, each asked for every 5 s:
        # the first request of each misses, the others hit; the test prices what that bills.
        n, objects, size, duration = 1000, 50, 100 * 1024, 100.0
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "log.csv"), "w") as f:
                f.write("time_s,operation,key\n")
                for i in range(n):
                    f.write(f"{i * duration / n:.3f},asset,{i % objects}\n")
            scenario = doc({"origin": origin(), "cdn": cdn(edges=["home"], object_kb=100)},
                           {"log": {"model": "replay", "target": "cdn", "log": "log.csv",
                                    "operations": {"asset": {"endpoint": "get"}}}},
                           platform={"network": ZERO_NETWORK}, duration=duration)
            with open(os.path.join(d, "s.json"), "w") as f:
                json.dump(scenario, f)
            result = archsim("run", os.path.join(d, "s.json"), "--quiet", "--out", os.path.join(d, "out"))
            self.assertEqual(0, result.returncode, result.stderr)
            with open(os.path.join(d, "out", "summary.json")) as f:
                s = json.load(f)
        c = s["services"]["cdn"]["cdn"]
        self.assertEqual(n, c["requests"])
        self.assertEqual(objects, c["origin_fetches"])
        self.assertEqual(n - objects, c["hits"])
        self.assertAlmostEqual(n * size / 1e9, c["served_gb"], places=6)
        self.assertAlmostEqual(objects * size / 1e9, c["origin_fetch_gb"], places=6)
        # The month, at the profile's prices.
        month = PRICES["hours_per_month"] * 3600 / duration
        hosts = PRICES["host_per_hour"]
        compute = PRICES["hours_per_month"] * hosts["2"]  # the origin (2 cores); the edge is in the CDN's prices
        cdn_egress = n * size * month / 1e9 * PRICES["cdn_egress_per_gb"]["us_europe"]
        requests = n * month / 1e4 * PRICES["cdn_per_10k_requests"]
        origin_egress = objects * size * month / 1e9 * PRICES["origin_to_cdn_per_gb"]
        # Object k is held from its first request (at k * 0.1 s) to the end.
        stored_gb = sum(size * (duration - k * duration / n) for k in range(objects)) / duration / 1e9
        cost = s["cost"]
        self.assertAlmostEqual(stored_gb, cost["usage_per_month"]["edge_storage_gb"], delta=stored_gb * 0.001)
        storage = stored_gb * PRICES["storage_per_gb_month"]
        total = compute + cdn_egress + requests + origin_egress + storage
        per_month = cost["per_month"]
        self.assertAlmostEqual(compute, per_month["compute"], delta=0.006)
        self.assertAlmostEqual(cdn_egress, per_month["cdn_egress"], delta=0.006)
        self.assertAlmostEqual(requests, per_month["cdn_requests"], delta=0.006)
        self.assertAlmostEqual(origin_egress, per_month["origin_egress"], delta=0.006)
        self.assertAlmostEqual(total, per_month["total"], delta=0.006)
        self.assertAlmostEqual(total / (n * month / 1e6), cost["per_million_requests"], delta=1e-4)

    def test_lru_edge_follows_che(self):
        # One edge holding 100 objects of 10 KiB, independent Zipf requests over 1,000.
        s = run(doc({"origin": origin(), "cdn": cdn(edges=["home"], storage_gb=100 * 10 * 1024 / 1e9, object_kb=10)},
                    browsers("home", 2000, keys=1000, name="users"), platform={"network": ZERO_NETWORK}))
        theory, _ = che_lru(1000, 0.8, 100)
        self.assertAlmostEqual(theory, s["services"]["cdn"]["cdn"]["hit_ratio"], delta=0.012)

    def test_each_region_is_served_by_its_edge(self):
        s = two_regions()
        edges = s["services"]["cdn"]["cdn"]["edges"]
        self.assertAlmostEqual(edges["a"]["requests"], edges["b"]["requests"], delta=0.1 * edges["a"]["requests"])
        # Hits cost no WAN round trip: region b's median is a hit, its p99 a miss from 100 ms away.
        self.assertLess(s["regions"]["b"]["latency_ms"]["p50"], 5)
        self.assertGreater(s["regions"]["b"]["latency_ms"]["p99"], 100)
        self.assertLess(s["regions"]["a"]["latency_ms"]["p99"], 20)
        # Per population and per popularity decile: the popular objects hit, the tail misses.
        c = s["services"]["cdn"]["cdn"]
        self.assertEqual({"asset_a", "asset_b"}, set(c["operations"]))
        self.assertEqual(c["requests"], sum(o["requests"] for o in c["operations"].values()))
        deciles = c["hit_ratio_by_popularity_decile"]
        self.assertGreater(deciles[0], 0.95)
        self.assertGreater(deciles[0], 1.5 * deciles[9])

    def test_a_down_edge_sends_its_region_to_the_nearest_other(self):
        clients = browsers("a", 100)
        clients.update(browsers("b", 100))
        s = run(doc({"origin": origin(), "cdn": cdn()}, clients,
                    faults={"events": [{"at_s": 10, "crash": {"replica": "cdn-2"}, "duration_s": 1000}]}))
        edges = s["services"]["cdn"]["cdn"]["edges"]
        self.assertLess(edges["b"]["requests"], 0.2 * edges["a"]["requests"])
        self.assertGreater(s["regions"]["b"]["latency_ms"]["p50"], 95)  # one WAN round trip to a
        self.assertLess(s["error_rate"], 0.01)

    def test_cost_policies(self):
        base = two_regions()
        b = base["services"]["cdn"]["cdn"]
        figures = {}

        def measured(s):
            c = s["services"]["cdn"]["cdn"]
            return (c["hit_ratio"], c["origin_egress_gb"], c["edge_storage_gb_mean"],
                    s["regions"]["b"]["latency_ms"]["mean"], s["cost"]["per_month"]["total"])

        figures["regional"] = measured(base)

        # (1) Admission after 2 requests: one-request objects never take storage; the
        # second request of each object misses too.
        s = two_regions(admission={"min_requests": 2, "window_s": 60})
        c = s["services"]["cdn"]["cdn"]
        figures["admission"] = measured(s)
        self.assertGreater(c["not_admitted"], 0)
        self.assertLess(c["edge_storage_gb_mean"], 0.9 * b["edge_storage_gb_mean"])
        self.assertGreater(c["origin_fetches"], b["origin_fetches"])
        self.assertLess(c["hit_ratio"], b["hit_ratio"])

        # (2) Push to every edge: more storage and origin egress, more hits (an object
        # asked for in one region is already at the other's edge).
        s = two_regions(placement="push_all")
        c = s["services"]["cdn"]["cdn"]
        figures["push_all"] = measured(s)
        self.assertGreater(c["pushes"], 0)
        self.assertGreater(c["origin_egress_gb"], b["origin_egress_gb"])
        self.assertGreater(c["edge_storage_gb_mean"], 1.2 * b["edge_storage_gb_mean"])
        self.assertGreater(c["hit_ratio"], b["hit_ratio"])

        # (3) Bypass objects asked for at most once a minute: the origin serves them (billed
        # as origin egress), the edges store less and bill fewer requests; region b waits
        # for the WAN more often.
        s = two_regions(bypass={"max_requests": 1, "window_s": 60})
        c = s["services"]["cdn"]["cdn"]
        figures["bypass"] = measured(s)
        self.assertGreater(c["bypassed"], 0)
        self.assertLess(c["edge_storage_gb_mean"], 0.9 * b["edge_storage_gb_mean"])
        self.assertGreater(s["cost"]["usage_per_month"]["origin_egress_gb"],
                           base["cost"]["usage_per_month"]["origin_egress_gb"])
        self.assertLess(s["cost"]["usage_per_month"]["cdn_requests_millions"],
                        base["cost"]["usage_per_month"]["cdn_requests_millions"])
        self.assertGreater(s["regions"]["b"]["latency_ms"]["mean"], base["regions"]["b"]["latency_ms"]["mean"])

        # (4) Compress objects asked for at most 3 times a minute: their bytes take about a
        # third of the storage; the edge's CPU encodes and decodes; the popular ones are
        # stored whole once they are asked for often enough.
        s = two_regions(compress={"max_requests": 3, "window_s": 60})
        c = s["services"]["cdn"]["cdn"]
        figures["compress"] = measured(s)
        self.assertGreater(c["compressed_stores"], 0)
        self.assertGreater(c["promotions"], 0)
        self.assertGreater(c["codec_cpu_s"], 0)
        self.assertLess(c["edge_storage_gb_mean"], 0.8 * b["edge_storage_gb_mean"])
        self.assertAlmostEqual(c["hit_ratio"], b["hit_ratio"], delta=0.02)
        self.assertGreaterEqual(s["regions"]["b"]["latency_ms"]["mean"], base["regions"]["b"]["latency_ms"]["mean"])
        for policy, (hit, egress, storage, latency, cost) in figures.items():
            print(f"{policy:10s} hit {hit:.3f}  origin egress {egress:.3f} GB  edge storage {storage:.4f} GB  "
                  f"region b mean {latency:.1f} ms  cost {cost:.0f} USD/month", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
