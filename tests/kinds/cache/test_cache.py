#!/usr/bin/python3
"""The cache kind: hit ratios that emerge from key popularity and eviction, the database
offload and the latency it buys, stale reads from TTL and from the invalidation race, and
what a flush or a crashed node costs."""
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scenarios"))
from scenario_helpers import call, endpoint, event_times, rows_between, run, run_with_files, scenario  # noqa: E402

VALUE_KB = 1


def cache(memory_items=100, **extra):
    """A cache node holding `memory_items` values of VALUE_KB (no per-item overhead)."""
    c = {"kind": "cache", "host": {"cores": 2}, "memory_mb": memory_items * VALUE_KB / 1024.0,
         "item_overhead_bytes": 0}
    c.update(extra)
    return c


def database(read_ms=5):
    return {"kind": "database", "host": {"cores": 8}, "max_connections": 64, "buffer_cache_hit_ratio": 1,
            "endpoints": {"get": {"steps": [{"cpu_ms": {"dist": "exponential", "mean": read_ms}}]},
                          "put": {"access": "write", "steps": [{"cpu_ms": 0.5}]}}}


def cached_read(ttl_s=None):
    step = {"cache_aside": "cache", "value_kb": VALUE_KB,
            "miss": [call("db", "get", timeout_ms=2000, response_kb=VALUE_KB)]}
    if ttl_s:
        step["ttl_s"] = ttl_s
    return step


def front(read_steps, write_steps=None):
    endpoints = {"read": endpoint(*read_steps)}
    if write_steps:
        endpoints["write"] = endpoint(*write_steps)
    return {"kind": "app_server", "host": {"cores": 8}, "workers": 256, "endpoints": endpoints}


def clients(rate, keys=1000, zipf_s=0.8, write_share=0.0):
    ops = {"read": {"weight": 1 - write_share, "endpoint": "read", "request_kb": 0, "response_kb": 0}}
    if write_share:
        ops["write"] = {"weight": write_share, "endpoint": "write", "request_kb": 0, "response_kb": 0}
    return {"users": {"model": "open", "target": "front", "rate_rps": rate, "timeout_ms": 5000,
                      "keys": {"count": keys, "zipf_s": zipf_s}, "operations": ops}}


def che_lru(keys, zipf_s, capacity):
    """Che's approximation of an LRU cache under independent Zipf requests: the hit ratio
    overall and per popularity decile."""
    w = [1 / (k + 1) ** zipf_s for k in range(keys)]
    p = [x / sum(w) for x in w]
    lo, hi = 0.0, 1e12
    for _ in range(300):
        t = (lo + hi) / 2
        if sum(1 - math.exp(-q * t) for q in p) < capacity:
            lo = t
        else:
            hi = t
    hit = [1 - math.exp(-q * lo) for q in p]
    tenth = keys // 10
    deciles = [sum(p[k] * hit[k] for k in range(d * tenth, (d + 1) * tenth)) / sum(p[d * tenth:(d + 1) * tenth])
               for d in range(10)]
    return sum(q * h for q, h in zip(p, hit)), deciles


