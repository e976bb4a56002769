#!/usr/bin/python3
"""Fuzzes the engine with small random scenarios: random tiers (app servers, replicated
databases, load balancers with any policy), random call graphs (calls, forwards, parallel
branches, disk I/O, probabilities), random clients (open and closed loop, retries) and
random faults (crashes of hosts, replicas and services, cuts, partitions, degradations,
scaling within parked capacity, random failures), step 4's kinds (a cache with random
memory, eviction, TTL and stampede options behind cache-aside steps and invalidations,
flushes; regions, and a CDN with random storage, object sizes and cost policies for a
second population, its edges crashing), step 5's kinds (a broker cluster with random
partitions, depth limits, commit policies, acks and replication, publish steps in random
endpoints, and consumer groups with random prefetch, acknowledgement mode, ordering,
visibility timeouts, retries, failures, poison messages and idempotency, brokers and
members crashing), each run for a short simulated time. Every run must end with status 0
(or 2 if the generator produced an invalid scenario, which is counted): never an internal
error (1), an abort or a crash. Failing scenarios are saved for replay.

usage: simfuzz.py ARCHSIM [--runs N] [--seed S] [--keep DIR]
       simfuzz.py ARCHSIM --replay FILE...   (saved failures, each must now end with status 0)
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile


def distribution(rng, scale):
    kind = rng.choice(["number", "exponential", "lognormal", "uniform", "empirical", "constant"])
    if kind == "number":
        return round(rng.uniform(0, scale), 3)
    if kind == "exponential":
        return {"dist": "exponential", "mean": round(rng.uniform(0.01, scale), 3)}
    if kind == "lognormal":
        mean = rng.uniform(0.01, scale)
        return {"dist": "lognormal", "mean": round(mean, 3), "p99": round(mean * rng.uniform(1.1, 14), 3)}
    if kind == "uniform":
        a = rng.uniform(0, scale)
        return {"dist": "uniform", "min": round(a, 3), "max": round(a + rng.uniform(0, scale), 3)}
    if kind == "constant":
        return {"dist": "constant", "value": round(rng.uniform(0, scale), 3)}
    return {"dist": "empirical", "values": [round(rng.uniform(0, scale), 3) for _ in range(rng.randint(1, 5))]}


def maybe(rng, p=0.5):
    return rng.random() < p


def steps_for(rng, callees, depth=0, allow_forward=True):
    """Steps calling only `callees` (services later in the chain: no cycles)."""
    steps = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["cpu", "cpu", "read", "write", "call", "call", "parallel"] if depth < 2 else ["cpu", "read"])
        if kind == "cpu":
            step = {"cpu_ms": distribution(rng, 5)}
        elif kind == "read":
            step = {"read_kb": rng.choice([1, 4, 16, 256])}
        elif kind == "write":
            step = {"write_kb": rng.choice([1, 8, 64])}
        elif kind == "call" and callees:
            name, endpoints = rng.choice(callees)
            step = {"call": name, "endpoint": rng.choice(endpoints), "request_kb": rng.choice([0, 0.5, 4]),
                    "response_kb": rng.choice([0, 1, 40]), "timeout_ms": rng.choice([50, 500, 2000])}
            if maybe(rng, 0.2):
                step["on_error"] = "continue"
        elif kind == "parallel":
            branches = [s for s in steps_for(rng, callees, depth + 1, False)]
            step = {"parallel": branches} if maybe(rng) else {"parallel": [{"sequence": branches}, {"cpu_ms": 1}]}
        else:
            step = {"cpu_ms": 1}
        if maybe(rng, 0.15):
            step["probability"] = round(rng.random(), 2)
        steps.append(step)
    if allow_forward and callees and maybe(rng, 0.1):
        name, endpoints = rng.choice(callees)
        steps.append({"forward": name, "endpoint": rng.choice(endpoints), "request_kb": 1})
    return steps


def scenario(rng):
    services = {}
    callees = []  # (name, endpoints) callable by tiers created afterwards
    hosts = {"shared": {"cores": rng.randint(1, 8), "disk": rng.choice(["hdd", "ssd"])}}
    tiers = rng.randint(1, 4)
    for t in reversed(range(tiers)):
        name = f"t{t}"
        endpoints = {f"e{k}": {"steps": steps_for(rng, callees)} for k in range(rng.randint(1, 3))}
        host = "shared" if maybe(rng, 0.3) else {"cores": rng.randint(1, 8), "disk": rng.choice(["hdd", "ssd"])}
        replicas = rng.randint(1, 3)
        if maybe(rng, 0.3):
            svc = {"kind": "database", "host": host, "replicas": replicas, "max_connections": rng.randint(1, 32),
                   "buffer_cache_hit_ratio": round(rng.random(), 2), "endpoints": endpoints}
            for e in endpoints.values():
                if maybe(rng, 0.4):
                    e["access"] = "write"
            if replicas > 1:
                svc["replication"] = {"mode": rng.choice(["async", "semi_sync"]),
                                      "read_policy": rng.choice(["round_robin", "random", "least_connections",
                                                                 "power_of_two"]),
                                      "promotion_s": rng.choice([0, 1, 3])}
                svc["health_check"] = {"interval_ms": rng.choice([200, 1000]), "unhealthy_threshold": rng.randint(1, 3)}
        else:
            svc = {"kind": "app_server", "host": host, "replicas": replicas, "workers": rng.randint(1, 32),
                   "queue_limit": rng.choice([0, 10, 1000]), "endpoints": endpoints,
                   "startup_s": rng.choice([0, 0, 1, 5])}
            if maybe(rng, 0.4):
                svc["max_replicas"] = replicas + rng.randint(0, 2)  # parked capacity
            called = {s["call"] for e in endpoints.values() for s in e["steps"] if "call" in s}
            if called and maybe(rng, 0.4):
                svc["connection_pools"] = {c: {"size": rng.randint(1, 8), "timeout_ms": rng.choice([10, 500])}
                                           for c in called}
        services[name] = svc
        callees.append((name, list(endpoints)))
    entry, entry_endpoints = callees[-1]
    target = entry
    if maybe(rng, 0.5):
        policy = rng.choice(["round_robin", "weighted_round_robin", "random", "least_connections", "power_of_two",
                             "sticky", "hash", "consistent_hash"])
        lb = {"kind": "load_balancer", "host": {"cores": 2}, "backend": entry, "policy": policy,
              "max_connections": rng.choice([16, 256]),
              "health_check": {"interval_ms": rng.choice([200, 1000]), "unhealthy_threshold": rng.randint(1, 3)}}
        if policy == "weighted_round_robin":
            count = services[entry].get("max_replicas", services[entry]["replicas"])
            lb["weights"] = [rng.randint(0, 5) for _ in range(count)]
        if policy in ("hash", "consistent_hash"):
            lb["hash_on"] = rng.choice(["session", "key"])
        if policy == "consistent_hash":
            lb["virtual_nodes"] = rng.choice([1, 10, 100])
        if maybe(rng, 0.3):
            lb["replicas"] = 2
            lb["mode"] = "active_passive"
            lb["failover_s"] = rng.choice([0, 1, 3])
        services["lb"] = lb
        target = "lb"
    operations = {f"op{k}": {"weight": rng.randint(1, 10), "endpoint": rng.choice(entry_endpoints),
                             "request_kb": rng.choice([0, 1]), "response_kb": rng.choice([0, 4, 100])}
                  for k in range(rng.randint(1, 3))}
    duration = rng.choice([5, 20])
    if maybe(rng):
        client = {"model": "open", "target": target, "rate_rps": rng.choice([1, 50, 300, 2000]),
                  "operations": operations}
        if maybe(rng, 0.3):
            client["schedule"] = [{"at_s": duration / 3, "rate_rps": rng.choice([0, 10, 500])},
                                  {"at_s": 2 * duration / 3, "rate_rps": rng.choice([5, 100])}]
            client["schedule_shape"] = rng.choice(["step", "linear"])
    else:
        client = {"model": "closed", "target": target, "users": rng.choice([1, 20, 300]),
                  "think_ms": distribution(rng, 200), "operations": operations}
    client["timeout_ms"] = rng.choice([20, 500, 3000])
    if maybe(rng):
        client["retry"] = {"max_attempts": rng.randint(1, 4), "jitter": rng.choice(["none", "full", "equal"]),
                           "on": rng.sample(["timeout", "refused", "reset", "unavailable", "rejected", "failed",
                                             "pool_timeout"], rng.randint(1, 4))}
        if maybe(rng):
            client["retry"]["budget_ratio"] = rng.choice([0.05, 0.5])
    if maybe(rng, 0.3):
        client["keys"] = {"count": rng.choice([1, 100, 100000]), "zipf_s": rng.choice([0, 0.9, 1.5])}
    if maybe(rng, 0.3):
        client["sessions"] = {"mean_requests": rng.choice([1, 5, 50])}
    doc = {"description": "simulation fuzzing", "duration_s": duration, "warmup_s": rng.choice([0, 1]),
           "hosts": hosts, "services": services, "clients": {"users": client}}

    # Faults on the hosts and replicas that exist.
    host_names = ["shared"]
    replica_names = []
    for name, svc in services.items():
        for r in range(1, svc.get("max_replicas", svc.get("replicas", 1)) + 1):
            replica_names.append(f"{name}-{r}")
            if isinstance(svc["host"], dict):
                host_names.append(f"{name}-{r}")
    events = []
    for _ in range(rng.randint(0, 5)):
        at = round(rng.uniform(0, duration), 2)
        kind = rng.choice(["crash_host", "crash_replica", "crash_service", "cut", "partition", "degrade", "recover",
                           "scale"])
        scalable = [n for n, svc in services.items() if "max_replicas" in svc]
        if kind == "crash_host":
            event = {"crash": {"host": rng.choice(host_names)}}
        elif kind == "crash_replica":
            event = {"crash": {"replica": rng.choice(replica_names)}}
        elif kind == "crash_service":
            event = {"crash": {"service": rng.choice(list(services))}}
        elif kind == "cut":
            event = {"cut": {"host": rng.choice(host_names)}}
        elif kind == "partition":
            shuffled = rng.sample(host_names, len(host_names))
            cut = rng.randint(1, len(shuffled)) if len(shuffled) > 1 else 1
            groups = [shuffled[:cut], shuffled[cut:]] if shuffled[cut:] else [shuffled[:1], ["shared"]]
            if groups[0] == groups[1]:
                continue
            event = {"partition": groups}
        elif kind == "degrade":
            event = {"degrade": {"host": rng.choice(host_names), "cpu_factor": rng.choice([1, 2, 10])}}
        elif kind == "scale":
            if not scalable:
                continue
            name = rng.choice(scalable)
            event = {"scale": {"service": name, "replicas": rng.randint(0, services[name]["max_replicas"])}}
        else:
            event = {"recover": {"host": rng.choice(host_names)}}
        event["at_s"] = at
        if kind not in ("recover", "scale") and maybe(rng, 0.7):
            event["duration_s"] = round(rng.uniform(0.1, duration), 2)
        events.append(event)
    random_faults = []
    if maybe(rng, 0.3):
        random_faults.append({"host": rng.choice(host_names), "mtbf_s": rng.choice([2, 10]), "mttr_s": rng.choice([1, 3])})
    if maybe(rng, 0.3):
        random_faults.append({"service": rng.choice(list(services)), "availability": 0.8, "mttr_s": 1})
    if events or random_faults:
        doc["faults"] = {}
        if events:
            doc["faults"]["events"] = events
        if random_faults:
            doc["faults"]["random"] = random_faults
    return doc


def add_caches_and_cdn(rng, doc):
    """Step 4's kinds on top of a random scenario: a cache in front of some calls
    (cache-aside, invalidation, flushes), regions, and a CDN in front of the entry tier
    with random storage, object sizes and cost policies, for a second population."""
    services = doc["services"]
    tiers = sorted((n for n in services if n.startswith("t")), key=lambda n: int(n[1:]))
    apps = [n for n in tiers if services[n]["kind"] == "app_server"]
    events = doc.setdefault("faults", {}).setdefault("events", [])
    if apps and maybe(rng, 0.4):
        kv = {"kind": "cache", "host": {"cores": rng.randint(1, 4)}, "replicas": rng.randint(1, 3),
              "memory_mb": rng.choice([0.05, 1, 64]), "eviction": rng.choice(["lru", "lfu", "fifo", "random", "none"]),
              "threads": rng.choice([1, 4])}
        if kv["eviction"] == "lfu" and maybe(rng):
            kv["lfu_counts"] = "all"
        if maybe(rng):
            kv["ttl_s"] = rng.choice([0.05, 1, 10])
            if maybe(rng):
                kv["ttl_jitter"] = rng.choice([0, 0.5])
        if maybe(rng, 0.3):
            kv["copies"] = rng.randint(1, kv["replicas"])
        if maybe(rng, 0.3):
            kv["stale_while_revalidate_s"] = rng.choice([0.1, 5])
        if maybe(rng, 0.3):
            kv["early_refresh_beta"] = rng.choice([0.5, 1, 3])
        services["kv"] = kv
        for app in apps:
            lower = [t for t in tiers if int(t[1:]) > int(app[1:])]
            for e in services[app]["endpoints"].values():
                if not maybe(rng, 0.5):
                    continue
                miss = [{"cpu_ms": 1}]
                if lower:
                    target = rng.choice(lower)
                    miss = [{"call": target, "endpoint": rng.choice(list(services[target]["endpoints"])),
                             "request_kb": 0, "response_kb": 1, "timeout_ms": rng.choice([20, 1000])}]
                e["steps"].insert(0, {"cache_aside": "kv", "value_kb": rng.choice([0.01, 1, 8]), "miss": miss,
                                      "coalesce": maybe(rng), "timeout_ms": rng.choice([5, 100])})
                if maybe(rng, 0.3) and "forward" not in e["steps"][-1]:
                    step = {"cache_invalidate": "kv", "mode": rng.choice(["delete", "update"])}
                    if step["mode"] == "update":
                        step["value_kb"] = 1
                    e["steps"].append(step)
        if maybe(rng, 0.4):
            events.append({"at_s": round(rng.uniform(0, doc["duration_s"]), 2),
                           "flush": rng.choice([{"service": "kv"}, {"replica": "kv-1"}])})
    if maybe(rng, 0.4):
        doc["platform"] = {"regions": {"a": {"rtt_ms": {"b": rng.choice([0, 5, 150])}}, "b": {}}, "home_region": "a"}
        if maybe(rng, 0.3):
            doc["platform"]["regions"]["b"]["price_tier"] = rng.choice(["us_europe", "japan", "india"])
        client = doc["clients"]["users"]
        if maybe(rng, 0.3):
            client["region"] = "b"
        origin = client["target"]
        if services[origin]["kind"] == "load_balancer":
            endpoints = list(services[services[origin]["backend"]]["endpoints"])
        else:
            endpoints = list(services[origin]["endpoints"])
        cdn = {"kind": "cdn", "host": {"cores": rng.randint(1, 8)}, "origin": origin,
               "origin_endpoint": rng.choice(endpoints), "edges": rng.choice([["a"], ["b"], ["a", "b"], ["b", "a"]]),
               "storage_gb": rng.choice([0.01, 0.1, 2]), "object_kb": distribution(rng, 200),
               "eviction": rng.choice(["lru", "lfu", "fifo", "random"]), "connections": rng.choice([1, 50, 2000]),
               "fetch_timeout_ms": rng.choice([10, 5000]), "placement": rng.choice(["regional", "push_all"])}
        if isinstance(cdn["object_kb"], (int, float)) and cdn["object_kb"] <= 0:
            cdn["object_kb"] = 1
        if maybe(rng):
            cdn["ttl_s"] = rng.choice([0.5, 60])
        if maybe(rng, 0.4):
            cdn["admission"] = {"min_requests": rng.randint(2, 4), "window_s": rng.choice([1, 60])}
        if maybe(rng, 0.4):
            cdn["bypass"] = {"max_requests": 1, "window_s": rng.choice([1, 60])}
        if maybe(rng, 0.4):
            cdn["compress"] = {"max_requests": rng.randint(1, 5), "window_s": rng.choice([1, 60]),
                               "ratio": rng.choice([0.1, 0.5, 1])}
        services["cdn"] = cdn
        doc["clients"]["browsers"] = {
            "model": "open", "target": "cdn", "region": rng.choice(["a", "b"]), "rate_rps": rng.choice([1, 100, 1000]),
            "timeout_ms": rng.choice([50, 5000]), "keys": {"count": rng.choice([1, 100, 10000]),
                                                            "zipf_s": rng.choice([0, 0.8]), "first": rng.choice([0, 50])},
            "operations": {"asset": {"weight": 1, "endpoint": "get", "request_kb": 0.5}}}
        for _ in range(rng.randint(0, 2)):
            edge = rng.randint(1, len(cdn["edges"]))
            event = {"at_s": round(rng.uniform(0, doc["duration_s"]), 2), "crash": {"replica": f"cdn-{edge}"}}
            if maybe(rng):
                event["duration_s"] = round(rng.uniform(0.1, doc["duration_s"]), 2)
            events.append(event)
        if maybe(rng, 0.3):
            doc["cost"] = {"mode": "on_premises"}
    if not events:
        del doc["faults"]["events"]
    if not doc["faults"]:
        del doc["faults"]


def add_queues(rng, doc):
    """Step 5's kinds on top of a random scenario: a broker cluster, publish steps in some
    app-server endpoints, consumer groups with random options, and crashes of both."""
    services = doc["services"]
    apps = [n for n in services if n.startswith("t") and services[n]["kind"] == "app_server"]
    if not apps or not maybe(rng, 0.4):
        return
    events = doc.setdefault("faults", {}).setdefault("events", [])
    brokers = rng.randint(1, 3)
    mq = {"kind": "queue", "host": {"cores": rng.randint(1, 4), "disk": rng.choice(["hdd", "ssd"])},
          "replicas": brokers, "replication_factor": rng.randint(1, brokers), "threads": rng.choice([1, 4, 16]),
          "log": {"commit": rng.choice(["per_message", "group", "page_cache"])},
          "topics": {"jobs": {"partitions": rng.randint(1, 6), "max_depth": rng.choice([5, 1000, 1000000]),
                              "when_full": rng.choice(["reject", "wait"]), "retention_s": rng.choice([0, 0.5, 100])}}}
    if mq["replication_factor"] > 1:
        mq["acks"] = rng.choice([1, "all"])
    if mq["log"]["commit"] == "group":
        mq["log"]["group_ms"] = rng.choice([0.5, 5])
        mq["log"]["group_batch"] = rng.choice([1, 16])
    if mq["log"]["commit"] == "page_cache":
        mq["log"]["flush_interval_ms"] = rng.choice([10, 1000])
    services["mq"] = mq
    for app in apps:
        for e in services[app]["endpoints"].values():
            if maybe(rng, 0.5):
                step = {"publish": "mq", "topic": "jobs", "message_kb": rng.choice([0.01, 1, 64]),
                        "partition_key": rng.choice(["request", "session", "random"]),
                        "wait_for_ack": maybe(rng)}
                if step["wait_for_ack"]:
                    step["timeout_ms"] = rng.choice([5, 1000])
                last = len(e["steps"]) - (1 if e["steps"] and "forward" in e["steps"][-1] else 0)
                e["steps"].insert(rng.randint(0, last), step)
    for g in range(rng.randint(1, 2)):
        concurrency = rng.randint(1, 4)
        group = {"kind": "consumer", "host": {"cores": rng.randint(1, 2)}, "replicas": rng.randint(1, 3),
                 "queue": "mq", "topic": "jobs", "concurrency": concurrency,
                 "prefetch": concurrency + rng.randint(0, 4),
                 "ack": rng.choice(["after_processing", "before_processing"]),
                 "ordering": rng.choice(["none", "per_key"]),
                 "visibility_timeout_ms": rng.choice([1, 50, 30000]), "max_deliveries": rng.randint(1, 4),
                 "retry_backoff": {"initial_ms": rng.choice([0, 10]), "multiplier": 2, "max_ms": 100},
                 "fail_probability": rng.choice([0, 0.3]), "poison_fraction": rng.choice([0, 0.1]),
                 "steps": [{"cpu_ms": distribution(rng, 10)}, {"notify": "done"}]}
        # The idempotency store: an endpoint that publishes nothing (one that publishes
        # would make a cycle through the group, refused as such).
        quiet = [(a, n) for a in apps for n, e in services[a]["endpoints"].items()
                 if not any("publish" in st or "call" in st or "forward" in st for st in e["steps"])]
        if quiet and maybe(rng, 0.3):
            target, endpoint = rng.choice(quiet)
            group["idempotency"] = {"service": target, "check": endpoint, "record": endpoint,
                                    "timeout_ms": rng.choice([5, 500])}
        services[f"g{g}"] = group
        for _ in range(rng.randint(0, 2)):
            member = rng.randint(1, group["replicas"])
            crash = rng.choice([{"replica": f"g{g}-{member}"}, {"host": f"g{g}-{member}"}])
            event = {"at_s": round(rng.uniform(0, doc["duration_s"]), 2), "crash": crash}
            if maybe(rng):
                event["duration_s"] = round(rng.uniform(0.1, doc["duration_s"]), 2)
            events.append(event)
    for _ in range(rng.randint(0, 2)):
        broker = rng.randint(1, brokers)
        crash = rng.choice([{"replica": f"mq-{broker}"}, {"host": f"mq-{broker}"}])
        event = {"at_s": round(rng.uniform(0, doc["duration_s"]), 2), "crash": crash}
        if maybe(rng):
            event["duration_s"] = round(rng.uniform(0.1, doc["duration_s"]), 2)
        events.append(event)
    if not events:
        del doc["faults"]["events"]
    if not doc["faults"]:
        del doc["faults"]


def run_archsim(archsim, path, scratch):
    """Runs one scenario; returns (status, stderr); status is "timeout" after 300 s."""
    try:
        result = subprocess.run([archsim, "run", path, "--quiet", "--out", os.path.join(scratch, "out")],
                                capture_output=True, text=True, timeout=300)
        return result.returncode, result.stderr
    except subprocess.TimeoutExpired:
        return "timeout", "no end after 300 s"


def replay(archsim, paths):
    failures = 0
    with tempfile.TemporaryDirectory() as scratch:
        for path in paths:
            code, stderr = run_archsim(archsim, path, scratch)
            if code != 0:
                failures += 1
                print(f"{os.path.basename(path)}: status {code}\n{stderr[-2000:]}")
    print(f"{len(paths)} saved scenarios: {failures} failed")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("archsim")
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", default="", help="save failing scenarios here")
    parser.add_argument("--replay", nargs="+", default=[], help="run these saved scenarios instead")
    args = parser.parse_args()
    if args.replay:
        return replay(args.archsim, args.replay)
    rng = random.Random(args.seed)
    failures, invalid = 0, 0
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(args.runs):
            doc = scenario(rng)
            add_caches_and_cdn(rng, doc)
            add_queues(rng, doc)
            path = os.path.join(scratch, f"s{i}.json")
            with open(path, "w") as f:
                json.dump(doc, f, indent=1)
            code, stderr = run_archsim(args.archsim, path, scratch)
            if code == 2:
                invalid += 1
                print(f"run {i}: the generator made an invalid scenario: {stderr.strip().splitlines()[0]}")
                continue
            if code != 0:
                failures += 1
                print(f"run {i}: status {code}\n{stderr[-2000:]}")
                if args.keep:
                    os.makedirs(args.keep, exist_ok=True)
                    with open(os.path.join(args.keep, f"seed{args.seed}-run{i}.json"), "w") as f:
                        json.dump(doc, f, indent=1)
    print(f"{args.runs} random scenarios: {failures} failed, {invalid} invalid")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
