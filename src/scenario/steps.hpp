#pragma once
// The generic step kinds every service's endpoints may use (scenario side): CPU work,
// storage I/O, calls and forwards to other services, and groups of steps. What they do at
// run time is in components/steps.cpp.
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

// Adds the generic step kinds to `catalog`.
void add_generic_steps(Catalog& catalog);

}  // namespace archsim
