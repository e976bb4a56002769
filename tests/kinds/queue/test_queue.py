#!/usr/bin/python3
"""The message queue against theory: competing consumers on one shared queue are an M/M/c
queue (Erlang C), a partitioned topic with one member per partition is independent M/M/1
queues, an overloaded group's backlog grows at lambda - c mu, a message that fails each
attempt with probability p is dead-lettered after k deliveries with probability p^k, and a
delivery outlasting its visibility timeout is delivered again. Then the broker's
durability: what a crash loses with acks 1 in the page cache, and nothing with acks all on
three replicas; and a traced message followed from publish to its consumer."""
import json
import math
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scenarios"))
from scenario_helpers import archsim, endpoint, run, run_with_files  # noqa: E402

ZERO_NETWORK = {"network": {"datacenter_rtt_ms": 0, "client_rtt_ms": 0, "loopback_rtt_ms": 0}}


def erlang_c_wait(lam, mu, c):
    """Mean wait in queue of M/M/c."""
    a = lam / mu
    rho = a / c
    summ = sum(a ** k / math.factorial(k) for k in range(c))
    top = a ** c / math.factorial(c) / (1 - rho)
    p_wait = top / (summ + top)
    return p_wait / (c * mu - lam)


def doc(consumer, rate, duration=2000, queue=None, publish=None, warmup=100, **extra):
    p = {"publish": "mq", "topic": "jobs", "message_kb": 0.01, "wait_for_ack": False, "partition_key": "random"}
    p.update(publish or {})
    q = {"kind": "queue", "host": {"cores": 8, "disk": "ssd"}, "op_cpu_us": 0, "header_bytes": 0,
         "topics": {"jobs": {"partitions": 1}}}
    q.update(queue or {})
    c = {"kind": "consumer", "host": {"cores": 1}, "queue": "mq", "topic": "jobs",
         "steps": [{"cpu_ms": {"dist": "exponential", "mean": 100}}]}
    c.update(consumer)
    d = {"description": "queue validation", "seed": 7, "duration_s": duration, "warmup_s": warmup,
         "platform": ZERO_NETWORK,
         "services": {
             "front": {"kind": "app_server", "host": {"cores": 64}, "workers": 1024,
                       "endpoints": {"submit": endpoint(p)}},
             "mq": q,
             "workers": c},
         "clients": {"users": {"model": "open", "target": "front", "rate_rps": rate, "timeout_ms": 10000,
                               "operations": {"submit": {"weight": 1, "endpoint": "submit", "request_kb": 0,
                                                         "response_kb": 0}}}}}
    d.update(extra)
    return d


def group(summary, name="workers", topic="jobs"):
    return summary["services"]["mq"]["queue"]["topics"][topic]["groups"][name]


