"""Helpers to write small scenarios inline and run them (tests of tests/scenarios/)."""
import csv
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from common import archsim  # noqa: E402,F401

NO_NETWORK = {"network": {"datacenter_rtt_ms": 0, "client_rtt_ms": 0, "loopback_rtt_ms": 0}}


def service(endpoints, workers=8, **extra):
    s = {"kind": "app_server", "host": {"cores": 8}, "workers": workers, "endpoints": endpoints}
    s.update(extra)
    return s


def endpoint(*steps):
    return {"steps": list(steps)}


def scenario(services, rate=5.0, duration=200, target="front", endpoint_name="main", timeout_ms=10000,
             platform=None, clients=None, **extra):
    doc = {
        "description": "feature test",
        "duration_s": duration,
        "warmup_s": 0,
        "platform": platform if platform is not None else NO_NETWORK,
        "services": services,
        "clients": clients or {"users": {
            "model": "open", "target": target, "rate_rps": rate, "timeout_ms": timeout_ms,
            "operations": {"op": {"weight": 1, "endpoint": endpoint_name, "request_kb": 0, "response_kb": 0}}}},
    }
    doc.update(extra)
    return doc


def run(doc, *args):
    """Runs the scenario and returns its summary."""
    return run_with_files(doc, *args)[0]


def call(target, ep="main", **extra):
    c = {"call": target, "endpoint": ep, "request_kb": 0, "response_kb": 0}
    c.update(extra)
    return c


def run_with_files(doc, *args):
    """Like run(), but also returns the timeseries rows and the failure timeline."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        out = os.path.join(d, "out")
        result = archsim("run", path, "--quiet", "--out", out, *args)
        if result.returncode != 0:
            raise AssertionError(result.stderr)
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        with open(os.path.join(out, "timeseries.csv")) as f:
            rows = list(csv.DictReader(f))
        with open(os.path.join(out, "events.csv")) as f:
            events = list(csv.DictReader(f))
        return summary, rows, events


PING = endpoint({"cpu_ms": 1})


def rows_between(rows, start, end):
    return [r for r in rows if start <= float(r["t_s"]) < end]


def total(rows, column):
    return sum(int(r[column]) for r in rows)


def lb(backend="front", policy="round_robin", **extra):
    s = {"kind": "load_balancer", "host": {"cores": 4}, "backend": backend, "policy": policy, "cpu_ms": 0,
         "health_check": {"interval_ms": 1000, "timeout_ms": 200, "unhealthy_threshold": 3, "healthy_threshold": 2}}
    s.update(extra)
    return s


def event_times(events, component, event):
    return [float(e["t_s"]) for e in events if e["component"] == component and e["event"] == event]
