#!/usr/bin/python3
"""Checks archsim against queueing theory.

Each check runs a scenario of tests/validation/ as R independent replications (archsim's
own `run --replications R`, seeds derived from seed 1) and compares the replications'
average with the closed-form answer, within the 99% confidence interval computed from the
replications themselves (Student's t) plus the histogram's bounded error. Each check also runs a deliberately wrong model (a negative
control) and requires the same comparison to reject it, which shows the tolerance is
tight enough to catch a wrong model.

usage: queueing_theory.py ARCHSIM CHECK [--replications R] [--duration-s S]
CHECK: mm1 | mmc | tandem | dispatch | availability | kofn | network
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# Student's t quantile at 0.995 (two-sided 99%) for 1..30 degrees of freedom.
T_995 = [63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169, 3.106, 3.055, 3.012, 2.977,
         2.947, 2.921, 2.898, 2.878, 2.861, 2.845, 2.831, 2.819, 2.807, 2.797, 2.787, 2.779, 2.771, 2.763,
         2.756, 2.750]
HISTOGRAM_ERROR = 0.0039  # relative bound of archsim's percentiles


def replicate(archsim, scenario, replications, duration_s, sets=()):
    """The summaries of `replications` independent replications, run by archsim itself
    (`archsim run --replications`, seeds derived from seed 1, in parallel)."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [archsim, "run", os.path.join(HERE, scenario), "--quiet", "--seed", "1", "--replications",
               str(replications), "--out", out]
        if duration_s:
            cmd += ["--duration-s", str(duration_s)]
        for s in sets:
            cmd += ["--set", s]
        subprocess.run(cmd, check=True)
        runs = []
        for i in range(1, replications + 1):
            with open(os.path.join(out, f"rep-{i:03d}", "summary.json")) as f:
                runs.append(json.load(f))
        return runs


def interval(values, relative_slack=0.0):
    """Mean of the replications and the half-width of its 99% confidence interval."""
    mean = statistics.fmean(values)
    half = T_995[len(values) - 2] * statistics.stdev(values) / math.sqrt(len(values))
    return mean, half + relative_slack * abs(mean)


class Checker:
    def __init__(self):
        self.failures = []

    def agrees(self, label, values, expected, relative_slack=0.0):
        mean, half = interval(values, relative_slack)
        ok = abs(mean - expected) <= half
        print(f"  {label}: measured {mean:.3f} +/- {half:.3f} (99% CI), theory {expected:.3f} -> "
              f"{'agrees' if ok else 'DISAGREES'}")
        return ok

    def expect_agreement(self, label, values, expected, relative_slack=0.0):
        if not self.agrees(label, values, expected, relative_slack):
            self.failures.append(label)

    def expect_rejection(self, label, values, expected, relative_slack=0.0):
        if self.agrees(label, values, expected, relative_slack):
            self.failures.append(label + " (the wrong model was not detected)")


def erlang_c(c, a):
    """Probability of waiting in M/M/c with offered load a = lambda/mu (a < c)."""
    top = a ** c / math.factorial(c) * c / (c - a)
    bottom = sum(a ** k / math.factorial(k) for k in range(c)) + top
    return top / bottom


def erlang_quantile(k, rate, q):
    """q-quantile of the sum of k independent Exp(rate) variables."""
    def cdf(t):
        x = rate * t
        return 1.0 - math.exp(-x) * sum(x ** i / math.factorial(i) for i in range(k))
    lo, hi = 0.0, 1.0
    while cdf(hi) < q:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < q else (lo, mid)
    return (lo + hi) / 2


def latency(summaries, key):
    return [s["latency_ms"][key] for s in summaries]


def check_mm1(archsim, r, duration, checker):
    lam, mu = 80.0, 100.0
    mean = 1000.0 / (mu - lam)
    p99 = 1000.0 * math.log(100.0) / (mu - lam)
    print(f"M/M/1, rho = {lam / mu}: response time ~ Exp({mu - lam}/s)")
    runs = replicate(archsim, "mm1.json", r, duration)
    checker.expect_agreement("mean response time (ms)", latency(runs, "mean"), mean)
    checker.expect_agreement("p99 response time (ms)", latency(runs, "p99"), p99, HISTOGRAM_ERROR)
    print("negative control: constant service time (M/D/1) instead of exponential")
    wrong = replicate(archsim, "mm1.json", r, duration,
                      ["/services/server/endpoints/serve/steps/0/cpu_ms=10"])
    checker.expect_rejection("M/D/1 mean against the M/M/1 formula", latency(wrong, "mean"), mean)


