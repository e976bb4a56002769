#pragma once
// A tier of the architecture (the "web" app servers, the "db" database, the "lb" load
// balancer...): its replicas, the calls open to each, the time spent with 0..n replicas
// up, and its kind's run-time side (ServiceRuntime), which decides what a replica does
// with a request, how callers pick a replica, and the kind's own figures.
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "components/run_context.hpp"
#include "components/service_replica.hpp"
#include "components/service_runtime.hpp"
#include "core/rng.hpp"
#include "recording/recorder.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

// Time a dedicated host takes to shut down once its replica is parked.
constexpr double kHostShutdownS = 1.0;

class Service {
 public:
  Service(RunContext& run, const ServiceSpec& spec, int index);
  ~Service();

  void start();
  // The replica a request to this service goes to, or nullptr when none can take it.
  // `avoid`: a replica to skip if another one can take the request (a retry after it failed).
  ServiceReplica* route(const Message& request, bool write, int avoid = -1) {
    return runtime_->route(*this, request, write, avoid);
  }
  // Round robin over the replicas in service: the default routing.
  ServiceReplica* next_in_turn(int avoid);
  void replica_state_changed(ServiceReplica& replica, ReplicaState before, ReplicaState after);
  // A replica finished leaving service: a dedicated host is switched off with it, after
  // shutting down for kHostShutdownS.
  void replica_parked(ServiceReplica& replica);
  // Replicas in service (not parked, not leaving): how many, which (by replica index),
  // and a number that grows whenever that changes (callers cache what they derive from it).
  int in_service() const;
  const std::vector<bool>& in_service_mask() const { return in_service_mask_; }
  std::uint64_t membership_version() const { return membership_version_; }
  // From a replica whose membership may have changed.
  void membership_changed();
  // Calls in progress to each replica, from every caller (least-connections routing).
  void call_opened(int replica) { ++open_calls_[static_cast<std::size_t>(replica)]; }
  void call_closed(int replica) { --open_calls_[static_cast<std::size_t>(replica)]; }
  const std::vector<int>& open_calls() const { return open_calls_; }

  const ServiceSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  int index() const { return index_; }
  RunContext& run() { return run_; }
  RandomStream& rng() { return rng_; }
  ServiceRuntime& runtime() { return *runtime_; }
  const ServiceRuntime& runtime() const { return *runtime_; }
  const std::vector<std::unique_ptr<ServiceReplica>>& replicas() const { return replicas_; }
  int replicas_up() const;
  // Time spent with 0, 1, ..., n replicas up over the measured period.
  std::vector<double> replicas_up_durations(double end) const { return up_count_.totals(end); }
  // The kind's figures for the summary, or null.
  nlohmann::ordered_json report(double end) const { return runtime_->report(end); }

 private:
  RunContext& run_;
  const ServiceSpec& spec_;
  int index_;
  RandomStream rng_;
  std::vector<int> open_calls_;
  std::vector<int> components_;  // recorder component of each replica
  StateDurations up_count_;
  std::size_t next_replica_ = 0;
  std::vector<bool> in_service_mask_;
  std::uint64_t membership_version_ = 0;
  std::unique_ptr<ServiceRuntime> runtime_;
  std::vector<std::unique_ptr<ServiceReplica>> replicas_;
};

}  // namespace archsim
