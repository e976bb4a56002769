#pragma once
// The database kind, scenario side: a server with one backend per connection and a
// buffer cache in front of its disk; with replicas, a primary and read replicas fed by a
// replication stream (see database_runtime.hpp for what that does).
#include <optional>
#include <vector>

#include "core/units.hpp"
#include "scenario/balancing.hpp"
#include "scenario/scenario.hpp"

namespace archsim::kinds::database {

struct ReplicationSpec {
  bool semi_sync = false;
  bool read_from_primary = false;  // read_from "any"
  PolicyKind read_policy = PolicyKind::RoundRobin;
  double stream_bytes = 0;
  std::vector<Step> apply_steps;
  double semi_sync_timeout_s = 0;
  double promotion_s = 0;
};

struct DatabaseOptions : KindOptions {
  std::optional<ReplicationSpec> replication;  // databases with more than one replica
};

// The replication of a database service, or nullptr when it has a single replica.
const ReplicationSpec* replication_of(const ServiceSpec& service);

}  // namespace archsim::kinds::database