def check_mmc(archsim, r, duration, checker):
    c, lam, mu = 4, 320.0, 100.0
    a = lam / mu
    wait = erlang_c(c, a) / (c * mu - lam)
    mean = 1000.0 * (1.0 / mu + wait)
    print(f"M/M/{c}, rho = {a / c}: Erlang C = {erlang_c(c, a):.4f}, mean response {mean:.3f} ms")
    runs = replicate(archsim, "mmc.json", r, duration)
    checker.expect_agreement("mean response time (ms)", latency(runs, "mean"), mean)
    print("negative control: the 4 workers modelled as one processor-sharing CPU 4x as fast")
    wrong = replicate(archsim, "mmc.json", r, duration,
                      ["services.server.host={\"cores\": 1, \"core_speed\": 4}", "services.server.workers=1000"])
    checker.expect_rejection("processor-sharing mean against Erlang C", latency(wrong, "mean"), mean)


def check_tandem(archsim, r, duration, checker):
    lam, mu, k = 80.0, 100.0, 3
    mean = 1000.0 * k / (mu - lam)
    p99 = 1000.0 * erlang_quantile(k, mu - lam, 0.99)
    hop_p99 = 1000.0 * math.log(100.0) / (mu - lam)
    print(f"{k} M/M/1 stations in tandem: end-to-end ~ Erlang-{k}({mu - lam}/s): mean {mean:.1f} ms, "
          f"p99 {p99:.1f} ms; the sum of the per-hop p99s would be {k * hop_p99:.1f} ms")
    runs = replicate(archsim, "tandem.json", r, duration)
    checker.expect_agreement("end-to-end mean (ms)", latency(runs, "mean"), mean)
    checker.expect_agreement("end-to-end p99 (ms)", latency(runs, "p99"), p99, HISTOGRAM_ERROR)
    for station in ("server", "station2", "station3"):
        checker.expect_agreement(f"{station} p99 residence (ms)",
                                 [s["services"][station]["residence_ms"]["p99"] for s in runs], hop_p99,
                                 HISTOGRAM_ERROR)
    summed = [sum(s["services"][st]["residence_ms"]["p99"] for st in ("server", "station2", "station3"))
              for s in runs]
    print(f"  sum of per-hop p99s: {statistics.fmean(summed):.1f} ms vs end-to-end p99 "
          f"{statistics.fmean(latency(runs, 'p99')):.1f} ms: "
          f"{100 * (statistics.fmean(summed) / statistics.fmean(latency(runs, 'p99')) - 1):.0f}% too pessimistic")
    checker.expect_rejection("the sum of per-hop p99s as the end-to-end p99", summed, p99, HISTOGRAM_ERROR)


def gi_m_1_sigma(laplace_transform, mu):
    """The root in (0, 1) of sigma = A*(mu (1 - sigma)) for a GI/M/1 queue."""
    sigma = 0.5
    for _ in range(10000):
        sigma = laplace_transform(mu * (1.0 - sigma))
    return sigma


def check_dispatch(archsim, r, duration, checker):
    n, lam, mu = 4, 320.0, 100.0
    random_mean = 1000.0 / (mu - lam / n)
    sigma = gi_m_1_sigma(lambda s: (lam / (lam + s)) ** n, mu)
    rr_mean = 1000.0 / (mu * (1.0 - sigma))
    print(f"Poisson {lam}/s over {n} single-worker servers (mu = {mu}/s): random -> {n} x M/M/1, mean "
          f"{random_mean:.2f} ms; round robin -> E{n}/M/1 (sigma = {sigma:.4f}), mean {rr_mean:.2f} ms")
    rr = replicate(archsim, "dispatch.json", r, duration)
    rnd = replicate(archsim, "dispatch.json", r, duration, ["services.lb.policy=random"])
    checker.expect_agreement("round robin mean (ms)", latency(rr, "mean"), rr_mean)
    checker.expect_agreement("random mean (ms)", latency(rnd, "mean"), random_mean)
    print("negative controls: each policy against the other's formula")
    checker.expect_rejection("round robin against the M/M/1 formula", latency(rr, "mean"), random_mean)
    checker.expect_rejection("random against the E4/M/1 formula", latency(rnd, "mean"), rr_mean)


