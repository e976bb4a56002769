#include "kinds/cdn/cdn_runtime.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "components/run_context.hpp"
#include "components/runtime_catalog.hpp"
#include "components/service.hpp"
#include "components/service_replica.hpp"
#include "core/text.hpp"
#include "core/units.hpp"

namespace archsim::kinds::cdn {

namespace {

double now() { return sg4::Engine::get_clock(); }

double share(double part, double whole) { return whole > 0 ? part / whole : 0.0; }

class EdgeBehavior : public ReplicaBehavior {
 public:
  explicit EdgeBehavior(CdnRuntime& cdn) : cdn_(cdn) {}
  Outcome serve(StepContext& context) override { return cdn_.serve(context); }

 private:
  CdnRuntime& cdn_;
};

cache::CacheStore::Config store_config(const CdnOptions& options) {
  cache::CacheStore::Config config;
  config.capacity_bytes = options.storage_bytes;
  config.eviction = options.eviction;
  return config;
}

}  // namespace

CdnRuntime::CdnRuntime(RunContext& run, Service& service)
    : run_(run),
      service_(service),
      options_(cdn_options(service.spec())),
      edge_cpu_ms_(Distribution::constant(options_.edge_cpu_s * 1000.0)),
      breakdown_(run.scenario()) {
  const Scenario& scenario = run.scenario();
  const auto edges = static_cast<std::size_t>(service.spec().max_replicas);
  edges_.reserve(edges);
  for (std::size_t r = 0; r < edges; ++r)
    edges_.push_back(Edge{cache::CacheStore(store_config(options_)), EdgePolicy(options_), {}, 0.0});
  // For each region, the edges by their round trip from it (an edge in the region first).
  const auto regions = scenario.platform.regions.size();
  by_distance_.resize(regions);
  for (std::size_t g = 0; g < regions; ++g) {
    auto& order = by_distance_[g];
    for (std::size_t r = 0; r < edges; ++r) order.push_back(static_cast<int>(r));
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      const auto rtt = [&](int e) {
        return scenario.platform.region_rtt(static_cast<int>(g), options_.edge_regions[static_cast<std::size_t>(e)]);
      };
      return rtt(a) < rtt(b);
    });
  }
  for (const auto& client : scenario.clients)
    for (std::size_t o = 0; o < client.operations.size(); ++o) region_of_operation_.push_back(client.region);
  last_accounted_ = scenario.warmup_s;
  const ServiceSpec& origin = scenario.services[static_cast<std::size_t>(options_.origin)];
  origin_region_ = static_cast<std::size_t>(
      scenario.hosts[static_cast<std::size_t>(origin.replica_hosts.front())].region);
  run.recorder().gauges().ratio(
      "cdn_hit_ratio:" + service.name(), [this] { return static_cast<double>(all_hits_); },
      [this] { return static_cast<double>(all_requests_); });
  run.recorder().gauges().level("cdn_stored_gb:" + service.name(), [this] {
    double used = 0;
    for (const auto& e : edges_) used += e.store.used_bytes();
    return used / kGB;
  });
}

std::unique_ptr<ReplicaBehavior> CdnRuntime::make_behavior(ServiceReplica&) {
  return std::make_unique<EdgeBehavior>(*this);
}

ServiceReplica* CdnRuntime::route(Service& service, const Message& request, bool, int avoid) {
  const int region = request.op >= 0 && static_cast<std::size_t>(request.op) < region_of_operation_.size()
                         ? region_of_operation_[static_cast<std::size_t>(request.op)]
                         : run_.scenario().platform.home_region;
  // An edge that is down withdraws its route (anycast): users reach the next nearest one.
  int fallback = -1;
  for (int e : by_distance_[static_cast<std::size_t>(region)]) {
    ServiceReplica* edge = service.replicas()[static_cast<std::size_t>(e)].get();
    if (!edge->in_service() || !edge->up()) continue;
    if (e != avoid) return edge;
    fallback = e;
  }
  return fallback >= 0 ? service.replicas()[static_cast<std::size_t>(fallback)].get() : nullptr;
}

void CdnRuntime::account(double t) {
  const double end = run_.recorder().end_s();
  const double until = std::min(t, end);
  if (until <= last_accounted_) return;
  for (auto& e : edges_) e.stored_byte_s += e.store.used_bytes() * (until - last_accounted_);
  last_accounted_ = until;
}

Outcome CdnRuntime::fetch(StepContext& context, double bytes) {
  Service& origin = run_.service(options_.origin);
  ServiceReplica* target = origin.route(context.request, false, -1);
  return call_replica(context, target, options_.origin_endpoint, kRequestBytes, bytes, options_.fetch_timeout_s,
                      options_.hop);
}

