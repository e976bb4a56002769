#!/usr/bin/python3
"""M/M/1 at rho = 0.8 in SimPy 2 (Debian's python3-simpy), the classic Resource model: the
reference point of scripts/bench for archsim's speed on an equal model (the same as
tests/validation/mm1.json: arrivals at 80/s, exponential service of mean 10 ms).

usage: mm1_simpy.py SECONDS    prints customers served and their mean response time"""
import random
import sys

try:
    from SimPy.Simulation import Process, Resource, activate, hold, initialize, now, release, request, simulate
except ImportError:
    sys.exit(f"{sys.executable} lacks SimPy 2: install the Debian package python3-simpy")

LAMBDA, MU = 80.0, 100.0
served = 0
total_response = 0.0


class Customer(Process):
    def visit(self, server):
        global served, total_response
        arrived = now()
        yield request, self, server
        yield hold, self, random.expovariate(MU)
        yield release, self, server
        served += 1
        total_response += now() - arrived


class Source(Process):
    def generate(self, server, until):
        while now() < until:
            customer = Customer()
            activate(customer, customer.visit(server))
            yield hold, self, random.expovariate(LAMBDA)


def main():
    seconds = float(sys.argv[1])
    random.seed(1)
    initialize()
    server = Resource(capacity=1)
    source = Source()
    activate(source, source.generate(server, seconds))
    simulate(until=seconds * 2)
    print(f"simpy: {served} customers, mean response {1000 * total_response / served:.2f} ms")


main()