def check_availability(archsim, r, duration, checker):
    mtbf, mttr = 100.0, 10.0
    expected = mtbf / (mtbf + mttr)
    print(f"one host, exponential MTBF {mtbf} s, MTTR {mttr} s: availability MTBF/(MTBF+MTTR) = {expected:.5f}")
    runs = replicate(archsim, "mtbf.json", r, duration)
    up = [s["components"]["node"]["uptime_fraction"] for s in runs]
    checker.expect_agreement("measured up-time fraction", up, expected)
    for s in runs:
        if abs(s["components"]["node"]["configured_availability"] - expected) > 1e-4:
            checker.failures.append("configured availability not reported")
    print("negative control: the common slip 1 - MTTR/MTBF")
    checker.expect_rejection("up-time against 1 - MTTR/MTBF", up, 1.0 - mttr / mtbf)


def check_kofn(archsim, r, duration, checker):
    a, n, k = 0.9, 3, 2
    expected = sum(math.comb(n, j) * a ** j * (1 - a) ** (n - j) for j in range(k, n + 1))
    print(f"{k}-out-of-{n} replicas, each available {a} with independent repair: binomial {expected:.5f}")
    runs = replicate(archsim, "kofn.json", r, duration)
    at_least_k = [sum(s["services"]["server"]["replicas_up_fraction"][k:]) for s in runs]
    checker.expect_agreement(f"time with >= {k} of {n} up", at_least_k, expected)
    each = [s["components"]["server-1"]["uptime_fraction"] for s in runs]
    checker.expect_agreement("one replica's up-time", each, a)
    print("negative control: the series formula (all replicas needed), A^n")
    checker.expect_rejection(f"time with >= {k} of {n} up against A^{n}", at_least_k, a ** n)


def check_network(archsim, r, duration, checker):
    with open(os.path.join(HERE, "network.json"), encoding="utf-8") as f:
        scenario = json.load(f)
    net = scenario["platform"]["network"]
    client = scenario["clients"]["arrivals"]
    operation = client["operations"]["job"]
    lam = client["rate_rps"]
    mu = 1000.0 / scenario["services"]["server"]["endpoints"]["serve"]["steps"][0]["cpu_ms"]["mean"]
    capacity = net["client_gbps"] * 1e9 / 8  # bytes/s, each direction of the access link
    rtt = net["client_rtt_ms"] / 1000.0

    def transfer(kb):
        """One direction of the access link as an M/G/1 processor-sharing queue: a message
        of s seconds alone takes s / (1 - rho) on average, whatever the size distribution."""
        alone = kb * 1024 / capacity
        return alone, alone / (1.0 - lam * alone)

    up_alone, up = transfer(operation["request_kb"])
    down_alone, down = transfer(operation["response_kb"])
    server = 1.0 / (mu - lam)
    network = rtt + up + down
    mean = 1000.0 * (network + server)
    print(f"Poisson {lam}/s over a {net['client_rtt_ms']} ms round trip and a {net['client_gbps'] * 1000:.0f} Mbps "
          f"access link to an M/M/1 server (mu = {mu}/s): up {1000 * up:.3f} ms, down {1000 * down:.3f} ms, "
          f"server {1000 * server:.3f} ms, mean response {mean:.3f} ms")
    runs = replicate(archsim, "network.json", r, duration)
    checker.expect_agreement("mean response time (ms)", latency(runs, "mean"), mean)
    # The network's share (response time minus the server's residence) has far less
    # variance than the server's queue, so it pins the link model down tightly.
    share = [s["latency_ms"]["mean"] - s["services"]["server"]["residence_ms"]["mean"] for s in runs]
    checker.expect_agreement("network share of the response time (ms)", share, 1000.0 * network)
    checker.expect_agreement("fastest response: RTT + both transfers alone (ms)", latency(runs, "min"),
                             1000.0 * (rtt + up_alone + down_alone), HISTOGRAM_ERROR)
    print("negative controls: transfers that do not share the link, and one latency for the round trip")
    checker.expect_rejection("network share against transfers alone", share,
                             1000.0 * (rtt + up_alone + down_alone))
    checker.expect_rejection("network share against a one-way trip", share, 1000.0 * (rtt / 2 + up + down))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("archsim")
    parser.add_argument("check", choices=["mm1", "mmc", "tandem", "dispatch", "availability", "kofn", "network"])
    parser.add_argument("--replications", type=int, default=6)
    parser.add_argument("--duration-s", type=float, default=0)
    args = parser.parse_args()
    checker = Checker()
    {"mm1": check_mm1, "mmc": check_mmc, "tandem": check_tandem, "dispatch": check_dispatch,
     "availability": check_availability, "kofn": check_kofn, "network": check_network}[args.check](
        args.archsim, args.replications, args.duration_s, checker)
    if checker.failures:
        print("FAILED: " + "; ".join(checker.failures))
        return 1
    print("all checks agree with theory")
    return 0


if __name__ == "__main__":
    sys.exit(main())
