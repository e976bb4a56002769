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
#include <cstdint>
#include <vector>

#include "core/distribution.hpp"
#include "core/outcome.hpp"
#include "engine/inbox.hpp"
#include "engine/message.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class ConnectionPool;
class ServiceReplica;
class RuntimeCatalog;
class RunContext;

struct StepContext {
  ServiceReplica& replica;
  Inbox& replies;               // where replies to this context's calls arrive
  Message& request;             // the request being served
  // A forward step hands the request on: the worker sends it to `forward_to` (nullptr: no
  // replica could take it) once its own accounting is done.
  bool forwarded = false;
  ServiceReplica* forward_to = nullptr;
  double forward_bytes = 0;
  // The replica's worker serving the request, -1 for other actors (a parallel step's
  // helper): only a worker can leave its request's last call to the replica's relay.
  int worker = -1;
  // When the request reached the replica, before it waited for a worker (-1: not known).
  double arrived_at = -1;
  // The request's last call was left to the relay (see relay_call): the worker is free and
  // must not touch the request any more.
  bool relayed = false;
  // From the last reply to a call of this context: the data version it returned and the
  // service that counts it (read_source -1: none yet), and whether a cache get hit.
  std::uint64_t read_version = 0;
  int read_source = -1;
  bool reply_found = false;
};

// What a call carries besides the request's own fields (a cache set's value version).
struct CallData {
  std::uint64_t version = 0;
  int version_source = -1;
  double ttl_s = 0;
  double origin_at = 0;  // when the data it carries began to be fetched
  int channel = -1;      // a publish: the topic
  std::uint64_t item = 0;  // a publish: the partition
  bool has_key = false;    // a publish: the message's key is `key`, not the request's
  std::uint64_t key = 0;
};

// A call in progress: connection held, request sent.
struct OpenCall {
  int hop = -1;
  bool continue_on_error = false;
  ServiceReplica* target = nullptr;
  ConnectionPool* pool = nullptr;
  std::uint64_t id = 0;
  double started_at = 0;  // before waiting for a connection: decides whether the call is measured
  double sent_at = 0;     // when the request left: the hop's latency starts here
  double deadline = 0;
  bool done = false;
  Outcome outcome = Outcome::Ok;
};

// Ends `call` (made by a process of `caller`) with `outcome`: gives its connection back and
// records the hop.
void close_call(ServiceReplica& caller, OpenCall& call, Outcome outcome);

// What a step does when a request runs without a thread (see ThreadlessRun): it stands for
// a group of steps run in its place, or computes `flops` on one core of the replica's host
// (neither: it is done at once).
struct ThreadlessStep {
  const std::vector<Step>* group = nullptr;
  double flops = 0;
};

// What runs the steps of one kind, in the worker (or helper) actor of `context`.
class StepExecutor {
 public:
  virtual ~StepExecutor() = default;
  virtual Outcome execute(StepContext& context, const Step& step) const = 0;
  // Whether `step` can run without a thread: all it does is compute, or run a group of
  // such steps. Then start_threadless() says what it does, drawn as execute() would.
  virtual bool threadless(const RunContext& /*run*/, const Step& /*step*/) const { return false; }
  virtual ThreadlessStep start_threadless(ServiceReplica& /*replica*/, const Step& /*step*/) const { return {}; }
};

// Whether every one of `steps` can run without a thread.
bool runs_threadless(const RunContext& run, const std::vector<Step>& steps);

// A request served without a thread: where it is in its steps (groups nest). An endpoint
// whose steps all compute (cpu_ms, and groups of such steps) needs no worker actor: the
// replica starts each computation as an execution nobody waits for (engine/exec_watch.hpp)
// and goes on when it ends, in the engine's context. Its queueing is the same as a
// worker's: the request holds one of the `workers` slots from its start to its reply, and
// its executions share the host's cores with every other.
class ThreadlessRun {
 public:
  // Starts over with `steps` (a run is reused, with its room for nested groups).
  void reset(const std::vector<Step>& steps) {
    frames_.clear();
    frames_.push_back({&steps, 0});
  }
  // Goes through the steps (drawing their probabilities and times) until one computes:
  // returns its flops, or 0 once no step is left (the request is served).
  double next(ServiceReplica& replica);

 private:
  struct Frame {
    const std::vector<Step>* steps;
    std::size_t next;
  };
  std::vector<Frame> frames_;
};

// Runs `steps` in order; stops at the first failure and returns its outcome.
Outcome run_steps(StepContext& context, const std::vector<Step>& steps);

// Computes for a time drawn from `cpu_ms` on one core of the context's host.
void run_cpu(StepContext& context, const Distribution& cpu_ms);

// One synchronous call from `context` to replica `target` (nullptr: no replica available),
// holding a connection from the caller's pool for that service if it has one, and waiting
// up to `timeout_s` for the reply. Records the hop.
Outcome call_replica(StepContext& context, ServiceReplica* target, int endpoint, double request_bytes,
                     double response_bytes, double timeout_s, int hop, const CallData* data = nullptr);

// Sends a call to each of `targets` at once (request_bytes[i] to targets[i]) and waits for
// every reply or its deadline; returns each call's outcome, in order.
std::vector<Outcome> call_replicas(StepContext& context, const std::vector<ServiceReplica*>& targets, int endpoint,
                                   const std::vector<double>& request_bytes, double response_bytes, double timeout_s,
                                   int hop);

// Sends a call without waiting for its reply (a fire-and-forget message): the hop counts
// as done when it left; the reply, when it comes, is dropped. Unavailable when `target` is
// nullptr.
Outcome send_call(StepContext& context, ServiceReplica* target, int endpoint, double request_bytes, int hop,
                  const CallData* data = nullptr);

// The same call as the request's last step, with the wait for the reply left to the
// replica's relay (see ServiceReplica::relay) so that the worker is free while the call is
// out, as an event-driven proxy's is. Once the request has left, sets `context.relayed` and
// returns Ok: the relay passes the call's outcome and `token` to the behaviour's
// relayed_call_ended(), whose answer ends the request. Otherwise (no target, no pooled
// connection in time, or an actor that is not a worker, which waits itself) returns the
// call's outcome with `context.relayed` false.
Outcome relay_call(StepContext& context, ServiceReplica* target, int endpoint, double request_bytes,
                   double response_bytes, double timeout_s, int hop, int token);

// Adds the executors of the generic step kinds (scenario/steps.hpp).
void add_generic_step_executors(RuntimeCatalog& catalog);

}  // namespace archsim