void CdnRuntime::run_codec(StepContext& context, double ms_per_mb, double bytes, Counts* counts) {
  const double ms = ms_per_mb * bytes / 1e6;  // codec speeds are quoted in MB/s
  if (ms <= 0) return;
  run_cpu(context, Distribution::constant(ms));
  if (counts) counts->codec_cpu_s += ms / 1000.0;
}

void CdnRuntime::store(Edge& edge, std::uint64_t key, double bytes, bool compressed, double t, bool measured) {
  const double held = compressed ? bytes * options_.compress->ratio : bytes;
  const double expires_at = options_.ttl_s ? t + *options_.ttl_s : std::numeric_limits<double>::infinity();
  const std::uint64_t evictions = edge.store.evictions();
  const std::uint64_t expirations = edge.store.expirations();
  cache::CacheStore::Value value;
  value.compressed = compressed;
  edge.store.set(key, held, value, expires_at, t, service_.rng());
  if (!measured) return;
  edge.counts.evictions += edge.store.evictions() - evictions;
  edge.counts.expirations += edge.store.expirations() - expirations;
}

Outcome CdnRuntime::serve(StepContext& context) {
  run_cpu(context, edge_cpu_ms_);
  Message& request = context.request;
  Edge& edge = edges_[static_cast<std::size_t>(context.replica.index())];
  const double t = now();
  const bool measured = run_.recorder().measured(t);
  Counts* counts = measured ? &edge.counts : nullptr;
  const double bytes = object_bytes(options_.object_kb, request.key);
  request.response_bytes = bytes;  // the reply carries the object
  const EdgeVerdict verdict = edge.policy.decide(request.key, t);
  if (counts) ++counts->requests;

  if (verdict.bypass) {
    const Outcome outcome = fetch(context, bytes);
    if (counts) {
      ++counts->bypassed;
      if (outcome == Outcome::Ok) counts->bypassed_bytes += bytes;
      if (outcome != Outcome::Ok) ++counts->failed;
    }
    return outcome;
  }

  ++all_requests_;  // the hit-ratio gauge counts what the edges handle, as the summary does
  account(t);
  const std::uint64_t expirations = edge.store.expirations();
  const cache::CacheStore::Found found = edge.store.get(request.key, t);
  if (counts) counts->expirations += edge.store.expirations() - expirations;
  const bool hit = found.lookup == cache::CacheStore::Lookup::Hit;
  if (counts) breakdown_.count(request.op, request.key, hit);
  if (hit) {
    ++all_hits_;
    if (found.value.compressed) {
      run_codec(context, options_.compress->decode_ms_per_mb, bytes, counts);
      // Asked for often enough now: kept whole (it was just decoded).
      if (!verdict.compressed) {
        account(now());
        store(edge, request.key, bytes, false, now(), measured);
        if (counts) ++counts->promotions;
      }
    }
    if (counts) {
      ++counts->hits;
      counts->served_bytes += bytes;
      counts->hit_bytes += bytes;
    }
    return Outcome::Ok;
  }

  const Outcome outcome = fetch(context, bytes);
  if (counts) {
    ++counts->fetches;
    if (outcome == Outcome::Ok) counts->fetched_bytes += bytes;
  }
  if (outcome != Outcome::Ok) {
    if (counts) ++counts->failed;
    return outcome;
  }
  if (counts) counts->served_bytes += bytes;
  if (!verdict.store) {
    if (counts) ++counts->not_admitted;
    return Outcome::Ok;
  }
  if (verdict.compressed) {
    run_codec(context, options_.compress->encode_ms_per_mb, bytes, counts);
    if (counts) ++counts->compressed_stores;
  }
  const double stored_at = now();
  account(stored_at);
  store(edge, request.key, bytes, verdict.compressed, stored_at, measured);
  if (options_.placement == Placement::PushAll) {
    const auto& in_service = service_.in_service_mask();
    for (std::size_t e = 0; e < edges_.size(); ++e) {
      Edge& other = edges_[e];
      if (&other == &edge || !in_service[e] || other.store.contains(request.key)) continue;
      store(other, request.key, bytes, verdict.compressed, stored_at, measured);
      if (counts) {
        ++counts->pushes;
        counts->pushed_bytes += bytes;
      }
    }
  }
  return Outcome::Ok;
}

