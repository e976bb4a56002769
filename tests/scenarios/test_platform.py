#!/usr/bin/python3
"""Every documented field of a hardware profile (and of the scenario's platform section,
which overrides it) changes what a run measures: one setting, one meaning. The schema lists
the fields; a field without a case here fails the coverage test."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from scenario_helpers import archsim, call, endpoint, run, scenario, service  # noqa: E402
from common import ROOT  # noqa: E402

NET = {"datacenter_rtt_ms": 0.5, "client_rtt_ms": 0.5, "loopback_rtt_ms": 0}


def platform(**sections):
    """A platform section: NET plus the given overrides (network fields go into "network")."""
    p = {"network": dict(NET)}
    for key, value in sections.items():
        if key == "network":
            p["network"].update(value)
        else:
            p[key] = value
    return p


def hop_min(s):
    return s["hops"]["front->back.main"]["latency_ms"]["min"]


def two_tiers(plat, response_kb=0, hosts=None):
    doc = scenario({"front": service({"main": endpoint(call("back", response_kb=response_kb))}),
                    "back": service({"main": endpoint({"cpu_ms": 1})})}, rate=5, duration=20, platform=plat)
    if hosts:
        doc["hosts"] = {"node": {"cores": 8}}
        doc["services"]["front"]["host"] = doc["services"]["back"]["host"] = "node"
    return run(doc)


def one_tier(plat, steps, response_kb=0, host=None, rate=5, duration=20):
    svc = service({"main": endpoint(*steps)}, buffer_cache_hit_ratio=0.0)
    if host is not None:
        svc["host"] = host
    doc = scenario({"front": svc}, rate=rate, duration=duration, platform=plat)
    doc["clients"]["users"]["operations"]["op"]["response_kb"] = response_kb
    return run(doc)


class PlatformFieldsTest(unittest.TestCase):
    # field -> (scenario with the default, with the field changed): each must move a figure
    # the way the model says.
    def check(self, base, changed, expected_delta, delta=0.01):
        self.assertAlmostEqual(expected_delta, changed - base, delta=delta)

    def test_network_datacenter_rtt_ms(self):
        self.check(hop_min(two_tiers(platform())), hop_min(two_tiers(platform(network={"datacenter_rtt_ms": 10.5}))),
                   10.0)

    def test_network_nic_gbps(self):
        # A 1 MiB reply over the hosts' NICs: 8.39 ms at 1 Gbps, 0.84 ms at 10.
        self.check(hop_min(two_tiers(platform(), 1024)), hop_min(two_tiers(platform(network={"nic_gbps": 10}), 1024)),
                   -(1048576 / 125e6 - 1048576 / 1.25e9) * 1000, delta=0.02)

    def test_host_nic_gbps(self):
        # A host's own NIC setting wins over the network's for that host.
        doc = platform(network={"nic_gbps": 10})
        s = run(scenario({"front": service({"main": endpoint(call("back", response_kb=1024))}),
                          "back": service({"main": endpoint({"cpu_ms": 1})}, host={"cores": 8, "nic_gbps": 1})},
                         rate=5, duration=20, platform=doc))
        self.assertAlmostEqual(1.0 + 0.5 + 1048576 / 125e6 * 1000, hop_min(s), delta=0.02)

    def test_network_loopback_rtt_ms(self):
        self.check(hop_min(two_tiers(platform(), hosts=True)),
                   hop_min(two_tiers(platform(network={"loopback_rtt_ms": 2}), hosts=True)), 2.0)

    def test_network_client_rtt_ms(self):
        base = one_tier(platform(), [{"cpu_ms": 1}])["latency_ms"]["min"]
        self.check(base, one_tier(platform(network={"client_rtt_ms": 40.5}), [{"cpu_ms": 1}])["latency_ms"]["min"], 40.0)

    def test_network_client_gbps(self):
        # A 1 MiB reply to the clients crosses the host's NIC (1 Gbps) and the clients'
        # access link: at 0.1 Gbps the access link is the bottleneck, 83.9 ms instead of 8.4.
        host = {"cores": 8, "nic_gbps": 1}
        base = one_tier(platform(), [{"cpu_ms": 1}], response_kb=1024, host=host)["latency_ms"]["min"]
        slow = one_tier(platform(network={"client_gbps": 0.1}), [{"cpu_ms": 1}], response_kb=1024, host=host)
        self.check(base, slow["latency_ms"]["min"], (1048576 / 12.5e6 - 1048576 / 125e6) * 1000, delta=0.05)

    def test_memory_read_us_per_mb(self):
        def hit(us):
            svc = service({"main": endpoint({"read_kb": 1024})}, buffer_cache_hit_ratio=1.0)
            return run(scenario({"front": svc}, rate=5, duration=20,
                                platform=platform(memory={"read_us_per_mb": us})))["latency_ms"]["min"]
        self.check(hit(250), hit(2250), 2.0, delta=0.001)

    def disk_min(self, disks=None, host=None, steps=({"read_kb": 1024},), rate=5, duration=20):
        plat = platform(disks=disks) if disks else platform()
        return one_tier(plat, list(steps), host=host, rate=rate, duration=duration)["latency_ms"]

    def test_disks_read_ms_per_mb_and_seek_ms(self):
        base = self.disk_min()["min"]  # 10 ms seek + 30 ms per MB
        hdd = {"read_ms_per_mb": 50, "write_ms_per_mb": 30, "seek_ms": 10, "parallelism": 1}
        self.check(base, self.disk_min({"hdd": hdd})["min"], 20.0)
        hdd = {"read_ms_per_mb": 30, "write_ms_per_mb": 30, "seek_ms": 4, "parallelism": 1}
        self.check(base, self.disk_min({"hdd": hdd})["min"], -6.0)

    def test_disks_write_ms_per_mb(self):
        steps = ({"write_kb": 1024},)
        hdd = {"read_ms_per_mb": 30, "write_ms_per_mb": 60, "seek_ms": 10, "parallelism": 1}
        self.check(self.disk_min(steps=steps)["min"], self.disk_min({"hdd": hdd}, steps=steps)["min"], 30.0)

    def test_disks_parallelism(self):
        # 40 ms of device time per I/O at 20/s keeps the device 80% busy. One at a time, it is
        # a FIFO queue (M/D/1: mean 40 + 0.8 x 40 / 0.4 = 120 ms); four at once share the
        # device, closer to processor sharing (M/D/1-PS: 40 / 0.2 = 200 ms).
        one = self.disk_min(rate=20, duration=1000)
        hdd = {"read_ms_per_mb": 30, "write_ms_per_mb": 30, "seek_ms": 10, "parallelism": 4}
        four = self.disk_min({"hdd": hdd}, rate=20, duration=1000)
        self.assertAlmostEqual(120.5, one["mean"], delta=15)
        self.assertGreater(four["mean"], one["mean"] + 30)

    def test_host_cores(self):
        def util(cores):
            s = one_tier(platform(host={"cores": cores}), [{"cpu_ms": 10}], host={}, rate=50)
            return s["utilization"]["front-1"]["cpu"]
        # 50/s x 10 ms = 0.5 core: 25% of 2 cores, 12.5% of 4.
        self.assertAlmostEqual(0.25, util(2), delta=0.03)
        self.assertAlmostEqual(0.125, util(4), delta=0.02)

    def test_host_core_speed(self):
        s = one_tier(platform(host={"core_speed": 2.0}), [{"cpu_ms": 10}], host={})
        self.assertAlmostEqual(5.0 + 0.5, s["latency_ms"]["min"], delta=0.01)

    def test_host_disk(self):
        # The profile's SSD: 0.1 ms access and 2 ms per MB instead of the disk arm's 40 ms.
        self.assertAlmostEqual(40.5, self.disk_min(host={})["min"], delta=0.01)
        ssd = one_tier(platform(host={"disk": "ssd"}), [{"read_kb": 1024}], host={})["latency_ms"]["min"]
        self.assertAlmostEqual(2.1 + 0.5, ssd, delta=0.01)

    def test_services_cache_op_cpu_us(self):
        # The profile's CPU per cache command is each command's time on the cache's event
        # loop, unless the cache service gives its own.
        def cache_residence(plat, **cache_extra):
            cache = {"kind": "cache", "host": {"cores": 1}, "memory_mb": 1}
            cache.update(cache_extra)
            db = {"kind": "database", "host": {"cores": 1}, "max_connections": 4, "buffer_cache_hit_ratio": 1,
                  "endpoints": {"get": {"steps": [{"cpu_ms": 1}]}}}
            front = service({"main": endpoint({"cache_aside": "cache", "value_kb": 1, "miss": [call("db", "get")]})})
            s = run(scenario({"front": front, "db": db, "cache": cache}, rate=5, duration=20, platform=plat))
            return s["services"]["cache"]["residence_ms"]["min"]
        self.assertAlmostEqual(0.012, cache_residence(platform()), delta=0.0005)
        self.assertAlmostEqual(0.100, cache_residence(platform(services={"cache": {"op_cpu_us": 100}})), delta=0.0005)
        self.assertAlmostEqual(0.050, cache_residence(platform(services={"cache": {"op_cpu_us": 100}}), op_cpu_us=50),
                               delta=0.0005)

    def test_host_region(self):
        # A message between regions takes the pair's round trip on top of the datacenter's:
        # the call to a tier in the far region, there and back.
        regions = {"near": {"rtt_ms": {"far": 100}}, "far": {}}
        plat = platform(regions=regions, home_region="near")
        base = hop_min(two_tiers(plat))
        doc = scenario({"front": service({"main": endpoint(call("back"))}),
                        "back": service({"main": endpoint({"cpu_ms": 1})}, host={"cores": 8, "region": "far"})},
                       rate=5, duration=20, platform=plat)
        self.assertAlmostEqual(100.0, hop_min(run(doc)) - base, delta=0.01)

    def test_client_region_and_per_region_latency(self):
        regions = {"near": {"rtt_ms": {"far": 100}}, "far": {}}
        doc = scenario({"front": service({"main": endpoint({"cpu_ms": 1})})}, rate=5, duration=20,
                       platform=platform(regions=regions, home_region="near"))
        far = dict(doc["clients"]["users"], region="far")
        far["operations"] = {"far_op": dict(far["operations"]["op"])}
        doc["clients"]["distant"] = far
        s = run(doc)
        near_min = s["regions"]["near"]["latency_ms"]["min"]
        self.assertAlmostEqual(100.0, s["regions"]["far"]["latency_ms"]["min"] - near_min, delta=0.01)
        self.assertEqual(["distant"], s["regions"]["far"]["clients"])
        self.assertEqual(s["operations"]["far_op"]["sent"], s["regions"]["far"]["sent"])
        # Without regions there is no regions section.
        self.assertNotIn("regions", run(scenario({"front": service({"main": endpoint({"cpu_ms": 1})})}, rate=5,
                                                 duration=5)))

    # Prices: each changes the cost section by what it prices.
    def priced(self, mode="cloud", **prices):
        doc = scenario({"front": service({"main": endpoint({"cpu_ms": 1})}, host={"cores": 2}),
                        "cdn": {"kind": "cdn", "host": {"cores": 4}, "origin": "front", "origin_endpoint": "main",
                                "edges": ["home"], "storage_gb": 1, "object_kb": 100}},
                       rate=10, duration=20, platform=platform(prices=prices), cost={"mode": mode})
        doc["clients"]["users"]["operations"]["op"]["response_kb"] = 10
        doc["clients"]["browsers"] = {"model": "open", "target": "cdn", "rate_rps": 50, "timeout_ms": 5000,
                                      "keys": {"count": 100, "zipf_s": 0.8},
                                      "operations": {"asset": {"weight": 1, "endpoint": "get"}}}
        return run(doc)["cost"]

    def test_prices_hours_per_month(self):
        base, changed = self.priced(), self.priced(hours_per_month=365)
        self.assertAlmostEqual(base["per_month"]["total"] / 2, changed["per_month"]["total"], delta=0.02)

    def test_prices_host_per_hour(self):
        # The edge's host is the CDN's own (in its prices): only the 2-core origin pays.
        self.assertAlmostEqual(730.0, self.priced(host_per_hour={"2": 1, "4": 100})["per_month"]["compute"],
                               delta=0.01)

    def test_prices_origin_egress_per_gb(self):
        base, changed = self.priced(), self.priced(origin_egress_per_gb={"us_europe": 0.18})
        self.assertAlmostEqual(2 * base["per_month"]["origin_egress"], changed["per_month"]["origin_egress"],
                               delta=0.02)

    def test_prices_origin_to_cdn_per_gb(self):
        c = self.priced(origin_to_cdn_per_gb=1)
        self.assertAlmostEqual(c["usage_per_month"]["origin_to_cdn_gb"] + self.priced()["per_month"]["origin_egress"],
                               c["per_month"]["origin_egress"], delta=c["per_month"]["origin_egress"] * 1e-4 + 0.02)

    def test_prices_cdn_egress_per_gb(self):
        c = self.priced(cdn_egress_per_gb={"us_europe": 1})
        self.assertAlmostEqual(c["usage_per_month"]["cdn_egress_gb"], c["per_month"]["cdn_egress"],
                               delta=c["per_month"]["cdn_egress"] * 1e-4 + 0.01)

    def test_prices_cdn_per_10k_requests(self):
        c = self.priced(cdn_per_10k_requests=1)
        self.assertAlmostEqual(c["usage_per_month"]["cdn_requests_millions"] * 100, c["per_month"]["cdn_requests"],
                               delta=c["per_month"]["cdn_requests"] * 1e-4 + 0.01)

    def test_prices_storage_per_gb_month(self):
        c = self.priced(storage_per_gb_month=1000)
        self.assertGreater(c["usage_per_month"]["edge_storage_gb"], 0)
        self.assertAlmostEqual(c["usage_per_month"]["edge_storage_gb"] * 1000, c["per_month"]["storage"], delta=0.01)

    def test_prices_on_premises(self):
        # The 2-core origin: its purchase over its life and its rack, and its power for the month.
        op = {"server_base": 1200, "server_per_core": 0, "amortisation_years": 1, "rack_per_server_month": 0,
              "watts_base": 1000, "watts_per_core": 0, "pue": 1, "power_per_kwh": 0.1, "transit_per_gb": 0}
        c = self.priced("on_premises", on_premises=op)
        self.assertAlmostEqual(1200 / 12 + 730 * 0.1, c["per_month"]["compute"], delta=0.01)
        self.assertEqual(0, c["per_month"]["origin_egress"])

    def test_prices_assumptions(self):
        self.assertEqual(["mine"], self.priced(assumptions=["mine"])["assumptions"])

    def test_prices_from_a_profile_file(self):
        # A profile's own prices are used, not the defaults the scenario's platform section
        # would have.
        with open(os.path.join(ROOT, "platforms", "default.json")) as f:
            profile = json.load(f)
        profile["name"] = "dear"
        profile["prices"]["cdn_per_10k_requests"] = 1.0
        profile["services"]["cache"]["op_cpu_us"] = 100
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "dear.json"), "w") as f:
                json.dump(profile, f)
            doc = scenario({"front": service({"main": endpoint({"cpu_ms": 1})}, host={"cores": 2}),
                            "cdn": {"kind": "cdn", "host": {"cores": 4}, "origin": "front", "origin_endpoint": "main",
                                    "edges": ["home"], "storage_gb": 1, "object_kb": 100}},
                           target="cdn", endpoint_name="get", rate=10, duration=10, platform={"profile": "dear.json"})
            path = os.path.join(d, "s.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            result = archsim("run", path, "--quiet", "--out", os.path.join(d, "out"))
            self.assertEqual(0, result.returncode, result.stderr)
            with open(os.path.join(d, "out", "summary.json")) as f:
                cost = json.load(f)["cost"]
        self.assertAlmostEqual(cost["usage_per_month"]["cdn_requests_millions"] * 100, cost["per_month"]["cdn_requests"],
                               delta=0.01 * cost["per_month"]["cdn_requests"])

    def test_every_documented_field_has_a_case(self):
        with open(os.path.join(ROOT, "scenarios", "schema.json")) as f:
            defs = json.load(f)["$defs"]
        fields = {f"network_{k}" for k in defs["network"]["properties"]}
        fields |= {f"memory_{k}" for k in defs["profile_body"]["properties"]["memory"]["properties"]}
        fields |= {f"host_{k}" for k in defs["host_spec"]["properties"]}
        disk_cases = {"disks_read_ms_per_mb_and_seek_ms": ("read_ms_per_mb", "seek_ms"),
                      "disks_write_ms_per_mb": ("write_ms_per_mb",), "disks_parallelism": ("parallelism",)}
        covered = {name[5:] for name in dir(self) if name.startswith("test_")}
        for case, keys in disk_cases.items():
            if case in covered:
                covered |= {f"disks_{k}" for k in keys}
        fields |= {f"disks_{k}" for k in defs["disk_spec"]["properties"]}
        services = defs["profile_body"]["properties"]["services"]["properties"]
        fields |= {f"services_{kind}_{k}" for kind, d in services.items() for k in d["properties"]}
        # Prices (their sources are documentation: no run reads them).
        fields |= {f"prices_{k}" for k in defs["profile_body"]["properties"]["prices"]["properties"]} - {"prices_sources"}
        self.assertEqual(set(), fields - covered)


if __name__ == "__main__":
    unittest.main()
