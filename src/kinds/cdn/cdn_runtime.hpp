#pragma once
// The CDN kind, run-time side (see cdn_kind.hpp for what a scenario says):
//  - each replica is an edge with its own CacheStore (on the edge's disk: a restart of its
//    process keeps the objects) and its own request counters for the cost policies;
//  - a request is routed to the edge of its client's region, or the nearest edge that is
//    up (an edge that is down withdraws its route at once, as with anycast); the edge
//    answers with the object's bytes;
//  - a miss, or a bypassed object, is a call to the origin over the WAN: the caller waits
//    for the whole object (no request collapsing, no revalidation: an expired object is
//    fetched again);
//  - with push_all, an object one edge stores is also stored by every other edge in
//    service: the push is billed as origin egress, not simulated on the network.
#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "components/hit_breakdown.hpp"
#include "components/service_runtime.hpp"
#include "core/distribution.hpp"
#include "kinds/cache/cache_store.hpp"
#include "kinds/cdn/cdn_kind.hpp"
#include "kinds/cdn/edge_policy.hpp"

namespace archsim {
class RunContext;
class Service;
class ServiceReplica;
}  // namespace archsim

namespace archsim::kinds::cdn {

class CdnRuntime : public ServiceRuntime {
 public:
  CdnRuntime(RunContext& run, Service& service);

  std::unique_ptr<ReplicaBehavior> make_behavior(ServiceReplica& replica) override;
  ServiceReplica* route(Service& service, const Message& request, bool write, int avoid) override;
  void add_cost_usage(CostUsage& usage) const override;
  nlohmann::ordered_json report(double end) const override;

  // A request, in a worker of `context.replica`.
  Outcome serve(StepContext& context);

 private:
  struct Counts {
    std::uint64_t requests = 0;
    std::uint64_t hits = 0;
    double served_bytes = 0;   // to clients, bypassed objects excluded
    double hit_bytes = 0;
    std::uint64_t fetches = 0;  // misses sent to the origin
    double fetched_bytes = 0;
    std::uint64_t bypassed = 0;
    double bypassed_bytes = 0;
    std::uint64_t not_admitted = 0;
    std::uint64_t compressed_stores = 0;
    std::uint64_t promotions = 0;  // compressed objects stored whole once popular
    std::uint64_t pushes = 0;
    double pushed_bytes = 0;
    double codec_cpu_s = 0;    // compressing and decompressing, on a reference core
    std::uint64_t failed = 0;  // origin calls that failed
    std::uint64_t evictions = 0;
    std::uint64_t expirations = 0;
  };
  struct Edge {
    cache::CacheStore store;
    EdgePolicy policy;
    Counts counts;             // over the measured period
    double stored_byte_s = 0;  // bytes held, integrated over the measured period
  };

  // Brings the edges' storage integrals up to `t`.
  void account(double t);
  // The origin's answer for the request's object (a miss or a bypass).
  Outcome fetch(StepContext& context, double bytes);
  // Stores `bytes` of object `key` in `edge` (compressed or not), counting what it evicted.
  void store(Edge& edge, std::uint64_t key, double bytes, bool compressed, double t, bool measured);
  void run_codec(StepContext& context, double ms_per_mb, double bytes, Counts* counts);

  RunContext& run_;
  Service& service_;
  const CdnOptions& options_;
  Distribution edge_cpu_ms_;
  std::vector<Edge> edges_;
  std::vector<std::vector<int>> by_distance_;  // by client region: edges nearest first
  std::vector<int> region_of_operation_;       // by global operation index
  HitBreakdown breakdown_;                     // measured requests the edges handled
  std::uint64_t all_requests_ = 0;             // since the start (the hit-ratio gauge)
  std::uint64_t all_hits_ = 0;
  double last_accounted_ = 0;
  std::size_t origin_region_ = 0;  // where bypassed objects leave from
};

// Adds the CDN kind's runtime.
void add_to(RuntimeCatalog& catalog);

}  // namespace archsim::kinds::cdn