class QueueTheoryTest(unittest.TestCase):
    def test_competing_consumers_are_an_m_m_c_queue(self):
        # Three members, one message each at a time (prefetch 1), lambda 24/s, mu 10/s: rho 0.8.
        s = run(doc({"replicas": 3, "concurrency": 1, "prefetch": 1}, rate=24))
        c = s["services"]["workers"]["consumer"]
        theory = erlang_c_wait(24, 10, 3)
        measured = c["waited_ms"]["mean"] / 1000.0
        self.assertAlmostEqual(c["processing_ms"]["mean"] / 1000.0, 0.1, delta=0.005)
        self.assertLess(abs(measured - theory) / theory, 0.10, f"M/M/3 wait: theory {theory:.4f} s, measured {measured:.4f} s")
        # Not three separate M/M/1 queues at 8/s each (a wrong dispatch would give this).
        self.assertLess(measured, 0.6 * (0.8 / (10 - 8)))

    def test_a_partitioned_topic_is_independent_queues_per_partition(self):
        # Two partitions, each owned by one member (ordering per_key), keys at random:
        # two M/M/1 queues at 8/s each, mu 10/s; the pooled M/M/2 would wait far less.
        s = run(doc({"replicas": 2, "concurrency": 1, "prefetch": 1, "ordering": "per_key"}, rate=16,
                    queue={"topics": {"jobs": {"partitions": 2}}}))
        c = s["services"]["workers"]["consumer"]
        theory = 0.8 / (10 - 8)
        measured = c["waited_ms"]["mean"] / 1000.0
        self.assertLess(abs(measured - theory) / theory, 0.12, f"M/M/1 per partition: theory {theory:.3f}, measured {measured:.3f}")
        self.assertGreater(measured, 1.8 * erlang_c_wait(16, 10, 2))

    def test_an_overloaded_group_falls_behind_at_lambda_minus_c_mu(self):
        # Two members at mu 10/s each, 30 messages/s: the backlog grows by 10 a second.
        s, rows, _ = run_with_files(doc({"replicas": 2, "concurrency": 1, "prefetch": 1,
                                         "steps": [{"cpu_ms": 100}]}, rate=30, duration=80, warmup=0,
                                        queue={"topics": {"jobs": {"partitions": 1, "max_depth": 100000}}}))
        points = [(float(r["t_s"]), float(r["mq_depth:workers"])) for r in rows if 10 <= float(r["t_s"]) < 75]
        n = len(points)
        mt = sum(t for t, _ in points) / n
        md = sum(d for _, d in points) / n
        slope = sum((t - mt) * (d - md) for t, d in points) / sum((t - mt) ** 2 for t, _ in points)
        self.assertAlmostEqual(slope, 30 - 2 * 10, delta=1.0)
        # Served in publish order at c mu, the oldest waiting message at time t was published
        # at c mu t / lambda: its age grows at 1 - c mu / lambda.
        lags = [(float(r["t_s"]), float(r["mq_lag_s:workers"])) for r in rows if 10 <= float(r["t_s"]) < 75]
        (t0, l0), (t1, l1) = lags[0], lags[-1]
        self.assertAlmostEqual((l1 - l0) / (t1 - t0), 1 - 20 / 30, delta=0.05)
        b = group(s)["balance"]
        self.assertEqual(b["published"], b["acknowledged"] + b["waiting"] + b["in_flight"] + b["dead_lettered"] + b["lost"])
        self.assertGreater(b["waiting"], 500)

    def test_dead_letter_fraction_is_p_to_the_k(self):
        p, k = 0.5, 3
        s = run(doc({"replicas": 1, "concurrency": 16, "prefetch": 16, "fail_probability": p, "max_deliveries": k,
                     "retry_backoff": {"initial_ms": 10, "multiplier": 2, "max_ms": 100},
                     "steps": [{"cpu_ms": 1}]}, rate=100, duration=220, warmup=20))
        g = group(s)
        finished = g["acknowledged"] + g["dead_lettered"]
        fraction = g["dead_lettered"] / finished
        sigma = math.sqrt(p ** k * (1 - p ** k) / finished)
        self.assertLess(abs(fraction - p ** k), 4 * sigma + 0.002, f"dead letters {fraction:.4f}, p^k {p ** k}")
        # Each message is delivered 1 + p + p^2 times on average.
        self.assertAlmostEqual(g["delivered"] / finished, 1 + p + p * p, delta=0.05)

    def test_poison_messages_end_in_the_dead_letters_after_max_deliveries(self):
        s = run(doc({"replicas": 1, "concurrency": 16, "prefetch": 16, "poison_fraction": 0.1, "max_deliveries": 4,
                     "retry_backoff": {"initial_ms": 10, "multiplier": 1, "max_ms": 10},
                     "steps": [{"cpu_ms": 1}]}, rate=100, duration=220, warmup=20))
        g = group(s)
        finished = g["acknowledged"] + g["dead_lettered"]
        self.assertAlmostEqual(g["dead_lettered"] / finished, 0.1, delta=0.015)
        self.assertEqual(g["failed_deliveries"], 4 * g["dead_lettered"])

    def test_processing_longer_than_the_visibility_timeout_is_delivered_again(self):
        # Processing is exponential with mean 1 s and starts at once (enough workers); a
        # delivery not acknowledged within 2 s is given up: e^-2 of them.
        s = run(doc({"replicas": 1, "concurrency": 64, "prefetch": 64, "visibility_timeout_ms": 2000,
                     "max_deliveries": 1000, "host": {"cores": 64},
                     "steps": [{"cpu_ms": {"dist": "exponential", "mean": 1000}}]}, rate=8, duration=1100, warmup=100))
        g = group(s)
        fraction = g["visibility_timeouts"] / g["delivered"]
        self.assertAlmostEqual(fraction, math.exp(-2), delta=0.015)
        c = s["services"]["workers"]["consumer"]
        self.assertGreater(c["duplicates_delivered"], 0)
        self.assertGreater(g["late_answers"], 0)  # the first delivery finished after the second started


