#pragma once
// A replicated database: replica 1 starts as the primary, the others are read replicas.
//
//  - Writes (endpoints with "access": "write") run on the primary; once a write's steps are
//    done it commits: it gets the next log position and the key's version becomes that
//    position. The primary then sends a replication event (stream_kb over the simulated
//    network) to every other replica. In async mode the write is acknowledged at once; in
//    semi_sync mode it waits until one replica has received the event (or
//    semi_sync_timeout_ms passed, after which it proceeds, as MySQL falls back to async).
//  - Each replica applies the events in order with one applier thread (apply_steps), so
//    lag builds up when writes come faster than it applies them. Lag = apply time - commit
//    time on the primary.
//  - Reads go to healthy replicas by the read policy. A read is stale when the replica has
//    applied an older version of the key than the latest committed one. Versions are kept
//    per key written: memory is bounded by the key space, not by the number of requests.
//  - A monitor on the control host health-checks the replicas. When it finds the primary
//    down it starts a failover: writes fail at once (cause "unavailable") for promotion_s,
//    then the healthy replica that received the most events is promoted. Writes the old
//    primary acknowledged but the new one never received are lost (async mode). Other
//    replicas, and the old primary when it returns, resynchronise from the new primary.
//
// The bookkeeping and its decisions are ReplicationState's (replication_state.hpp).
#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "kinds/load_balancer/balancing_policy.hpp"
#include "kinds/load_balancer/health_checker.hpp"
#include "components/service_runtime.hpp"
#include "kinds/database/database_kind.hpp"
#include "kinds/database/replication_state.hpp"
#include "recording/histogram.hpp"

namespace archsim {
class RunContext;
class Service;
class ServiceReplica;
}  // namespace archsim

namespace archsim::kinds::database {

class DatabaseCluster : public ServiceRuntime {
 public:
  DatabaseCluster(RunContext& run, Service& service, const ReplicationSpec& spec, const HealthCheckSpec& health);
  ~DatabaseCluster() override;

  void start() override;
  std::unique_ptr<ReplicaBehavior> make_behavior(ServiceReplica& replica) override;
  ServiceReplica* route(Service& service, const Message& request, bool write, int avoid) override;
  nlohmann::ordered_json report(double end) const override;
  std::uint64_t committed_version(std::uint64_t key) const override { return state_.latest_version(key); }
  int primary() const { return primary_; }

  // From a worker of the primary, after a write's steps: commit and replicate.
  Outcome commit(StepContext& context);
  // From a worker of any replica, after a read's steps: the version of the key it returns.
  std::uint64_t served_read(int replica, std::uint64_t key);
  // The applier of `replica` (runs in its own actor).
  void apply_loop(ServiceReplica& replica);
  // A replica (re)starts as a copy of the primary.
  void resync(int replica) { state_.resync(replica, primary_); }

 private:
  void health_changed(int replica, bool healthy);
  void failover();
  void set_primary(int replica, double now);
  // The part of [from, to) inside the measured period.
  double measured_overlap(double from, double to) const;

  RunContext& run_;
  Service& service_;
  ReplicationSpec spec_;
  HealthChecker checker_;
  std::unique_ptr<BalancingPolicy> read_policy_;
  int primary_ = 0;  // -1 during a failover
  bool failover_running_ = false;
  ReplicationState state_;
  std::vector<std::unique_ptr<Inbox>> streams_;  // per replica: where its replication events arrive
  BackendView read_view_;  // scratch for routing reads

  Histogram lag_;
  std::uint64_t writes_ = 0;
  std::uint64_t replica_reads_ = 0;
  std::uint64_t stale_reads_ = 0;
  std::uint64_t lost_writes_ = 0;
  std::uint64_t failovers_ = 0;
  std::uint64_t semi_sync_timeouts_ = 0;
  double no_primary_since_ = -1;
  double no_primary_s_ = 0;
};

class DatabaseBehavior : public ReplicaBehavior {
 public:
  explicit DatabaseBehavior(DatabaseCluster& cluster) : cluster_(cluster) {}
  Outcome serve(StepContext& context) override;
  void on_start(ServiceReplica& replica) override;

 private:
  DatabaseCluster& cluster_;
};

// The run-time side of the database kind: a single database (or several without
// replication) runs its endpoints' steps; a replicated one is a DatabaseCluster.
std::unique_ptr<ServiceRuntime> make_runtime(Service& service, RunContext& run);

}  // namespace archsim::kinds::database

