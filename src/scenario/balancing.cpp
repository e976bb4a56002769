#include "scenario/balancing.hpp"

#include <stdexcept>
#include <utility>

namespace archsim {

namespace {
const std::pair<PolicyKind, const char*> kNames[] = {
    {PolicyKind::RoundRobin, "round_robin"},
    {PolicyKind::WeightedRoundRobin, "weighted_round_robin"},
    {PolicyKind::Random, "random"},
    {PolicyKind::LeastConnections, "least_connections"},
    {PolicyKind::PowerOfD, "power_of_two"},
    {PolicyKind::PowerOfD, "power_of_d"},
    {PolicyKind::Sticky, "sticky"},
    {PolicyKind::Hash, "hash"},
    {PolicyKind::ConsistentHash, "consistent_hash"},
};
}  // namespace

PolicyKind policy_from_string(const std::string& name) {
  for (const auto& [kind, text] : kNames)
    if (name == text) return kind;
  throw std::invalid_argument("unknown balancing policy " + name);
}

const char* to_string(PolicyKind kind) {
  for (const auto& [k, text] : kNames)
    if (k == kind) return text;
  return "?";
}

}  // namespace archsim