class DurabilityTest(unittest.TestCase):
    def crash_run(self, queue):
        q = {"replicas": 3, "topics": {"jobs": {"partitions": 6}}}
        q.update(queue)
        d = doc({"replicas": 2, "concurrency": 8, "prefetch": 8, "steps": [{"cpu_ms": 5}]}, rate=200, duration=60,
                warmup=5, queue=q, publish={"wait_for_ack": True, "timeout_ms": 2000},
                faults={"events": [{"at_s": 20, "crash": {"host": "mq-1"}, "duration_s": 10}]})
        return run(d)

    def test_acks_1_in_the_page_cache_loses_what_a_crashed_leader_had_not_replicated(self):
        s = self.crash_run({"acks": 1, "replication_factor": 2, "log": {"commit": "page_cache", "flush_interval_ms": 1000},
                            "header_bytes": 100})
        g = group(s)
        b = g["balance"]
        self.assertEqual(b["published"], b["acknowledged"] + b["waiting"] + b["in_flight"] + b["dead_lettered"] + b["lost"])
        # Lost with the leader only if not yet on its follower: a few, never more than what
        # one replication round trip carries at 200/s.
        self.assertGreaterEqual(b["lost_by_cause"]["broker_crash"], 0)

    def test_one_copy_in_the_page_cache_loses_what_was_not_written(self):
        s = self.crash_run({"replication_factor": 1, "log": {"commit": "page_cache", "flush_interval_ms": 2000}})
        b = group(s)["balance"]
        self.assertGreater(b["lost_by_cause"]["broker_crash"], 0)
        self.assertEqual(b["published"], b["acknowledged"] + b["waiting"] + b["in_flight"] + b["dead_lettered"] + b["lost"])

    def test_a_write_back_at_every_instant_loses_nothing_and_ends(self):
        # The shortest interval writes each append back at once. Ticks with nothing to write
        # cost no event: such an interval used to stop the clock.
        s = self.crash_run({"replication_factor": 1, "log": {"commit": "page_cache", "flush_interval_ms": 1e-300}})
        b = group(s)["balance"]
        self.assertEqual(b["lost"], 0)
        self.assertEqual(b["published"], b["acknowledged"] + b["waiting"] + b["in_flight"] + b["dead_lettered"])
        self.assertGreater(b["acknowledged"], 0.95 * b["published"])

    def test_acks_all_waits_for_the_followers_whether_or_not_a_group_reads_the_topic(self):
        # Replication copies the log, not what groups still need: a topic nobody reads (the
        # group reads "other") is replicated all the same, and acks all waits for it.
        def publish_mean(topic, acks):
            d = doc({"replicas": 1, "concurrency": 8, "prefetch": 8, "topic": topic, "steps": [{"cpu_ms": 1}]},
                    rate=50, duration=30, warmup=5, publish={"wait_for_ack": True, "timeout_ms": 2000}, platform={},
                    queue={"replicas": 3, "replication_factor": 3, "acks": acks,
                           "topics": {"jobs": {"partitions": 3}, "other": {"partitions": 1}}})
            return run(d)["services"]["mq"]["queue"]["publish_ms"]["mean"]
        read, unread, leader_only = publish_mean("jobs", "all"), publish_mean("other", "all"), publish_mean("other", 1)
        self.assertGreater(read, 3 * leader_only)  # a round trip to the followers
        self.assertLess(abs(unread - read) / read, 0.02, f"read {read:.4f} ms, unread {unread:.4f} ms")

    def test_acks_all_on_three_replicas_loses_nothing(self):
        s = self.crash_run({"acks": "all", "replication_factor": 3, "log": {"commit": "group"}})
        b = group(s)["balance"]
        self.assertEqual(b["lost"], 0)
        self.assertEqual(b["published"], b["acknowledged"] + b["waiting"] + b["in_flight"] + b["dead_lettered"])
        self.assertGreater(b["acknowledged"], 0.95 * b["published"])

    def test_a_full_topic_rejects_with_queue_full_or_makes_the_producer_wait(self):
        slow = {"replicas": 1, "concurrency": 1, "prefetch": 1, "steps": [{"cpu_ms": 100}]}
        rejecting = run(doc(slow, rate=30, duration=40, warmup=5, publish={"wait_for_ack": True},
                            queue={"topics": {"jobs": {"partitions": 1, "max_depth": 50}}}))
        self.assertGreater(rejecting["errors_by_cause"]["queue_full"], 0)
        self.assertGreater(rejecting["services"]["mq"]["queue"]["topics"]["jobs"]["rejected_full"], 0)
        waiting = run(doc(slow, rate=30, duration=40, warmup=5, publish={"wait_for_ack": True, "timeout_ms": 5000},
                          queue={"topics": {"jobs": {"partitions": 1, "max_depth": 50, "when_full": "wait"}}}))
        self.assertEqual(waiting["errors_by_cause"]["queue_full"], 0)
        self.assertGreater(waiting["services"]["mq"]["queue"]["topics"]["jobs"]["waited_full"], 0)
        # Back-pressure: the producers wait, so their latency grows to the consumers' pace.
        self.assertGreater(waiting["operations"]["submit"]["latency_ms"]["p50"], 1000)

    def test_at_most_once_loses_what_a_crashed_member_was_processing(self):
        d = doc({"replicas": 2, "concurrency": 8, "prefetch": 8, "ack": "before_processing",
                 "steps": [{"cpu_ms": 500}]}, rate=20, duration=60, warmup=0,
                faults={"events": [{"at_s": 20, "crash": {"host": "workers-1"}, "duration_s": 10}]})
        s = run(d)
        b = group(s)["balance"]
        # Measured from the start, the group's counters are the balance's: a message
        # acknowledged on receipt and then lost counts as lost only.
        self.assertEqual(group(s)["acknowledged"], b["acknowledged"])
        self.assertEqual(group(s)["lost"], b["lost"])
        self.assertGreater(b["lost_by_cause"]["after_early_ack"], 0)
        self.assertEqual(s["services"]["workers"]["consumer"]["duplicates_delivered"], 0)
        self.assertEqual(b["published"], b["acknowledged"] + b["waiting"] + b["in_flight"] + b["dead_lettered"] + b["lost"])


