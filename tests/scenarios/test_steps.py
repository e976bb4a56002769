#!/usr/bin/python3
"""The shipped step scenarios teach what they claim to (tests the defaults, not exact
numbers): runs each step at its full length and checks the lesson in the results."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from common import ROOT, archsim  # noqa: E402


def summary_of(name, *args):
    out = tempfile.mkdtemp(prefix="archsim-step-")
    result = archsim("run", os.path.join(ROOT, "scenarios", name), "--quiet", "--out", out, *args)
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


def network_share_ms(summary, caller, callee):
    """Mean time a call spends outside the callee: the caller's view minus the callee's
    own residence time."""
    hops = [h for name, h in summary["hops"].items() if name.startswith(f"{caller}->{callee}.")]
    calls = sum(h["ok"] for h in hops)
    mean_call = sum(h["latency_ms"]["mean"] * h["ok"] for h in hops) / calls
    return mean_call - summary["services"][callee]["residence_ms"]["mean"]


class StepLessonsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.step1 = summary_of("step01-single-node.json")
        cls.step2 = summary_of("step02-separate-db.json")
        cls.step1_crash = summary_of("step01-host-crash.json")
        cls.step2_crash = summary_of("step02-db-crash.json")
        cls.step3 = summary_of("step03-load-balancer.json")

    def test_same_offered_load_and_no_errors(self):
        for s in (self.step1, self.step2):
            self.assertAlmostEqual(400, s["offered_rps"], delta=10)
            self.assertLess(s["error_rate"], 0.001)

    def test_step1_one_host_carries_both_tiers(self):
        node = self.step1["utilization"]["node1"]
        self.assertGreater(node["cpu"], 0.7)
        self.assertEqual("node1.cpu", self.step1["bottleneck"]["resource"])
        # The app and database CPU that step 2 spreads over two hosts, on one.
        split = self.step2["utilization"]["app1"]["cpu"] + self.step2["utilization"]["db1"]["cpu"]
        self.assertAlmostEqual(split, node["cpu"], delta=0.05)
        self.assertAlmostEqual(self.step2["utilization"]["db1"]["disk"], node["disk"], delta=0.05)

    def test_step2_splits_the_load_and_lowers_the_tail(self):
        self.assertLess(self.step2["utilization"]["app1"]["cpu"], self.step1["utilization"]["node1"]["cpu"] - 0.15)
        self.assertLess(self.step2["utilization"]["db1"]["cpu"], 0.4)
        self.assertLess(self.step2["latency_ms"]["p99"], 0.9 * self.step1["latency_ms"]["p99"])

    def test_step2_adds_a_network_round_trip_per_query(self):
        local = network_share_ms(self.step1, "web", "db")
        remote = network_share_ms(self.step2, "web", "db")
        # Same host: the loopback (0.04 ms round trip). Separate hosts: a datacenter round
        # trip (0.5 ms) plus the transfers over 1 Gbps NICs.
        self.assertLess(local, 0.2)
        self.assertGreater(remote - local, 0.45)
        self.assertLess(remote - local, 1.0)

    def test_step2_fastest_calls_are_slower_but_the_database_is_quicker(self):
        # What the tour says about the hops: the minimum of a query grows by the network
        # round trip, while the database, no longer sharing cores with the app server,
        # spends less time on each query, so the mean call gets shorter.
        hop = "web->db.select_item"
        added = self.step2["hops"][hop]["latency_ms"]["min"] - self.step1["hops"][hop]["latency_ms"]["min"]
        self.assertGreater(added, 0.45)
        self.assertLess(added, 1.0)
        self.assertLess(self.step2["services"]["db"]["residence_ms"]["mean"],
                        0.9 * self.step1["services"]["db"]["residence_ms"]["mean"])
        self.assertLess(self.step2["hops"][hop]["latency_ms"]["mean"], self.step1["hops"][hop]["latency_ms"]["mean"])


    def test_step3_sustains_three_times_the_load(self):
        s3 = self.step3
        self.assertAlmostEqual(1200, s3["offered_rps"], delta=20)
        self.assertGreater(s3["throughput_rps"], 3 * self.step2["throughput_rps"] * 0.95)
        # Reads spread over the replicas; every write lands on the primary's disk, the
        # busiest of the database disks once the load has grown.
        self.assertGreater(s3["services"]["db"]["replication"]["replica_reads"], 0)
        self.assertTrue(s3["bottleneck"]["resource"].startswith("db-"))

    def test_failures_cost_the_whole_outage_in_steps_1_and_2(self):
        for s in (self.step1_crash, self.step2_crash):
            self.assertGreater(s["downtime_s"], 60)
            self.assertLess(s["nines"], 1.0)
        self.assertEqual(1, self.step1_crash["components"]["node1"]["failures"])

    def test_step3_loses_only_detection_and_failover(self):
        s3 = self.step3
        self.assertLess(s3["downtime_s"], 0.25 * self.step2_crash["downtime_s"])
        self.assertGreater(s3["nines"], self.step2_crash["nines"] + 0.5)
        replication = s3["services"]["db"]["replication"]
        self.assertEqual(1, replication["failovers"])
        self.assertNotEqual("db-1", replication["primary"])
        self.assertGreater(replication["replication_lag_ms"]["p50"], 0)
        self.assertGreater(replication["stale_reads"], 0)
        self.assertGreater(s3["errors_by_cause"]["unavailable"], 0)  # writes during the failover
        self.assertGreater(s3["retries"], 0)


class Step4LessonsTest(unittest.TestCase):
    """Step 4: the cache takes the item reads off the database; stampedes and a cold cache
    are what it costs when it goes wrong."""

    @classmethod
    def setUpClass(cls):
        cls.step3 = summary_of("step03-load-balancer.json")
        cls.step4 = summary_of("step04-cache.json")

    def test_step4_offloads_the_database_and_lowers_latency(self):
        s3, s4 = self.step3, self.step4
        self.assertAlmostEqual(s3["offered_rps"], s4["offered_rps"], delta=10)
        cache = s4["services"]["cache"]["cache"]
        self.assertGreater(cache["hit_ratio"], 0.5)
        # Every hit is a database read saved.
        saved = s3["services"]["db"]["arrivals_per_request"] - s4["services"]["db"]["arrivals_per_request"]
        self.assertAlmostEqual(cache["hits"] / s4["requests"]["sent"], saved, delta=0.03)
        self.assertLess(s4["services"]["db"]["arrivals_per_request"], 0.7 * s3["services"]["db"]["arrivals_per_request"])
        self.assertLess(s4["latency_ms"]["p50"], s3["latency_ms"]["p50"])
        self.assertLess(s4["latency_ms"]["p99"], s3["latency_ms"]["p99"])
        self.assertLess(s4["operations"]["view_item"]["latency_ms"]["p99"],
                        0.9 * s3["operations"]["view_item"]["latency_ms"]["p99"])
        # Popular items hit, the long tail misses; a few hits return data a checkout changed.
        deciles = cache["hit_ratio_by_popularity_decile"]
        self.assertGreater(deciles[0], 2 * deciles[9])
        self.assertGreater(cache["stale_hits"], 0)
        self.assertLess(cache["stale_read_fraction"], 0.01)
        # Writes are not cached: the primary's work does not change.
        self.assertAlmostEqual(s3["services"]["db"]["replication"]["writes"],
                               s4["services"]["db"]["replication"]["writes"], delta=0.05 * s3["services"]["db"]["replication"]["writes"])

    def test_a_stampede_takes_the_shop_down_unless_misses_are_coalesced(self):
        bare = summary_of("step04-stampede.json")
        coalesced = summary_of("step04-stampede.json", "--set", "services.web.endpoints.deal.steps.1.coalesce=true")
        self.assertGreater(bare["error_rate"], 0.3)
        self.assertGreater(bare["operations"]["view_item"]["failed"], 0)  # the whole shop, not only the deal
        self.assertEqual(0, coalesced["error_rate"])
        self.assertGreater(coalesced["services"]["cache"]["cache"]["coalesced"], 0)

    def test_a_flushed_cache_overloads_the_replicas_and_unbudgeted_retries_prolong_it(self):
        budget = summary_of("step04-cold-cache.json")
        unbudgeted = summary_of("step04-cold-cache.json", "--set", "clients.shoppers.retry.budget_ratio=null")
        self.assertEqual(1, budget["services"]["cache"]["cache"]["flushes"])
        self.assertGreater(budget["downtime_s"], 10)
        self.assertGreater(unbudgeted["downtime_s"], 1.5 * budget["downtime_s"])
        self.assertGreater(unbudgeted["retries"], 2 * budget["retries"])


# The step 4 scenario with its objects served by the origin rather than the CDN.
ORIGIN_ONLY = ["--set", "clients.browsers_ca.target=lb", "--set", "clients.browsers_ca.operations.asset_ca.endpoint=static",
               "--set", "clients.browsers_nl.target=lb", "--set", "clients.browsers_nl.operations.asset_nl.endpoint=static"]


class Step4CdnLessonsTest(unittest.TestCase):
    """Step 4's CDN: objects served from an edge near the users, which helps the remote
    region far more; its cost policies trade storage, egress and latency."""

    @classmethod
    def setUpClass(cls):
        cls.cdn = summary_of("step04-cache-cdn.json")

    def test_a_cdn_helps_the_remote_region_far_more(self):
        origin = summary_of("step04-cache-cdn.json", *ORIGIN_ONLY)
        cdn = self.cdn
        edge = cdn["services"]["cdn"]["cdn"]
        self.assertGreater(edge["hit_ratio"], 0.6)
        gain = {r: origin["regions"][r]["latency_ms"]["p50"] - cdn["regions"][r]["latency_ms"]["p50"]
                for r in ("california", "netherlands")}
        # A hit saves the Netherlands the 150 ms round trip to California; California saves
        # almost nothing.
        self.assertGreater(gain["netherlands"], 100)
        self.assertLess(abs(gain["california"]), 10)
        self.assertGreater(origin["operations"]["asset_nl"]["latency_ms"]["p50"], 150)
        self.assertLess(cdn["operations"]["asset_nl"]["latency_ms"]["p50"], 30)
        # On average too; the tails (a miss, a page) stay where they were.
        mean_gain = {r: origin["regions"][r]["latency_ms"]["mean"] - cdn["regions"][r]["latency_ms"]["mean"]
                     for r in ("california", "netherlands")}
        self.assertGreater(mean_gain["california"], 0)
        self.assertGreater(mean_gain["netherlands"], 50)
        self.assertGreater(mean_gain["netherlands"], 20 * mean_gain["california"])
        for r in ("california", "netherlands"):
            self.assertLess(cdn["regions"][r]["latency_ms"]["p99"], 1.02 * origin["regions"][r]["latency_ms"]["p99"])
        # The origin serves only the misses: fewer balancer visits per request.
        self.assertLess(cdn["services"]["lb"]["arrivals_per_request"],
                        origin["services"]["lb"]["arrivals_per_request"] - 0.3)
        # The month's bill moves from origin egress to CDN egress and requests.
        self.assertGreater(cdn["cost"]["per_month"]["cdn_egress"], 0)
        self.assertEqual(0, origin["cost"]["per_month"]["cdn_egress"])
        self.assertLess(cdn["cost"]["per_month"]["origin_egress"], 0.7 * origin["cost"]["per_month"]["origin_egress"])

    def test_cost_policies_trade_edge_storage_for_origin_trips(self):
        policies = summary_of("step04-cdn-cost-policies.json")
        base, p = self.cdn["services"]["cdn"]["cdn"], policies["services"]["cdn"]["cdn"]
        self.assertGreater(p["bypassed"], 0)
        self.assertGreater(p["compressed_stores"], 0)
        self.assertGreater(p["codec_cpu_s"], 0)
        self.assertLess(p["edge_storage_gb_mean"], 0.9 * base["edge_storage_gb_mean"])
        self.assertLess(policies["cost"]["usage_per_month"]["cdn_requests_millions"],
                        self.cdn["cost"]["usage_per_month"]["cdn_requests_millions"])
        self.assertGreater(policies["cost"]["usage_per_month"]["origin_egress_gb"],
                           self.cdn["cost"]["usage_per_month"]["origin_egress_gb"])


def timeseries_of(name, *args):
    out = tempfile.mkdtemp(prefix="archsim-step-")
    result = archsim("run", os.path.join(ROOT, "scenarios", name), "--quiet", "--out", out, *args)
    if result.returncode != 0:
        raise AssertionError(result.stderr)
    import csv
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    with open(os.path.join(out, "timeseries.csv")) as f:
        return summary, list(csv.DictReader(f))


def balance_holds(test, summary, queue="mq", topic="orders"):
    for name, g in summary["services"][queue]["queue"]["topics"][topic]["groups"].items():
        b = g["balance"]
        test.assertEqual(b["published"], b["acknowledged"] + b["waiting"] + b["in_flight"] + b["dead_lettered"] + b["lost"],
                         name)


class Step5LessonsTest(unittest.TestCase):
    """Step 5: the checkout answers once its order is queued; the work behind it runs in
    consumer groups that absorb a spike as lag, survive crashes without losing a message,
    dead-letter poison messages and keep a key's order only when asked to."""

    @classmethod
    def setUpClass(cls):
        cls.async_ = summary_of("step05-async-mq.json")

    def test_the_checkout_answers_before_the_work_is_done(self):
        sync = summary_of("step05-sync-checkout.json")
        a = self.async_["operations"]["checkout"]["latency_ms"]
        s = sync["operations"]["checkout"]["latency_ms"]
        self.assertLess(a["p50"], 0.4 * s["p50"])
        self.assertLess(a["p99"], 0.5 * s["p99"])
        # The customer still learns the outcome, later: the payment's end-to-end time is
        # the synchronous checkout's order of magnitude, and every order is notified once.
        e2e = self.async_["services"]["payments"]["consumer"]["end_to_end_ms"]["order_confirmed"]
        self.assertGreater(e2e["p50"], a["p50"])
        self.assertLess(e2e["p50"], 1.5 * s["p50"])
        self.assertAlmostEqual(e2e["count"], self.async_["operations"]["checkout"]["ok"], delta=20)
        # Every group gets every order.
        groups = self.async_["services"]["mq"]["queue"]["topics"]["orders"]["groups"]
        delivered = {g: v["delivered"] for g, v in groups.items()}
        self.assertEqual(len(set(delivered.values())), 1, delivered)
        balance_holds(self, self.async_)
        for g in groups.values():
            self.assertEqual(g["balance"]["lost"], 0)

    def test_a_spike_becomes_lag_that_drains_while_the_synchronous_design_fails(self):
        spike, rows = timeseries_of("step05-spike.json")
        sync = summary_of("step05-sync-spike.json")
        self.assertEqual(spike["requests"]["failed"], 0)
        self.assertGreater(sync["requests"]["failed"], 1000)
        depth = [(float(r["t_s"]), float(r["mq_depth:fraud"])) for r in rows]
        during = max(d for t, d in depth if 50 <= t < 85)
        after = [d for t, d in depth if t >= 110]
        self.assertGreater(during, 300)
        self.assertLess(max(after), 30)  # drained
        lag = max(float(r["mq_lag_s:fraud"]) for r in rows)
        self.assertGreater(lag, 5)
        balance_holds(self, spike)

    def test_a_consumer_crash_redelivers_and_loses_nothing(self):
        crash = summary_of("step05-consumer-crash.json")
        payments = crash["services"]["mq"]["queue"]["topics"]["orders"]["groups"]["payments"]
        self.assertGreater(payments["redelivered"], 0)
        self.assertGreater(payments["visibility_timeouts"], 0)
        self.assertGreater(crash["services"]["payments"]["consumer"]["duplicates_delivered"], 0)
        for g in crash["services"]["mq"]["queue"]["topics"]["orders"]["groups"].values():
            self.assertEqual(g["balance"]["lost"], 0)
        balance_holds(self, crash)

    def test_an_idempotency_check_suppresses_what_a_lost_acknowledgement_redelivers(self):
        crash = summary_of("step05-consumer-crash.json")["services"]["payments"]["consumer"]
        idempotent = summary_of("step05-idempotent.json")["services"]["payments"]["consumer"]
        self.assertGreater(crash["effects_applied_twice"], 0)
        self.assertEqual(crash["suppressed_by_idempotency"], 0)
        self.assertGreater(idempotent["suppressed_by_idempotency"], 0)
        self.assertLess(idempotent["effects_applied_twice"], crash["effects_applied_twice"])

    def test_poison_messages_go_to_the_dead_letters(self):
        poison = summary_of("step05-poison.json")
        g = poison["services"]["mq"]["queue"]["topics"]["orders"]["groups"]["payments"]
        finished = g["acknowledged"] + g["dead_lettered"]
        self.assertAlmostEqual(g["dead_lettered"] / finished, 0.02 + 0.98 * 0.1 ** 4, delta=0.007)
        self.assertGreater(g["redelivered"], 0.1 * finished)
        balance_holds(self, poison)

    def test_ordering_per_key_keeps_each_customers_orders_in_order(self):
        unordered = summary_of("step05-unordered.json")
        ordered = summary_of("step05-ordered.json")
        self.assertGreater(unordered["services"]["payments"]["consumer"]["out_of_order"], 10)
        self.assertEqual(ordered["services"]["payments"]["consumer"]["out_of_order"], 0)
        balance_holds(self, ordered)


if __name__ == "__main__":
    unittest.main()
