#!/usr/bin/python3
"""Clients that replay a recorded access log: the requests come at the logged times (divided
by speed), once or looped, with the logged operations, keys and sizes; and a cache fed a
logged key stream hits exactly as an LRU cache replaying the same stream does."""
import json
import os
import random
import shutil
import sys
import tempfile
import unittest
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(__file__))
from scenario_helpers import NO_NETWORK, archsim, call, endpoint, run, service  # noqa: E402


def write_log(folder, lines, sized=True):
    path = os.path.join(folder, "access.csv")
    with open(path, "w") as f:
        f.write("time_s,operation,key,size_kb\n" if sized else "time_s,operation,key\n")
        for line in lines:
            f.write(",".join(str(x) for x in line) + "\n")
    return path


def replay_doc(log, services, operations, duration=20, **client):
    c = {"model": "replay", "target": "front", "log": log, "timeout_ms": 5000, "operations": operations}
    c.update(client)
    return {"description": "replay test", "duration_s": duration, "warmup_s": 0, "platform": NO_NETWORK,
            "services": services, "clients": {"users": c}}


class ReplayTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="archsim-replay-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_looped_and_faster_replay_sends_the_logged_requests(self):
        # Five lines over 2 log-seconds: a loop lasts 2.5 s (the span and a mean gap), 1.25 s
        # at twice the speed, so 20 s hold 16 loops.
        log = write_log(self.tmp, [(1000.0, "read", 5, 2), (1000.5, "read", 7, ""), (1001.0, "write", 5, 1),
                                   (1001.0, "read", 5, ""), (1002.0, "read", 9, 16)])
        front = service({"read": endpoint({"cpu_ms": 1}), "write": endpoint({"cpu_ms": 2})})
        ops = {"read": {"endpoint": "read", "response_kb": 1}, "write": {"endpoint": "write"}}
        looped = run(replay_doc(log, {"front": front}, ops, loop=True, speed=2))
        self.assertEqual(80, looped["requests"]["sent"])
        self.assertEqual(64, looped["operations"]["read"]["sent"])
        self.assertEqual(16, looped["operations"]["write"]["sent"])
        self.assertAlmostEqual(4.0, looped["offered_rps"], delta=0.01)
        once = run(replay_doc(log, {"front": front}, ops))
        self.assertEqual(5, once["requests"]["sent"])

    def test_a_looped_log_whose_lines_share_one_time_loops_every_second(self):
        log = write_log(self.tmp, [(7, "read", 1, ""), (7, "read", 2, "")])
        s = run(replay_doc(log, {"front": service({"read": endpoint({"cpu_ms": 1})})},
                           {"read": {"endpoint": "read"}}, duration=10, loop=True))
        self.assertEqual(20, s["requests"]["sent"])
        # validate says so.
        doc = replay_doc(log, {"front": service({"read": endpoint({"cpu_ms": 1})})}, {"read": {"endpoint": "read"}},
                         duration=10, loop=True, speed=4)
        path = os.path.join(self.tmp, "one-time.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        result = archsim("validate", path)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn("/clients/users/log: its lines share one time: looped, it repeats every 1 s of log time "
                      "(0.25 s at speed 4.0)", result.stderr)

    def refused(self, doc):
        path = os.path.join(self.tmp, "s.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        result = archsim("validate", path)
        self.assertEqual(2, result.returncode, result.stderr)
        return result.stderr

    def test_a_looped_log_faster_than_any_client_is_refused(self):
        # Two lines 1e-300 s apart, looped: the run stalled at one instant, sending without end.
        front = {"front": service({"read": endpoint({"cpu_ms": 1})})}
        log = write_log(self.tmp, [(0, "read", 1, ""), (1e-300, "read", 2, "")])
        message = self.refused(replay_doc(log, front, {"read": {"endpoint": "read"}}, loop=True))
        self.assertIn("/clients/users/log: looped, its 2 requests every 2e-300 s (at speed 1.0) come faster than", message)
        # Once through, it is two requests.
        self.assertEqual(2, run(replay_doc(log, front, {"read": {"endpoint": "read"}}))["requests"]["sent"])

    def test_a_log_that_is_a_device_or_a_pipe_is_refused(self):
        front = {"front": service({"read": endpoint({"cpu_ms": 1})})}
        fifo = os.path.join(self.tmp, "pipe.csv")
        os.mkfifo(fifo)
        for log in ("/dev/zero", fifo):
            message = self.refused(replay_doc(log, front, {"read": {"endpoint": "read"}}))
            self.assertIn("access log is not a regular file (a device or a pipe): " + log, message)

    def test_logged_sizes_set_the_responses(self):
        # Over a 10 Mbps access link the 1 MB response of the logged line takes about 0.84 s
        # more than the operation's own 1 KB.
        log = write_log(self.tmp, [(0, "read", 1, ""), (5, "read", 1, 1024)])
        platform = {"network": {"datacenter_rtt_ms": 0, "client_rtt_ms": 0, "loopback_rtt_ms": 0,
                                "client_gbps": 0.01}}
        doc = replay_doc(log, {"front": service({"read": endpoint({"cpu_ms": 1})})},
                         {"read": {"endpoint": "read", "response_kb": 1}}, duration=10)
        doc["platform"] = platform
        s = run(doc)
        latency = s["latency_ms"]
        self.assertAlmostEqual(1024 * 1024 * 8 / 1e7 * 1000, latency["max"] - latency["min"], delta=5)

    def test_a_log_saved_by_a_spreadsheet_reads_as_any_other(self):
        # Spreadsheets save CSV with a UTF-8 byte order mark and CRLF line ends.
        path = os.path.join(self.tmp, "excel.csv")
        with open(path, "wb") as f:
            f.write(b"\xef\xbb\xbftime_s,operation,key\r\n0,read,1\r\n1,read,2\r\n")
        s = run(replay_doc(path, {"front": service({"read": endpoint({"cpu_ms": 1})})},
                           {"read": {"endpoint": "read"}}, duration=5))
        self.assertEqual(2, s["requests"]["ok"])

    def test_a_cache_fed_a_logged_key_stream_hits_as_lru_on_that_stream(self):
        rng = random.Random(3)
        weights = [1 / (k + 1) ** 0.9 for k in range(500)]
        keys = rng.choices(range(500), weights=weights, k=4000)
        log = write_log(self.tmp, [(i * 0.01, "read", k) for i, k in enumerate(keys)], sized=False)
        # The same stream through an LRU of 50 values, in Python.
        lru, hits = OrderedDict(), 0
        for k in keys:
            if k in lru:
                hits += 1
                lru.move_to_end(k)
            else:
                lru[k] = True
                if len(lru) > 50:
                    lru.popitem(last=False)
        cache = {"kind": "cache", "host": {"cores": 2}, "memory_mb": 50 / 1024.0, "item_overhead_bytes": 0}
        db = {"kind": "database", "host": {"cores": 8}, "max_connections": 64, "buffer_cache_hit_ratio": 1,
              "endpoints": {"get": {"steps": [{"cpu_ms": 0.1}]}}}
        front = service({"read": endpoint({"cache_aside": "cache", "value_kb": 1,
                                           "miss": [call("db", "get", timeout_ms=2000)]})})
        s = run(replay_doc(log, {"front": front, "db": db, "cache": cache}, {"read": {"endpoint": "read"}},
                           duration=41))
        c = s["services"]["cache"]["cache"]
        self.assertEqual(4000, c["gets"])
        self.assertEqual(hits, c["hits"])
        # Ranks are unknown for a logged key: no deciles.
        self.assertEqual([None] * 10, c["hit_ratio_by_popularity_decile"])


if __name__ == "__main__":
    unittest.main()
