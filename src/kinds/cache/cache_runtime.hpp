#pragma once
// The cache kind, run-time side (see cache_kind.hpp for what a scenario says):
//  - each replica is a cache node with its own CacheStore; a process that stops loses its
//    contents (a restarted Redis without persistence, a Memcached), as does a flush;
//  - callers reach the node that owns the key on a consistent-hashing ring over the
//    replicas; a node that is down is not skipped (its keys miss until it returns, or the
//    callers' timeouts expire), so losing one of n nodes sends about 1/n of the reads to
//    the database;
//  - every command costs op_cpu_us on the node's event loop (its workers);
//  - a get that hits returns the value and the version it was read at; it is stale when
//    the service it came from has committed a newer version of the key since.
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "components/hit_breakdown.hpp"
#include "components/service_runtime.hpp"
#include "core/distribution.hpp"
#include "kinds/cache/cache_kind.hpp"
#include "kinds/cache/cache_store.hpp"
#include "engine/inbox.hpp"
#include "kinds/load_balancer/balancing_policy.hpp"
#include "recording/histogram.hpp"

namespace archsim {
class RunContext;
class Service;
class ServiceReplica;
}  // namespace archsim

namespace archsim::kinds::cache {

// The nodes holding a key, its first copy first: a value, so that a caller keeps it while
// its calls block, without allocating.
struct CacheNodes {
  std::array<int, kMaxCopies> node{};
  std::size_t count = 0;
  const int* begin() const { return node.data(); }
  const int* end() const { return node.data() + count; }
  bool empty() const { return count == 0; }
};

class CacheRuntime : public ServiceRuntime {
 public:
  CacheRuntime(RunContext& run, Service& service);

  std::unique_ptr<ReplicaBehavior> make_behavior(ServiceReplica& replica) override;
  ServiceReplica* route(Service& service, const Message& request, bool write, int avoid) override;
  // The nodes holding the request's key, its first copy first.
  CacheNodes nodes(const Message& request);
  nlohmann::ordered_json report(double end) const override;

  // A command, in a worker of `context.replica`.
  Outcome serve(StepContext& context);
  // Empties one node (replica >= 0) or all of them.
  void flush(int replica);
  // A caller's miss was served by another request's fetch (coalescing).
  void count_coalesced() { ++coalesced_; }
  // The node's process stopped: its memory is gone, and the writes it had not yet passed
  // on (write-behind) are lost.
  void stopped(int replica);
  // Write-behind: the writer of a node, in an actor of its own.
  void write_behind_loop(ServiceReplica& replica);

 private:
  // Write-behind: the keys a node has stored but not yet written (each once: later sets of
  // a pending key ride on its write), oldest first.
  struct WriteQueue {
    std::deque<std::pair<std::uint64_t, double>> pending;  // key, when it was first set
    std::unordered_set<std::uint64_t> keys;
    bool writing = false;
    std::unique_ptr<Inbox> replies;
    sg4::MutexPtr mutex;
    sg4::ConditionVariablePtr ready;
  };
  struct Counts {
    std::uint64_t gets = 0;
    std::uint64_t hits = 0;
  };
  void count_get(const Message& request, bool hit);
  // When a value stored at `t` expires: with `ttl_s` when positive, else the cache's TTL.
  double expiry(double t, double ttl_s = 0);
  void queue_write(int replica, std::uint64_t key, double t);
  // Runs `operation` on `store`, counting what it evicted and expired (when measured).
  template <typename Operation>
  auto counted(CacheStore& store, bool measured, Operation operation);

  RunContext& run_;
  Service& service_;
  const CacheOptions& options_;
  Distribution op_cpu_ms_;
  HashRing ring_;
  std::vector<int> nodes_;  // scratch for nodes()
  std::vector<CacheStore> stores_;
  std::vector<WriteQueue> queues_;  // write-behind, per node

  // Since the start (for the hit-ratio gauge) and over the measured period.
  Counts all_;
  Counts measured_;
  HitBreakdown breakdown_;  // measured gets, by operation and popularity decile
  std::uint64_t stale_hits_ = 0;
  std::uint64_t expired_misses_ = 0;
  std::uint64_t sets_ = 0;
  std::uint64_t refused_sets_ = 0;   // no room (eviction none) or larger than a node
  std::uint64_t not_admitted_ = 0;   // lfu with counts for every key: less used than any cached key
  std::uint64_t deletes_ = 0;
  std::uint64_t flushes_ = 0;
  std::uint64_t served_in_grace_ = 0;  // expired values served while another caller refreshes
  std::uint64_t early_refreshes_ = 0;  // gets XFetch turned into misses before the expiry
  std::uint64_t coalesced_ = 0;
  std::uint64_t loads_ = 0;              // read-through
  std::uint64_t load_failures_ = 0;
  std::uint64_t written_through_ = 0;
  std::uint64_t written_behind_ = 0;
  std::uint64_t write_behind_failures_ = 0;
  std::uint64_t write_behind_lost_ = 0;   // pending when their node stopped
  Histogram write_behind_delay_;          // set to written in the database
  std::uint64_t evictions_ = 0;
  std::uint64_t expirations_ = 0;
};

// Adds the cache kind's runtime, its step executors (cache_aside, cache_invalidate) and
// the flush action.
void add_to(RuntimeCatalog& catalog);

}  // namespace archsim::kinds::cache
