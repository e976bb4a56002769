#pragma once
// The contents of one cache node as plain data: which keys it holds, the version of the
// data each value was read at (and which service it came from), when each expires, and
// the memory they take. Every operation is O(1) (LFU: O(log F) for F distinct use counts
// among the cached keys), and memory is bounded by the capacity (LFU that keeps counts for
// every key seen: by the key space). CacheReplica wires it to simulated time; tests drive
// it without an engine.
//
// Eviction, when a value does not fit:
//   lru     the least recently used key (get or set) goes;
//   lfu     the least frequently used (uses counted while cached; ties: the oldest);
//           with `keep_counts` uses are counted for every key ever asked for, and a key
//           is admitted only if it was used more often than the least used cached one,
//           so the cache converges to the most popular keys ("perfect LFU");
//   fifo    the oldest insertion;
//   random  a key drawn uniformly;
//   none    nothing is evicted: expired values are reclaimed (up to 20 of the oldest
//           insertions are examined, as Redis samples) and otherwise the write is
//           refused, as Redis' noeviction.
// Expired values are removed when a get finds them (lazy expiry) or when evicted. With a
// grace period (stale-while-revalidate), an expired value stays for `grace_s` more: the
// first get after its expiry misses (its caller refreshes the value) and the following
// ones get the old value (Lookup::Stale) until the refresh arrives or the grace ends.
#include <cstdint>
#include <limits>
#include <list>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/rng.hpp"
#include "kinds/cache/cache_kind.hpp"

namespace archsim::kinds::cache {

class CacheStore {
 public:
  struct Config {
    double capacity_bytes = 0;
    double item_overhead_bytes = 0;  // per value: the key, headers, the hash table's slot
    Eviction eviction = Eviction::Lru;
    bool keep_counts = false;  // lfu: count uses of every key seen, not only cached ones
    double grace_s = 0;        // stale-while-revalidate
  };

  struct Value {
    std::uint64_t version = 0;
    int source = -1;         // the service the value was read from (-1: unknown)
    double compute_s = 0;    // how long fetching it took (probabilistic early refresh)
    bool compressed = false; // held compressed (a CDN edge's low-demand objects)
  };

  // Stale: expired, served from the grace period while another caller refreshes it.
  enum class Lookup { Hit, Miss, Expired, Stale };
  struct Found {
    Lookup lookup = Lookup::Miss;
    Value value;
    double expires_at = 0;
  };
  enum class Stored { Stored, Refused, TooLarge, NotAdmitted };

  explicit CacheStore(const Config& config);

  // A read of `key` at time `now`.
  Found get(std::uint64_t key, double now);
  // Stores `value` (of `value_bytes`) under `key`, expiring at `expires_at` (infinity:
  // never). `rng` draws the victim of random eviction.
  Stored set(std::uint64_t key, double value_bytes, const Value& value, double expires_at, double now,
             RandomStream& rng);
  // Removes `key`; false when it was not cached.
  bool erase(std::uint64_t key);
  // Empties the node (a flush, a restart).
  void clear();

  bool contains(std::uint64_t key) const { return entries_.count(key) != 0; }
  std::size_t items() const { return entries_.size(); }
  double used_bytes() const { return used_bytes_; }
  double capacity_bytes() const { return config_.capacity_bytes; }
  std::uint64_t evictions() const { return evictions_; }
  std::uint64_t expirations() const { return expirations_; }
  const Config& config() const { return config_; }

 private:
  struct Entry {
    Value value;
    double bytes = 0;
    double expires_at = std::numeric_limits<double>::infinity();
    std::uint64_t uses = 0;               // lfu
    std::list<std::uint64_t>::iterator position;  // in order_ or in its use bucket
    std::size_t slot = 0;                 // random: index in slots_
    bool refreshing = false;              // expired, in its grace period, a refresh on its way
  };

  void link(std::uint64_t key, Entry& entry);
  void unlink(Entry& entry, std::uint64_t key);
  void remove(std::unordered_map<std::uint64_t, Entry>::iterator it);
  void touch(std::uint64_t key, Entry& entry);
  // Makes room for `bytes` more; false when it cannot (none, or LFU refusing admission
  // of a key used `uses` times).
  bool make_room(double bytes, std::uint64_t uses, double now, RandomStream& rng, Stored& refusal);
  // The key eviction would take next.
  std::uint64_t victim(RandomStream& rng) const;
  std::uint64_t counted_uses(std::uint64_t key) const;
  // lfu with keep_counts: whether keys used less than `uses` free room for `bytes`.
  bool admissible(double bytes, std::uint64_t uses) const;

  Config config_;
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::list<std::uint64_t> order_;  // lru: most recent first; fifo, none: oldest first
  std::map<std::uint64_t, std::list<std::uint64_t>> buckets_;  // lfu: keys by uses, oldest first
  std::vector<std::uint64_t> slots_;                            // random
  std::unordered_map<std::uint64_t, std::uint64_t> counts_;     // lfu with keep_counts
  double used_bytes_ = 0;
  std::uint64_t evictions_ = 0;
  std::uint64_t expirations_ = 0;
};

}  // namespace archsim::kinds::cache
