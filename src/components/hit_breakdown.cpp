#include "components/hit_breakdown.hpp"

#include <algorithm>

namespace archsim {

namespace {
double share(std::uint64_t part, std::uint64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}
}  // namespace

HitBreakdown::HitBreakdown(const Scenario& scenario) : scenario_(scenario) {
  for (std::size_t c = 0; c < scenario.clients.size(); ++c)
    for (const auto& op : scenario.clients[c].operations) {
      client_of_operation_.push_back(static_cast<int>(c));
      operation_names_.push_back(op.name);
    }
  operations_.resize(operation_names_.size());
}

void HitBreakdown::count(int op, std::uint64_t key, bool hit) {
  if (op < 0 || static_cast<std::size_t>(op) >= operations_.size()) return;
  Counts& o = operations_[static_cast<std::size_t>(op)];
  ++o.lookups;
  o.hits += hit;
  const ClientSpec& client =
      scenario_.clients[static_cast<std::size_t>(client_of_operation_[static_cast<std::size_t>(op)])];
  const KeySpec& keys = client.keys;
  // Ranks are known for keys drawn from a key space, not for a replayed log's.
  if (client.replay || keys.count == 0 || key < keys.first) return;
  const double rank = static_cast<double>(key - keys.first);
  const auto decile = static_cast<std::size_t>(
      std::min<std::uint64_t>(9, static_cast<std::uint64_t>(rank * 10.0 / static_cast<double>(keys.count))));
  ++deciles_[decile].lookups;
  deciles_[decile].hits += hit;
}

nlohmann::ordered_json HitBreakdown::by_operation(const char* lookups) const {
  nlohmann::ordered_json ops = nlohmann::ordered_json::object();
  for (std::size_t o = 0; o < operations_.size(); ++o)
    if (operations_[o].lookups)
      ops[operation_names_[o]] = {{lookups, operations_[o].lookups},
                                  {"hit_ratio", share(operations_[o].hits, operations_[o].lookups)}};
  return ops;
}

nlohmann::ordered_json HitBreakdown::by_decile() const {
  nlohmann::ordered_json deciles = nlohmann::ordered_json::array();
  for (const Counts& d : deciles_)
    deciles.push_back(d.lookups ? nlohmann::ordered_json(share(d.hits, d.lookups)) : nullptr);
  return deciles;
}

}  // namespace archsim
