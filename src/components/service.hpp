#pragma once
// A tier of the architecture (the "web" app servers, the "db" database, the "lb" load
// balancer...): its replicas, and how a caller picks one of them.
//  - app servers, and any service without more specific knowledge: round robin over all
//    replicas, as a driver or a DNS name with several addresses does; a dead replica keeps
//    getting its share until the callers' timeouts and retries route around it;
//  - a replicated database: writes to the primary, reads to the healthy replicas (see
//    DatabaseCluster);
//  - a load balancer: round robin over its replicas (active/active), or the active one of
//    an active/passive pair (see BalancerGroup).
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "components/replica_behavior.hpp"
#include "components/service_replica.hpp"
#include "core/rng.hpp"
#include "metrics/recorder.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class Simulation;
class DatabaseCluster;
class BalancerGroup;

class Service {
 public:
  Service(Simulation& sim, const ServiceSpec& spec, int index);
  ~Service();

  void start();
  // The replica a request to this service goes to, or nullptr when none can take it.
  // `avoid`: a replica to skip if another one can take the request (a retry after it failed).
  ServiceReplica* route(const Message& request, bool write, int avoid = -1);
  std::unique_ptr<ReplicaBehavior> make_behavior(ServiceReplica& replica);
  void replica_state_changed(ServiceReplica& replica, ReplicaState before, ReplicaState after);
  // Calls in progress to each replica, from every caller (least-connections routing).
  void call_opened(int replica) { ++open_calls_[static_cast<std::size_t>(replica)]; }
  void call_closed(int replica) { --open_calls_[static_cast<std::size_t>(replica)]; }
  const std::vector<int>& open_calls() const { return open_calls_; }

  const ServiceSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  int index() const { return index_; }
  Simulation& sim() { return sim_; }
  RandomStream& rng() { return rng_; }
  const std::vector<std::unique_ptr<ServiceReplica>>& replicas() const { return replicas_; }
  int replicas_up() const;
  // Time spent with 0, 1, ..., n replicas up over the measured period.
  std::vector<double> replicas_up_durations(double end) const { return up_count_.totals(end); }
  // Kind-specific figures for the summary (replication, balancing), or null.
  nlohmann::ordered_json report(double end) const;

 private:
  Simulation& sim_;
  const ServiceSpec& spec_;
  int index_;
  RandomStream rng_;
  std::vector<std::unique_ptr<ServiceReplica>> replicas_;
  std::vector<int> open_calls_;
  std::vector<int> components_;  // recorder component of each replica
  StateDurations up_count_;
  std::size_t next_replica_ = 0;
  std::unique_ptr<DatabaseCluster> database_;
  std::unique_ptr<BalancerGroup> balancer_;
};

}  // namespace archsim
