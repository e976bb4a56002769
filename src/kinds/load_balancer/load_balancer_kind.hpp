#pragma once
// The load_balancer kind, scenario side: a layer 7 proxy in front of a backend service,
// with a balancing policy and health checks (see load_balancer_runtime.hpp).
#include <vector>

#include "core/distribution.hpp"
#include "scenario/balancing.hpp"
#include "scenario/scenario.hpp"

namespace archsim::kinds::load_balancer {

struct LoadBalancerOptions : KindOptions {
  int backend = -1;  // service index
  PolicyConfig policy;
  bool active_passive = false;
  double failover_s = 0;
  Distribution cpu_ms;    // proxy work per request
  double timeout_s = 0;   // how long it waits for a backend
  std::vector<int> hops;  // per endpoint: the hop to the backend
};

}  // namespace archsim::kinds::load_balancer
