#include "kinds/database/replication_state.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace archsim::kinds::database {

std::uint64_t ReplicationState::commit(int primary, std::uint64_t key) {
  const std::uint64_t position = ++committed_;
  latest_[key] = position;
  Log& own = logs_[static_cast<std::size_t>(primary)];
  own.received = own.applied = position;
  own.received_versions[key] = own.applied_versions[key] = position;
  return position;
}

bool ReplicationState::receive(int replica, std::uint64_t position, std::uint64_t key) {
  Log& log = logs_[static_cast<std::size_t>(replica)];
  if (position <= log.received) return false;
  log.received = position;
  log.received_versions[key] = position;
  return true;
}

bool ReplicationState::apply(int replica, std::uint64_t position, std::uint64_t key) {
  Log& log = logs_[static_cast<std::size_t>(replica)];
  if (position <= log.applied) return false;
  log.applied = position;
  log.applied_versions[key] = position;
  return true;
}

bool ReplicationState::stale(int replica, std::uint64_t key) const {
  const auto latest = latest_.find(key);
  if (latest == latest_.end()) return false;
  const Log& log = logs_[static_cast<std::size_t>(replica)];
  const auto seen = log.applied_versions.find(key);
  return seen == log.applied_versions.end() || seen->second < latest->second;
}

std::uint64_t ReplicationState::applied_version(int replica, std::uint64_t key) const {
  const Log& log = logs_[static_cast<std::size_t>(replica)];
  const auto seen = log.applied_versions.find(key);
  return seen == log.applied_versions.end() ? 0 : seen->second;
}

std::uint64_t ReplicationState::latest_version(std::uint64_t key) const {
  const auto latest = latest_.find(key);
  return latest == latest_.end() ? 0 : latest->second;
}

void ReplicationState::acknowledge(std::uint64_t position, const std::vector<bool>& healthy, int primary) {
  acknowledged_.insert(position);
  std::uint64_t floor = UINT64_MAX;
  for (std::size_t r = 0; r < logs_.size(); ++r)
    if (static_cast<int>(r) != primary && healthy[r]) floor = std::min(floor, logs_[r].received);
  if (floor == UINT64_MAX) return;
  while (!acknowledged_.empty() && *acknowledged_.begin() <= floor) acknowledged_.erase(acknowledged_.begin());
}

int ReplicationState::promotion_candidate(const std::vector<bool>& healthy) const {
  int best = -1;
  for (std::size_t r = 0; r < logs_.size(); ++r) {
    if (!healthy[r]) continue;
    if (best < 0 || logs_[r].received > logs_[static_cast<std::size_t>(best)].received) best = static_cast<int>(r);
  }
  return best;
}

std::uint64_t ReplicationState::promote(int replica) {
  Log& promoted = logs_[static_cast<std::size_t>(replica)];
  const auto lost = static_cast<std::uint64_t>(
      std::distance(acknowledged_.upper_bound(promoted.received), acknowledged_.end()));
  acknowledged_.clear();
  promoted.applied = promoted.received;
  promoted.applied_versions = promoted.received_versions;
  // Positions keep growing: those of the lost writes are not given to later ones.
  committed_ = std::max(committed_, promoted.received);
  latest_ = promoted.received_versions;
  return lost;
}

void ReplicationState::resync(int replica, int primary) {
  if (primary < 0 || replica == primary) return;
  logs_[static_cast<std::size_t>(replica)] = logs_[static_cast<std::size_t>(primary)];
}

bool read_eligibility(const std::vector<bool>& healthy, int primary, bool include_primary, int avoid,
                      std::vector<bool>& eligible) {
  eligible.resize(healthy.size());
  bool any = false;
  for (std::size_t r = 0; r < healthy.size(); ++r) {
    eligible[r] = healthy[r] && (static_cast<int>(r) != primary || include_primary);
    any = any || eligible[r];
  }
  if (!any) return false;
  if (avoid >= 0 && eligible[static_cast<std::size_t>(avoid)] && std::count(eligible.begin(), eligible.end(), true) > 1)
    eligible[static_cast<std::size_t>(avoid)] = false;
  return true;
}

}  // namespace archsim::kinds::database
