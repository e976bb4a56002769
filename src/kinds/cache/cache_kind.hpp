#pragma once
// The cache kind, scenario side: a Redis/Memcached-like key-value cache in memory, and the
// steps by which other services use it.
//
//  - A cache service has the endpoints get, set and delete. Each operation costs op_cpu_us
//    on its event loop (`threads` workers, 1 by default as Redis: one core serves every
//    command). Keys are spread over its replicas by consistent hashing (a ring with
//    kVirtualNodes points per node), as Memcached clients do: each node holds its share.
//    With `copies` > 1 each key lives on that many nodes (the next ones on the ring), as
//    a replicated pool of mcrouter: sets and deletes go to every copy in turn, a get to
//    the first copy and, when that node does not answer, to the next.
//  - cache_aside (in an endpoint of a caller): get the request's key; on a miss run the
//    `miss` steps (the read from the database) and set the value with the version the
//    database returned. With `coalesce`, concurrent misses of one key in one replica wait
//    for the first one's fetch (singleflight) rather than each reading the database.
//  - Against stampedes on the cache's side: stale_while_revalidate_s (an expired value is
//    served to everyone but the one caller who refreshes it) and early_refresh_beta
//    (XFetch: a get may miss before the expiry, with a probability that grows as the
//    expiry nears and with the time the value took to fetch; Vattani et al., VLDB 2015).
//  - cache_invalidate (after a write): delete the key, or set it to the version just
//    written ("update").
//  - Read-through, write-through and write-behind caches reach the database themselves
//    (steps of the cache service); callers then use its endpoints with plain calls.
// What a node keeps and how it evicts is CacheStore's (cache_store.hpp); what it does in a
// run, CacheRuntime's (cache_runtime.hpp).
#include <optional>
#include <vector>

#include "scenario/scenario.hpp"

namespace archsim::kinds::cache {

enum class Eviction { Lru, Lfu, Fifo, Random, None };
const char* to_string(Eviction eviction);

// The endpoints of every cache service, in this order.
enum CacheEndpoint { kGet = 0, kSet = 1, kDelete = 2 };
// Points per node on the consistent-hashing ring (ketama uses 160).
constexpr int kVirtualNodes = 160;
// The most copies of a key (the schema's maximum of `copies`).
constexpr int kMaxCopies = 16;
// A command's header (the verb, the key, flags): what a get sends, a miss answers, and a
// set sends besides the value.
constexpr double kCommandBytes = 100;

struct CacheOptions : KindOptions {
  double capacity_bytes = 0;
  double item_overhead_bytes = 0;
  Eviction eviction = Eviction::Lru;
  bool keep_counts = false;       // lfu_counts "all"
  std::optional<double> ttl_s;    // none: values do not expire unless a step says so
  double ttl_jitter = 0;          // each TTL is drawn uniformly in [ttl (1 - jitter), ttl]
  double op_cpu_s = 0;            // per operation, on a reference core
  int copies = 1;                 // nodes holding each key (consecutive on the ring)
  // Patterns where the cache itself reaches the database (each none unless configured):
  // read_through loads a missing key with these steps before answering the get;
  // write_through runs them on a set before storing the value; write_behind stores and
  // answers at once and runs them write_behind_delay_s later from a writer of the node.
  std::optional<std::vector<Step>> read_through;
  std::optional<std::vector<Step>> write_through;
  std::optional<std::vector<Step>> write_behind;
  bool writes_database = false;  // write_through or write_behind: its sets reach the database
  double write_behind_delay_s = 0;
  double grace_s = 0;             // stale_while_revalidate_s
  std::optional<double> early_refresh_beta;  // XFetch's beta; none: no early refresh
};

struct CacheAsideStep : StepOptions {
  int cache = -1;
  double value_bytes = 0;
  std::optional<double> ttl_s;  // none: the cache's
  double timeout_s = 0;
  int get_hop = -1;
  int set_hop = -1;
  bool coalesce = false;  // concurrent misses of a key in one replica share one fetch
  // The step's children are the miss steps.
};

struct CacheInvalidateStep : StepOptions {
  int cache = -1;
  bool update = false;  // set the new version rather than delete the key
  double value_bytes = 0;
  std::optional<double> ttl_s;
  double timeout_s = 0;
  int hop = -1;
};

const CacheOptions& cache_options(const ServiceSpec& service);
// The steps a cache runs itself for a command of `endpoint` (a read-through load, a
// write-through or write-behind write), or nullptr.
const std::vector<Step>* pattern_steps(const CacheOptions& options, int endpoint);

}  // namespace archsim::kinds::cache
