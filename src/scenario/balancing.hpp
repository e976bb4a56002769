#pragma once
// How a balancing policy is configured in a scenario (a load balancer's policy, a
// database's read policy). The policies themselves are in kinds/load_balancer/balancing_policy.hpp.
#include <string>
#include <vector>

namespace archsim {

enum class PolicyKind {
  RoundRobin,
  WeightedRoundRobin,
  Random,
  LeastConnections,
  PowerOfD,  // power_of_d with `choices`; power_of_two is d = 2
  Sticky,
  Hash,
  ConsistentHash
};
PolicyKind policy_from_string(const std::string& name);  // throws std::invalid_argument
const char* to_string(PolicyKind kind);

enum class HashOn { Session, Key };

struct PolicyConfig {
  PolicyKind kind = PolicyKind::RoundRobin;
  std::vector<double> weights;  // weighted_round_robin, one per backend
  int virtual_nodes = 0;        // consistent_hash
  int choices = 2;              // power_of_d: backends drawn (power_of_two: 2)
  HashOn hash_on = HashOn::Session;
};

}  // namespace archsim
