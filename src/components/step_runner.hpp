#pragma once
// Runs an endpoint's steps (its call graph) inside a worker actor, in simulated time. Each
// step kind has an executor (see RuntimeCatalog); the generic ones:
//  - cpu_ms: an execution on the worker's host, sharing its cores with the other workers;
//  - read_kb: a buffer-cache hit (a memory copy on a core) with the service's hit ratio,
//    otherwise a disk read (seek + transfer, FIFO behind the other I/Os of the host);
//  - write_kb: a disk write;
//  - call: a request over the simulated network to a replica of another service, holding
//    a pooled connection if the caller has a pool for it, then a wait for the reply with
//    the call's timeout; a failed call fails the request unless on_error is "continue";
//  - forward: hands the request itself on; the next service replies to the original caller;
//  - parallel: calls are sent at once and their replies gathered; other branches run in
//    helper actors; the step ends when every branch has;
//  - sequence: a group of steps, for a branch of a parallel step.
// Every step may carry a probability of being run at all.
#include <vector>

#include "core/distribution.hpp"
#include "core/outcome.hpp"
#include "engine/inbox.hpp"
#include "engine/message.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class ServiceReplica;
class RuntimeCatalog;

struct StepContext {
  ServiceReplica& replica;
  Inbox& replies;               // where replies to this context's calls arrive
  Message& request;             // the request being served
  // A forward step hands the request on: the worker sends it to `forward_to` (nullptr: no
  // replica could take it) once its own accounting is done.
  bool forwarded = false;
  ServiceReplica* forward_to = nullptr;
  double forward_bytes = 0;
};

// What runs the steps of one kind, in the worker (or helper) actor of `context`.
class StepExecutor {
 public:
  virtual ~StepExecutor() = default;
  virtual Outcome execute(StepContext& context, const Step& step) const = 0;
};

// Runs `steps` in order; stops at the first failure and returns its outcome.
Outcome run_steps(StepContext& context, const std::vector<Step>& steps);

// Computes for a time drawn from `cpu_ms` on one core of the context's host.
void run_cpu(StepContext& context, const Distribution& cpu_ms);

// One synchronous call from `context` to replica `target` (nullptr: no replica available),
// holding a connection from the caller's pool for that service if it has one, and waiting
// up to `timeout_s` for the reply. Records the hop.
Outcome call_replica(StepContext& context, ServiceReplica* target, int endpoint, double request_bytes,
                     double response_bytes, double timeout_s, int hop);

// Adds the executors of the generic step kinds (scenario/steps.hpp).
void add_generic_step_executors(RuntimeCatalog& catalog);

}  // namespace archsim