class BrokerThreadsTest(unittest.TestCase):
    def test_publish_time_is_an_m_d_1_sojourn_through_the_broker_threads(self):
        # One broker thread, 1 ms of CPU per publish, Poisson publishes at 800/s: M/D/1 at
        # rho 0.8, whose sojourn is 1/mu + rho / (2 mu (1 - rho)) = 3 ms; the service time
        # alone would be 1 ms.
        mu, lam = 1000.0, 800.0
        rho = lam / mu
        theory_ms = 1000 * (1 / mu + rho / (2 * mu * (1 - rho)))
        s = run(doc({"replicas": 1, "concurrency": 64, "prefetch": 64, "host": {"cores": 8},
                     "steps": [{"cpu_ms": 0.01}]}, rate=lam, duration=110, warmup=10,
                    queue={"threads": 1, "op_cpu_us": 1000, "queue_limit": 10000,
                           "log": {"commit": "page_cache"}}))
        measured = s["services"]["mq"]["queue"]["publish_ms"]["mean"]
        self.assertLess(abs(measured - theory_ms) / theory_ms, 0.07,
                        f"M/D/1 sojourn: theory {theory_ms:.3f} ms, measured {measured:.3f} ms")

    def test_acks_all_publishes_holding_every_thread_do_not_stall_the_followers(self):
        # Two brokers lead a partition each and follow each other's; a publish holds its
        # thread until its follower has appended it. At 4,000 publishes/s the four threads
        # are a third busy: a follower's append must not need one of them.
        s = run(doc({"replicas": 1, "concurrency": 64, "prefetch": 64, "host": {"cores": 8},
                     "steps": [{"cpu_ms": 0.01}]}, rate=4000, duration=12, warmup=2,
                    queue={"replicas": 2, "threads": 4, "acks": "all", "replication_factor": 2,
                           "topics": {"jobs": {"partitions": 2}}},
                    publish={"wait_for_ack": True, "timeout_ms": 2000}))
        self.assertEqual(s["requests"]["failed"], 0)
        self.assertLess(s["services"]["mq"]["queue"]["publish_ms"]["p99"], 50)

    def test_a_follower_out_of_sync_loses_what_it_missed_only_if_it_takes_over_before_catching_up(self):
        # The two brokers are cut apart from 10 s: the leader's batches to its follower time
        # out and it acknowledges without it. The consumer is slow (10 messages/s for 50
        # published), so what the follower missed is still waiting when the leader goes down.
        def crash_run(partition_s, crash_at_s):
            events = [{"at_s": 10, "partition": [["mq-1"], ["mq-2"]], "duration_s": partition_s},
                      {"at_s": crash_at_s, "crash": {"host": "mq-1"}, "duration_s": 10}]
            return run(doc({"replicas": 1, "concurrency": 1, "prefetch": 1, "steps": [{"cpu_ms": 100}]},
                           rate=50, duration=60, warmup=0, faults={"events": events},
                           queue={"replicas": 2, "acks": "all", "replication_factor": 2},
                           publish={"wait_for_ack": True, "timeout_ms": 20000}))
        # Down while still cut off: the follower takes over without what it missed.
        cut = group(crash_run(15, 22))["balance"]
        self.assertGreater(cut["lost_by_cause"]["broker_crash"], 0)
        self.assertEqual(cut["published"], cut["acknowledged"] + cut["waiting"] + cut["in_flight"] + cut["dead_lettered"] + cut["lost"])
        # Down once the cut has healed: the follower caught up, nothing is lost.
        healed = group(crash_run(5, 35))["balance"]
        self.assertEqual(healed["lost"], 0)
        self.assertGreater(healed["waiting"], 100)

    def test_a_group_cut_off_from_its_brokers_resumes(self):
        # Deliveries and answers lost in a 5 s partition hold their member's prefetch only
        # until their visibility timeout (10 s): the group then catches up.
        d = doc({"replicas": 1, "concurrency": 4, "prefetch": 4, "visibility_timeout_ms": 10000,
                 "steps": [{"cpu_ms": 1}]}, rate=50, duration=60, warmup=0,
                faults={"events": [{"at_s": 20, "partition": [["mq-1"], ["workers-1"]], "duration_s": 5}]})
        s = run(d)
        b = group(s)["balance"]
        self.assertLess(b["waiting"] + b["in_flight"], 10)
        self.assertGreater(group(s)["visibility_timeouts"], 0)


class TraceTest(unittest.TestCase):
    def test_a_traced_request_is_followed_to_its_consumer(self):
        d = doc({"replicas": 1, "concurrency": 2, "prefetch": 2, "steps": [{"cpu_ms": 1}, {"notify": "done"}]},
                rate=10, duration=10, warmup=0)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.json")
            with open(path, "w") as f:
                json.dump(d, f)
            out = os.path.join(tmp, "out")
            self.assertEqual(0, archsim("run", path, "--quiet", "--out", out, "--trace-sample", "1").returncode)
            with open(os.path.join(out, "trace.json")) as f:
                events = json.load(f)["traceEvents"]
            names = {e.get("name") for e in events}
            self.assertIn("front.submit", names)
            self.assertIn("mq.publish.jobs", names)
            self.assertIn("workers.deliver", names)
            self.assertIn("notify.done", names)
            with open(os.path.join(out, "summary.json")) as f:
                s = json.load(f)
            self.assertGreater(s["services"]["workers"]["consumer"]["end_to_end_ms"]["done"]["count"], 0)


if __name__ == "__main__":
    unittest.main()
