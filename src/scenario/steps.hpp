#pragma once
// The generic step kinds every service's endpoints may use (scenario side): CPU work,
// storage I/O, calls and forwards to other services, and groups of steps. What they do at
// run time is in components/steps.cpp.
#include <vector>

#include "core/distribution.hpp"
#include "scenario/catalog.hpp"

namespace archsim {

struct CpuStep : StepOptions {
  Distribution cpu_ms;  // demand in ms on a reference core
};

struct IoStep : StepOptions {
  double bytes = 0;
};

// A call, or a forward (which has no reply: response_bytes, timeout_s and
// continue_on_error are unused).
struct CallStep : StepOptions {
  int service = -1;
  int endpoint = -1;
  double request_bytes = 0;
  double response_bytes = 0;
  double timeout_s = 0;
  bool continue_on_error = false;  // "on_error": "continue"
  int hop = -1;                    // index into Scenario::hops
};

// One of several branches by weight: the branches are the step's children (each a
// sequence of steps), `cumulative` their normalised cumulative weights (the last is 1).
struct ChoiceStep : StepOptions {
  std::vector<double> cumulative;
  double probability(std::size_t branch) const {
    return cumulative[branch] - (branch ? cumulative[branch - 1] : 0.0);
  }
};

// Adds the generic step kinds to `catalog`.
void add_generic_steps(Catalog& catalog);

}  // namespace archsim
