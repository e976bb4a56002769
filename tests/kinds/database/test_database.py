#!/usr/bin/python3
"""The database kind, replicated: reads scale on the replicas and writes land on the primary;
replication lag and stale reads; failover, and the acknowledged writes it loses unless
semi-synchronous."""
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scenarios"))
from scenario_helpers import (PING, call, endpoint, event_times, lb, rows_between, run,  # noqa: E402,F401
                              run_with_files, scenario, service, total)


def replicated_db(mode="async", apply_ms=0.2, promotion_s=2, **extra):
    replication = {"mode": mode, "promotion_s": promotion_s, "apply_steps": [{"cpu_ms": apply_ms}]}
    replication.update(extra)
    return {"kind": "database", "host": {"cores": 4}, "replicas": 3, "max_connections": 64, "buffer_cache_hit_ratio": 1,
            "replication": replication,
            "health_check": {"interval_ms": 500, "timeout_ms": 200, "unhealthy_threshold": 2, "healthy_threshold": 2},
            "endpoints": {"get": {"steps": [{"cpu_ms": 0.5}]},
                          "put": {"access": "write", "steps": [{"cpu_ms": 0.5}]}}}


def db_clients(rate, write_share):
    return {"users": {"model": "open", "target": "front", "rate_rps": rate, "timeout_ms": 2000,
                      "keys": {"count": 100, "zipf_s": 1.0},
                      "operations": {"read": {"weight": 1 - write_share, "endpoint": "read", "request_kb": 0,
                                              "response_kb": 0},
                                     "write": {"weight": write_share, "endpoint": "write", "request_kb": 0,
                                               "response_kb": 0}}}}


def db_front():
    return service({"read": endpoint(call("db", "get", timeout_ms=300)),
                    "write": endpoint(call("db", "put", timeout_ms=1000))}, workers=256)


class ReplicationTest(unittest.TestCase):
    def test_lag_and_stale_reads_grow_with_a_slow_applier(self):
        fast = run(scenario({"front": db_front(), "db": replicated_db(apply_ms=0.2)}, duration=60,
                            clients=db_clients(400, 0.3)))
        slow = run(scenario({"front": db_front(), "db": replicated_db(apply_ms=8)}, duration=60,
                            clients=db_clients(400, 0.3)))
        f, w = fast["services"]["db"]["replication"], slow["services"]["db"]["replication"]
        self.assertGreater(w["replication_lag_ms"]["p50"], 10 * f["replication_lag_ms"]["p50"])
        self.assertGreater(w["stale_read_fraction"], 5 * max(f["stale_read_fraction"], 1e-4))
        # Reads go to the replicas, writes to the primary.
        self.assertEqual(0, fast["utilization"]["db-1"]["cpu"] > 0.5)
        self.assertGreater(f["replica_reads"], 0.9 * fast["operations"]["read"]["ok"])

    def test_primary_failover_loses_unreplicated_writes_unless_semi_sync(self):
        # A 50 ms round trip between the database hosts (say, two zones): about 3 writes are
        # in flight to the replicas at any time.
        faults = {"events": [{"at_s": 30, "crash": {"host": "db-1"}}]}
        platform = {"network": {"datacenter_rtt_ms": 50, "client_rtt_ms": 0, "loopback_rtt_ms": 0}}
        asyn = run_with_files(scenario({"front": db_front(), "db": replicated_db(apply_ms=4)}, duration=60,
                                       clients=db_clients(300, 0.4), faults=faults, platform=platform))
        s, rows, events = asyn
        r = s["services"]["db"]["replication"]
        self.assertEqual(1, r["failovers"])
        self.assertIn(r["primary"], ("db-2", "db-3"))
        self.assertGreater(r["lost_writes"], 0)
        self.assertAlmostEqual(2.0, r["no_primary_s"], delta=0.01)
        # Writes fail from the crash until the promotion; reads keep working.
        self.assertGreater(s["operations"]["write"]["errors_by_cause"]["unavailable"], 0)
        started = event_times(events, "db", "failover_started")[0]
        promoted = event_times(events, "db", "promoted")[0]
        self.assertAlmostEqual(2.0, promoted - started, delta=1e-6)
        self.assertLess(s["operations"]["read"]["failed"], 0.01 * s["operations"]["read"]["sent"])
        semi = run(scenario({"front": db_front(), "db": replicated_db(mode="semi_sync", apply_ms=4)}, duration=60,
                            clients=db_clients(300, 0.4), faults=faults, platform=platform))
        self.assertEqual(0, semi["services"]["db"]["replication"]["lost_writes"])

    def test_clients_aimed_at_the_database_write_on_the_primary(self):
        # No app tier: the clients call the database's endpoints themselves.
        clients = db_clients(200, 0.3)
        clients["users"]["target"] = "db"
        clients["users"]["operations"]["read"]["endpoint"] = "get"
        clients["users"]["operations"]["write"]["endpoint"] = "put"
        s = run(scenario({"db": replicated_db()}, duration=30, clients=clients))
        self.assertEqual(0, s["requests"]["failed"])
        r = s["services"]["db"]["replication"]
        self.assertAlmostEqual(s["operations"]["write"]["ok"], r["writes"], delta=5)
        self.assertGreater(r["replica_reads"], 0.9 * s["operations"]["read"]["ok"])

    def test_replica_failure_shifts_reads(self):
        doc = scenario({"front": db_front(), "db": replicated_db()}, duration=60, clients=db_clients(200, 0.1),
                       faults={"events": [{"at_s": 20, "crash": {"replica": "db-2"}}]})
        s, rows, events = run_with_files(doc)
        detected = event_times(events, "db/monitor", "marks_down")[0]
        self.assertLess(detected - 20, 1.6)
        self.assertEqual(0, total(rows_between(rows, math.ceil(detected) + 1, 60), "errors"))
        self.assertGreater(s["utilization"]["db-3"]["cpu"], s["utilization"]["db-2"]["cpu"])


if __name__ == "__main__":
    unittest.main()
