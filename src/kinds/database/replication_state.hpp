#pragma once
// The state of a replicated database as plain data, with the decisions taken on it: the
// committed log, what each replica has received and applied (a version per key written,
// so memory is bounded by the key space), the writes acknowledged to clients that not
// every healthy replica has yet (what a failover can lose), which replicas may serve a
// read, and which replica a failover promotes. DatabaseCluster wires it to simulated time;
// tests drive it without an engine.
#include <cstdint>
#include <set>
#include <unordered_map>
#include <vector>

namespace archsim::kinds::database {

class ReplicationState {
 public:
  explicit ReplicationState(int replicas) : logs_(static_cast<std::size_t>(replicas)) {}

  // The primary commits a write of `key`: the next log position, which becomes the key's
  // latest version; the primary has it at once.
  std::uint64_t commit(int primary, std::uint64_t key);
  // `replica` received the event at `position` (a write of `key`); false when it had it
  // already (it was resynchronised meanwhile), which then changes nothing.
  bool receive(int replica, std::uint64_t position, std::uint64_t key);
  // `replica` applied it; false when it had applied it already.
  bool apply(int replica, std::uint64_t position, std::uint64_t key);
  // Whether a read of `key` on `replica` returns an older version than the latest committed.
  bool stale(int replica, std::uint64_t key) const;
  // The version of `key` a read on `replica` returns, and the latest committed one (0:
  // never written).
  std::uint64_t applied_version(int replica, std::uint64_t key) const;
  std::uint64_t latest_version(std::uint64_t key) const;

  // The write at `position` was acknowledged to its client; it stays at risk until every
  // healthy replica other than the primary has received it.
  void acknowledge(std::uint64_t position, const std::vector<bool>& healthy, int primary);
  // The healthy replica that received the most events (the first of equals), or -1.
  int promotion_candidate(const std::vector<bool>& healthy) const;
  // Promotes `replica`: it applies everything it received and its log becomes the
  // committed one. Returns the acknowledged writes it never received: they are lost.
  std::uint64_t promote(int replica);
  // `replica` (re)starts as a copy of the primary.
  void resync(int replica, int primary);

  std::uint64_t received(int replica) const { return logs_[static_cast<std::size_t>(replica)].received; }
  std::uint64_t applied(int replica) const { return logs_[static_cast<std::size_t>(replica)].applied; }
  // The last log position given (positions of writes a failover lost are not given again).
  std::uint64_t committed() const { return committed_; }
  std::size_t at_risk() const { return acknowledged_.size(); }

 private:
  struct Log {
    std::uint64_t received = 0;
    std::uint64_t applied = 0;
    std::unordered_map<std::uint64_t, std::uint64_t> received_versions;
    std::unordered_map<std::uint64_t, std::uint64_t> applied_versions;
  };

  std::uint64_t committed_ = 0;
  std::unordered_map<std::uint64_t, std::uint64_t> latest_;  // key -> committed version
  std::set<std::uint64_t> acknowledged_;
  std::vector<Log> logs_;
};

// Which replicas may serve a read: the healthy ones except the primary (unless
// `include_primary`), without `avoid` when another one remains. Fills `eligible`; returns
// false when none is eligible (then reads fall back on the primary).
bool read_eligibility(const std::vector<bool>& healthy, int primary, bool include_primary, int avoid,
                      std::vector<bool>& eligible);

}  // namespace archsim::kinds::database