void CdnRuntime::add_cost_usage(CostUsage& usage) const {
  const double end = run_.recorder().end_s();
  for (std::size_t e = 0; e < edges_.size(); ++e) {
    const Edge& edge = edges_[e];
    const auto region = static_cast<std::size_t>(options_.edge_regions[e]);
    const Counts& c = edge.counts;
    usage.cdn_egress_bytes[region] += c.served_bytes;
    usage.cdn_requests[region] += static_cast<double>(c.requests - c.bypassed);
    usage.origin_to_cdn_bytes += c.fetched_bytes + c.pushed_bytes;
    usage.origin_egress_bytes[origin_region_] += c.bypassed_bytes;
    usage.stored_byte_seconds += edge.stored_byte_s + edge.store.used_bytes() * std::max(0.0, end - last_accounted_);
  }
}

nlohmann::ordered_json CdnRuntime::report(double end) const {
  const double measured = end - run_.scenario().warmup_s;
  const auto& regions = run_.scenario().platform.regions;
  Counts all;
  double stored = 0, objects = 0;
  nlohmann::ordered_json by_edge = nlohmann::ordered_json::object();
  for (std::size_t e = 0; e < edges_.size(); ++e) {
    const Edge& edge = edges_[e];
    const Counts& c = edge.counts;
    const double mean_stored = share(edge.stored_byte_s + edge.store.used_bytes() * std::max(0.0, end - last_accounted_),
                                     measured);
    nlohmann::ordered_json j;
    j["replica"] = service_.spec().replica_name(static_cast<int>(e));
    j["requests"] = c.requests;
    j["hit_ratio"] = tidy(share(static_cast<double>(c.hits), static_cast<double>(c.requests - c.bypassed)));
    j["served_gb"] = tidy(c.served_bytes / kGB);
    j["origin_fetches"] = c.fetches;
    j["bypassed"] = c.bypassed;
    j["storage_gb_mean"] = tidy(mean_stored / kGB);
    j["objects_at_end"] = edge.store.items();
    by_edge[regions[static_cast<std::size_t>(options_.edge_regions[e])]] = j;
    all.requests += c.requests;
    all.hits += c.hits;
    all.served_bytes += c.served_bytes;
    all.hit_bytes += c.hit_bytes;
    all.fetches += c.fetches;
    all.fetched_bytes += c.fetched_bytes;
    all.bypassed += c.bypassed;
    all.bypassed_bytes += c.bypassed_bytes;
    all.not_admitted += c.not_admitted;
    all.compressed_stores += c.compressed_stores;
    all.promotions += c.promotions;
    all.pushes += c.pushes;
    all.pushed_bytes += c.pushed_bytes;
    all.codec_cpu_s += c.codec_cpu_s;
    all.failed += c.failed;
    all.evictions += c.evictions;
    all.expirations += c.expirations;
    stored += mean_stored;
    objects += static_cast<double>(edge.store.items());
  }
  const double cached_requests = static_cast<double>(all.requests - all.bypassed);
  nlohmann::ordered_json j;
  j["placement"] = options_.placement == Placement::PushAll ? "push_all" : "regional";
  j["requests"] = all.requests;
  j["hits"] = all.hits;
  j["hit_ratio"] = tidy(share(static_cast<double>(all.hits), cached_requests));
  j["byte_hit_ratio"] = tidy(share(all.hit_bytes, all.served_bytes));
  j["origin_fetches"] = all.fetches;
  j["origin_fetch_gb"] = tidy(all.fetched_bytes / kGB);
  j["pushes"] = all.pushes;
  j["pushed_gb"] = tidy(all.pushed_bytes / kGB);
  j["bypassed"] = all.bypassed;
  j["bypassed_gb"] = tidy(all.bypassed_bytes / kGB);
  // What leaves the origin for this CDN's objects: misses, pushes and bypassed objects.
  j["origin_egress_gb"] = tidy((all.fetched_bytes + all.pushed_bytes + all.bypassed_bytes) / kGB);
  j["served_gb"] = tidy(all.served_bytes / kGB);
  j["not_admitted"] = all.not_admitted;
  j["compressed_stores"] = all.compressed_stores;
  j["promotions"] = all.promotions;
  j["codec_cpu_s"] = tidy(all.codec_cpu_s);
  j["failed"] = all.failed;
  j["evictions"] = all.evictions;
  j["expirations"] = all.expirations;
  j["edge_storage_gb_mean"] = tidy(stored / kGB);
  j["objects_at_end"] = objects;
  j["edges"] = by_edge;
  j["operations"] = breakdown_.by_operation("requests");
  j["hit_ratio_by_popularity_decile"] = breakdown_.by_decile();
  return j;
}

void add_to(RuntimeCatalog& catalog) {
  catalog.add_service("cdn", [](Service& service, RunContext& run) -> std::unique_ptr<ServiceRuntime> {
    return std::make_unique<CdnRuntime>(run, service);
  });
}

}  // namespace archsim::kinds::cdn
