#pragma once
// The run-time side of a service kind (see kinds/): what its replicas do with a request,
// how callers pick a replica, what runs for the service as a whole, and its own figures
// in the summary. Service (the generic tier) and ServiceReplica (the generic server
// process) hold one and ask it; a kind without special needs implements make_behavior
// only.
#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/cost_model.hpp"
#include "components/step_runner.hpp"
#include "core/outcome.hpp"
#include "engine/message.hpp"

namespace archsim {

class Service;
class ServiceReplica;

// What a replica does with a request. Behaviours may run actors of their own (a
// replication applier, a health checker): they start with the process and die with it.
class ReplicaBehavior {
 public:
  virtual ~ReplicaBehavior() = default;
  // Serves `context.request` (endpoint `context.request.endpoint`) in a worker actor.
  virtual Outcome serve(StepContext& context) = 0;
  // The process started (called from the replica's supervisor, on its host).
  virtual void on_start(ServiceReplica& /*replica*/) {}
  // The process stopped; its actors are already dead.
  virtual void on_stop(ServiceReplica& /*replica*/) {}
  // A call left to the relay by relay_call(..., token) ended with `outcome`: the request's
  // outcome (called from the replica's relay actor, or from the worker when the call ended
  // before it left).
  virtual Outcome relayed_call_ended(int /*token*/, Outcome outcome) { return outcome; }
  // Whether a request is served outside the worker pool (a broker's replication stream,
  // which must not wait for the threads that publishes hold while they wait for it): the
  // acceptor then hands it to serve_aside() instead of queueing it.
  virtual bool serves_aside(const Message& /*request*/) const { return false; }
  virtual void serve_aside(ServiceReplica& /*replica*/, Message* /*request*/) {}
  // The steps that serve `request` when serving it is nothing but running them and they
  // can all run without a thread (see ThreadlessRun); nullptr: serve() serves it.
  virtual const std::vector<Step>* threadless_steps(const Message& /*request*/) const { return nullptr; }
};

// Runs the endpoint's steps: what a plain server does.
class StepsBehavior : public ReplicaBehavior {
 public:
  explicit StepsBehavior(ServiceReplica& replica);
  Outcome serve(StepContext& context) override;
  const std::vector<Step>* threadless_steps(const Message& request) const override {
    const auto endpoint = static_cast<std::size_t>(request.endpoint);  // a special one (< 0) wraps around
    return endpoint < threadless_.size() ? threadless_[endpoint] : nullptr;
  }

 private:
  const ServiceSpec& spec_;
  std::vector<const std::vector<Step>*> threadless_;  // by endpoint
};

class ServiceRuntime {
 public:
  virtual ~ServiceRuntime() = default;
  // Called once per replica, when it is created.
  virtual std::unique_ptr<ReplicaBehavior> make_behavior(ServiceReplica& replica) = 0;
  // At time 0, after the replicas started: actors of the service as a whole (a monitor).
  virtual void start() {}
  // The replica a request goes to, or nullptr when none can take it; `write` when the
  // endpoint is a write, `avoid` a replica to skip if another can take it (a retry after
  // it failed). By default, round robin over the replicas in service, as a driver or a DNS
  // name with several addresses does: a dead replica keeps its share until the callers'
  // timeouts and retries route around it.
  virtual ServiceReplica* route(Service& service, const Message& request, bool write, int avoid);
  // A replica went up or down.
  virtual void replica_state_changed(ServiceReplica& /*replica*/) {}
  // The latest committed version of data `key` (kinds whose data has versions: a
  // database), 0 when it was never written. A cache compares what it holds against it.
  virtual std::uint64_t committed_version(std::uint64_t /*key*/) const { return 0; }
  // Adds what the kind bills over the measured period (a CDN's egress, requests, storage).
  virtual void add_cost_usage(CostUsage& /*usage*/) const {}
  // The kind's figures for summary.json (under its ServiceKind::report_section), or null.
  virtual nlohmann::ordered_json report(double /*end*/) const { return nullptr; }
};

}  // namespace archsim
