#pragma once
// The CDN kind, scenario side: edge servers in named regions in front of an origin (the
// app tier behind its balancer; an object store comes with step 9).
//
//  - A cdn service has one edge per region it lists (a replica on a dedicated host in that
//    region) and one endpoint, `get`: a client's request for object `key` (its key space
//    is the object catalogue; regions may rank objects differently through their own
//    `keys.first`). A request goes to the edge of its client's region, or to the nearest
//    edge in service when there is none or it is down.
//  - Objects have sizes drawn once per object from `object_kb` (the same object has the
//    same size everywhere, run after run).
//  - An edge holds objects in `storage_gb` with an eviction policy and a TTL (CacheStore);
//    a miss fetches the object from `origin_endpoint` of `origin` over the WAN.
//  - The four cost policies, each optional: `admission` (store an object only once it was
//    asked for min_requests times within window_s at that edge), `placement` ("regional":
//    an object is stored where it was asked for; "push_all": the origin pushes it to every
//    edge when one stores it), `bypass` (objects asked for at most max_requests times in
//    window_s are served by the origin through the edge, billed as origin egress and never
//    stored), `compress` (objects asked for at most max_requests times in window_s are
//    stored compressed, at `ratio` of their size: the edge's CPU encodes them once and
//    decodes them on every hit).
#include <optional>

#include "core/distribution.hpp"
#include "kinds/cache/cache_kind.hpp"
#include "scenario/scenario.hpp"

namespace archsim::kinds::cdn {

// The endpoint of every cdn service.
constexpr int kGet = 0;
// A request's and a miss's header (an HTTP GET with its headers).
constexpr double kRequestBytes = 500;

// An object-demand rule: at most (or at least) `requests` requests within `window_s`.
struct DemandRule {
  int requests = 0;
  double window_s = 0;
};

struct Compression {
  DemandRule rule;           // at most rule.requests in the window: compressed
  double ratio = 1;          // stored bytes over the object's bytes
  double encode_ms_per_mb = 0;
  double decode_ms_per_mb = 0;
};

enum class Placement { Regional, PushAll };

struct CdnOptions : KindOptions {
  int origin = -1;           // service index
  int origin_endpoint = -1;  // endpoint of the origin
  int hop = -1;              // cdn -> origin
  std::vector<int> edge_regions;  // by replica
  double storage_bytes = 0;  // per edge
  cache::Eviction eviction = cache::Eviction::Lru;
  std::optional<double> ttl_s;
  Distribution object_kb;
  double edge_cpu_s = 0;     // per request, on a reference core
  double fetch_timeout_s = 0;
  Placement placement = Placement::Regional;
  std::optional<DemandRule> admission;  // at least rule.requests
  std::optional<DemandRule> bypass;     // at most rule.requests
  std::optional<Compression> compress;
};

const CdnOptions& cdn_options(const ServiceSpec& service);

}  // namespace archsim::kinds::cdn
