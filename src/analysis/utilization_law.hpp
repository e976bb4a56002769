#pragma once
// Back-of-envelope capacity from the scenario alone, by the utilisation law U = X * D / C:
// the mean demand D each client request puts on every resource (CPU seconds on a host,
// seconds of disk time) follows from the call graph: step means, probabilities, buffer-cache
// hit ratios, how calls spread over replicas (round robin, a load balancer, reads on read
// replicas, writes on the primary and applied on every replica). A resource saturates when
// X reaches C / D. Queueing, contention and failures are what the simulation adds.
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace archsim {

struct ResourceDemand {
  std::string resource;  // "node1.cpu", "db-1.disk"
  double seconds_per_request = 0;
  double capacity = 0;  // resource-seconds per second: cores for a CPU, 1 for a disk
  double saturation_rps() const { return seconds_per_request > 0 ? capacity / seconds_per_request : 0.0; }
};

// Demands per request of client population `client` (-1: all populations, weighted by
// their open-loop rates or closed-loop users), busiest resource first.
std::vector<ResourceDemand> estimate_demands(const Scenario& scenario, int client = -1);

}  // namespace archsim