class CacheTest(unittest.TestCase):
    def test_lru_hit_ratio_in_a_run_follows_che(self):
        # The whole path (clients drawing keys, cache-aside, sets on misses) against the
        # theory, which the test computes; at 0.8 the FIFO counterpart is 0.04 lower.
        s = run(scenario({"front": front([cached_read()]), "db": database(read_ms=0.1), "cache": cache(100)},
                         duration=120, warmup_s=20, clients=clients(2000)))
        c = s["services"]["cache"]["cache"]
        theory, deciles = che_lru(1000, 0.8, 100)
        self.assertAlmostEqual(theory, c["hit_ratio"], delta=0.012)
        # Per popularity decile too: the popular keys hit, the tail misses.
        for measured, expected in zip(c["hit_ratio_by_popularity_decile"], deciles):
            self.assertAlmostEqual(expected, measured, delta=0.02)
        self.assertEqual(c["gets"] - c["hits"], c["sets"])
        self.assertGreater(c["evictions"], 0)
        self.assertEqual(100, c["items"])

    def test_cache_offloads_the_database_and_cuts_latency(self):
        plain = run(scenario({"front": front([call("db", "get", timeout_ms=2000)]), "db": database()},
                             duration=60, warmup_s=10, clients=clients(800)))
        cached = run(scenario({"front": front([cached_read()]), "db": database(), "cache": cache(300)},
                              duration=60, warmup_s=10, clients=clients(800)))
        hit = cached["services"]["cache"]["cache"]["hit_ratio"]
        self.assertGreater(hit, 0.5)
        self.assertAlmostEqual(1.0, plain["services"]["db"]["arrivals_per_request"], delta=0.01)
        self.assertAlmostEqual(1 - hit, cached["services"]["db"]["arrivals_per_request"], delta=0.02)
        self.assertLess(cached["latency_ms"]["p50"], 0.5 * plain["latency_ms"]["p50"])
        self.assertLess(cached["latency_ms"]["p99"], plain["latency_ms"]["p99"])
        self.assertLess(cached["utilization"]["db-1"]["cpu"], 0.6 * plain["utilization"]["db-1"]["cpu"])

    def test_stale_reads_come_from_ttl_without_invalidation_and_from_the_race_with_it(self):
        def stale(ttl_s, invalidate):
            writes = [call("db", "put", timeout_ms=2000)]
            if invalidate:
                writes.append({"cache_invalidate": "cache"})
            s = run(scenario({"front": front([cached_read(ttl_s)], writes), "db": database(read_ms=2),
                              "cache": cache(1000)},
                             duration=60, warmup_s=10, clients=clients(500, keys=200, write_share=0.1)))
            return s["services"]["cache"]["cache"]
        long_ttl, short_ttl, invalidated = stale(30, False), stale(1, False), stale(30, True)
        self.assertGreater(long_ttl["stale_read_fraction"], 0.3)
        self.assertLess(short_ttl["stale_read_fraction"], 0.5 * long_ttl["stale_read_fraction"])
        # Deleting on write leaves only the race: a reader that read the old version before
        # the write sets it back after the delete.
        self.assertLess(invalidated["stale_read_fraction"], 0.1 * long_ttl["stale_read_fraction"])
        self.assertGreater(invalidated["deletes"], 0)

    def test_a_flush_sends_every_read_to_the_database_until_the_cache_refills(self):
        faults = {"events": [{"at_s": 30, "flush": {"service": "cache"}}]}
        s, rows, events = run_with_files(scenario(
            {"front": front([cached_read()]), "db": database(read_ms=1), "cache": cache(300)},
            duration=60, warmup_s=10, clients=clients(800), faults=faults, metrics={"window_s": 0.1}))
        self.assertEqual([30.0], event_times(events, "cache", "flush"))
        self.assertEqual(1, s["services"]["cache"]["cache"]["flushes"])

        def mean(column, start, end):
            values = [float(r[column]) for r in rows_between(rows, start, end)]
            return sum(values) / len(values)
        before, after, later = (mean("hit_ratio:cache", a, b) for a, b in ((20, 30), (30, 30.2), (50, 60)))
        self.assertGreater(before, 0.5)
        self.assertLess(after, before - 0.25)
        self.assertAlmostEqual(before, later, delta=0.03)
        # Meanwhile every miss is a database read.
        self.assertGreater(mean("util:db-1.cpu", 30, 30.2), 1.5 * mean("util:db-1.cpu", 20, 30))

    def test_a_hot_key_expiring_stampedes_the_database_unless_protected(self):
        # One key at 1,000 requests/s, a 100 ms query, a 5 s TTL: when the value expires,
        # every request until the first refresh lands (hundreds) reads the database, whose
        # 4 cores serve 40 such queries a second: a queue that outlives the callers'
        # timeouts, so no refresh ever lands again. Each protection keeps the reads to a few
        # per expiry: 10 expiries in the 50 s measured.
        def stampede(coalesce=False, **cache_extra):
            read = cached_read(ttl_s=5)
            read["coalesce"] = coalesce
            db = database()
            db.update(host={"cores": 4}, max_connections=16)
            db["endpoints"]["get"]["steps"] = [{"cpu_ms": 100}]
            app = front([read])
            app.update(replicas=4, workers=512, queue_limit=10000)
            load = clients(1000, keys=1, zipf_s=0)
            load["users"]["schedule"] = [{"at_s": 0, "rate_rps": 20}, {"at_s": 2, "rate_rps": 1000}]
            return run(scenario({"front": app, "db": db, "cache": cache(100, **cache_extra)}, duration=60,
                                warmup_s=10, clients=load))
        bare = stampede()
        self.assertGreater(bare["error_rate"], 0.3)
        self.assertGreater(bare["services"]["db"]["arrivals"], 10000)
        coalesced = stampede(coalesce=True)
        self.assertEqual(0, coalesced["error_rate"])
        self.assertLessEqual(coalesced["services"]["db"]["arrivals"], 4 * 11)  # one read per app replica
        self.assertGreater(coalesced["services"]["cache"]["cache"]["coalesced"], 100)
        grace = stampede(stale_while_revalidate_s=5)
        self.assertEqual(0, grace["error_rate"])
        self.assertLessEqual(grace["services"]["db"]["arrivals"], 11)  # one refresh per expiry
        self.assertGreater(grace["services"]["cache"]["cache"]["served_in_grace"], 100)
        early = stampede(early_refresh_beta=1)
        self.assertEqual(0, early["error_rate"])
        self.assertGreater(early["services"]["cache"]["cache"]["early_refreshes"], 5)
        self.assertLess(early["services"]["db"]["arrivals"], 100)
        self.assertLess(early["latency_ms"]["p99"], 1)  # the refresh happens before anyone waits

    def test_a_read_through_cache_loads_misses_itself(self):
        # The app only asks the cache; the cache reads the database on a miss. The hit ratio
        # is the same theory's, and every miss is one database read made by the cache.
        c_service = cache(100, threads=16, read_through=[call("db", "get", timeout_ms=2000, response_kb=VALUE_KB)])
        app = front([call("cache", "get", timeout_ms=2000, response_kb=VALUE_KB)])
        s = run(scenario({"front": app, "db": database(read_ms=0.1), "cache": c_service}, duration=120, warmup_s=20,
                         clients=clients(2000)))
        c = s["services"]["cache"]["cache"]
        self.assertAlmostEqual(che_lru(1000, 0.8, 100)[0], c["hit_ratio"], delta=0.012)
        self.assertEqual(c["misses"], c["loads"])
        self.assertIn("cache->db.get", s["hops"])
        self.assertNotIn("front->db.get", s["hops"])
        self.assertAlmostEqual(c["loads"], s["hops"]["cache->db.get"]["calls"], delta=0.01 * c["loads"])
        self.assertEqual(0, s["error_rate"])

    def test_write_through_keeps_the_cache_fresh_and_write_behind_answers_first(self):
        def writes(**pattern):
            c_service = cache(1000, threads=16, **pattern)
            app = front([call("cache", "get", timeout_ms=2000, response_kb=VALUE_KB, on_error="continue")],
                        [call("cache", "set", timeout_ms=2000, request_kb=VALUE_KB)])
            return run_with_files(scenario({"front": app, "db": database(read_ms=2), "cache": c_service}, duration=60,
                                           warmup_s=10, clients=clients(500, keys=200, write_share=0.3),
                                           faults={"events": [{"at_s": 40, "crash": {"replica": "cache-1"},
                                                               "duration_s": 1}]}))
        through, _, _ = writes(write_through=[call("db", "put", timeout_ms=2000)])
        behind, rows, _ = writes(write_behind={"steps": [call("db", "put", timeout_ms=2000)], "delay_ms": 500})
        t, b = through["services"]["cache"]["cache"], behind["services"]["cache"]["cache"]
        # Write-through: one database write per set, before the set answers; the cached
        # value carries the committed version, so reads are never stale.
        self.assertAlmostEqual(t["sets"], t["written_through"], delta=0.01 * t["sets"])
        self.assertEqual(0, t["stale_hits"])
        self.assertGreater(through["operations"]["write"]["latency_ms"]["p50"],
                           behind["operations"]["write"]["latency_ms"]["p50"] + 0.5)
        # Write-behind: the set answers at once, the database hears of it half a second
        # later, several sets of a key share one write, and a crash loses what was pending.
        wb = b["write_behind"]
        self.assertAlmostEqual(500, wb["delay_ms"]["p50"], delta=20)
        self.assertLess(wb["written"], 0.9 * b["sets"])
        self.assertGreater(wb["lost"], 0)
        self.assertIn("write_behind_queue:cache", rows[0])

    def test_a_crashed_node_loses_its_share_of_the_keys(self):
        faults = {"events": [{"at_s": 30, "crash": {"replica": "cache-1"}, "duration_s": 1}]}
        s, rows, events = run_with_files(scenario(
            {"front": front([cached_read()]), "db": database(read_ms=1), "cache": cache(300, replicas=2)},
            duration=60, warmup_s=10, clients=clients(800), faults=faults))
        c = s["services"]["cache"]["cache"]
        self.assertEqual(2, s["services"]["cache"]["replicas"])
        dips = [float(r["hit_ratio:cache"]) for r in rows_between(rows, 31, 33)]
        steady = [float(r["hit_ratio:cache"]) for r in rows_between(rows, 20, 30)]
        self.assertLess(min(dips), min(steady) - 0.05)
        # Both nodes hold about half of the keys' share of memory.
        self.assertGreater(c["items"], 400)

    def test_with_two_copies_of_each_key_a_crashed_node_costs_no_hits(self):
        faults = {"events": [{"at_s": 30, "crash": {"replica": "cache-1"}, "duration_s": 1}]}
        s, rows, events = run_with_files(scenario(
            {"front": front([cached_read()]), "db": database(read_ms=1), "cache": cache(300, replicas=2, copies=2)},
            duration=60, warmup_s=10, clients=clients(800), faults=faults))
        c = s["services"]["cache"]["cache"]
        steady = [float(r["hit_ratio:cache"]) for r in rows_between(rows, 20, 30)]
        during = [float(r["hit_ratio:cache"]) for r in rows_between(rows, 30, 31)]
        self.assertGreater(min(during), min(steady) - 0.05)
        # Every miss is set on both nodes; the gets that found cache-1 down went to cache-2.
        self.assertAlmostEqual(2 * (c["gets"] - c["hits"]), c["sets"], delta=0.02 * c["sets"])
        self.assertGreater(s["hops"]["front->cache.get"]["failed"], 0)
        self.assertEqual(0, s["error_rate"])


if __name__ == "__main__":
    unittest.main()
