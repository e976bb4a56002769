#include "kinds/cdn/cdn_kind.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <memory>
#include <sstream>
#include <string>

#include "core/units.hpp"
#include "scenario/builder.hpp"
#include "scenario/catalog.hpp"

namespace archsim::kinds::cdn {

const CdnOptions& cdn_options(const ServiceSpec& service) { return service.options_as<CdnOptions>(); }

namespace {

cache::Eviction eviction_from(const Node& node) {
  if (node.is("lfu")) return cache::Eviction::Lfu;
  if (node.is("fifo")) return cache::Eviction::Fifo;
  if (node.is("random")) return cache::Eviction::Random;
  return cache::Eviction::Lru;
}

std::optional<DemandRule> rule_of(const Node& node, const char* key, const char* count) {
  if (!node.has(key)) return std::nullopt;
  const Node r = node.at(key);
  return DemandRule{r.at(count).integer(), r.at("window_s").number()};
}

const ServiceKind* cdn_kind();

class CdnKind : public ServiceKind {
 public:
  const char* name() const override { return "cdn"; }
  const char* report_section() const override { return "cdn"; }
  bool bills_own_egress() const override { return true; }
  bool serves_services() const override { return false; }
  // What a miss fetches is billed as origin traffic: a reply of the object's bytes.
  bool returns_requested_bytes() const override { return false; }

  void parse(ServiceSpec& service, const Node& node, ScenarioBuilder& builder) const override {
    service.workers = node.at("connections").integer();
    service.endpoints = {{"get", {}, false}};
    auto options = std::make_shared<CdnOptions>();
    const Node edges = node.at("edges");
    for (const Node& e : edges.elements()) {
      const int region = builder.region_named(e);
      if (region < 0) continue;
      if (std::find(options->edge_regions.begin(), options->edge_regions.end(), region) != options->edge_regions.end())
        builder.problem(e, "region listed twice: a CDN has one edge per region");
      options->edge_regions.push_back(region);
    }
    // One replica per edge; the replicas and max_replicas keys are not a CDN's.
    service.replicas = service.max_replicas = std::max(1, static_cast<int>(options->edge_regions.size()));
    options->storage_bytes = node.at("storage_gb").number() * kGB;
    options->eviction = eviction_from(node.at("eviction"));
    if (node.has("ttl_s")) options->ttl_s = node.at("ttl_s").number();
    options->object_kb = builder.distribution(node.at("object_kb"));
    options->edge_cpu_s = node.at("edge_cpu_ms").number() / 1000.0;
    options->fetch_timeout_s = node.at("fetch_timeout_ms").number() / 1000.0;
    options->placement = node.at("placement").is("push_all") ? Placement::PushAll : Placement::Regional;
    options->admission = rule_of(node, "admission", "min_requests");
    options->bypass = rule_of(node, "bypass", "max_requests");
    if (node.has("compress")) {
      const Node c = node.at("compress");
      Compression compression;
      compression.rule = DemandRule{c.at("max_requests").integer(), c.at("window_s").number()};
      compression.ratio = c.at("ratio").number();
      compression.encode_ms_per_mb = c.at("encode_ms_per_mb").number();
      compression.decode_ms_per_mb = c.at("decode_ms_per_mb").number();
      options->compress = compression;
    }
    if (options->admission && options->bypass && options->bypass->requests >= options->admission->requests)
      builder.problem(node.pointer() + "/bypass/max_requests",
                      "must be below admission.min_requests: an object is either sent to the origin or may be stored");
    const double mean_kb = options->object_kb.mean();
    if (mean_kb <= 0)
      builder.problem(node.at("object_kb"), "objects have a size: this distribution's mean is 0");
    else if (mean_kb * kKiB < 1)
      builder.problem(node.at("object_kb"), "objects have a byte at least: this distribution's mean is less");
    else if (options->storage_bytes < mean_kb * kKiB) {
      std::ostringstream average, storage;
      average << std::setprecision(3) << mean_kb << " KiB";
      storage << std::setprecision(3) << node.at("storage_gb").number() << " GB";
      builder.problem_between(node.at("storage_gb"), "smaller than one object (objects average " + average.str() + ")",
                              node.at("object_kb"),
                              "larger on average (" + average.str() + ") than the storage (" + storage.str() + ")");
    }
    service.options = options;
  }

  void finish(ServiceSpec& service, const Node& node, ScenarioBuilder& builder) const override {
    auto options = std::make_shared<CdnOptions>(cdn_options(service));
    service.options = options;
    if (!service.dedicated_hosts) {
      builder.problem(node.at("host"), "each edge needs a host of its own in its region: give host as an object");
    } else if (node.at("host").has("region")) {
      builder.problem(node.at("host").at("region"), "each edge's host is in its region (edges): no region here");
    } else {
      for (std::size_t r = 0; r < options->edge_regions.size() && r < service.replica_hosts.size(); ++r)
        builder.host(service.replica_hosts[r]).region = options->edge_regions[r];
    }
    const Node origin = node.at("origin");
    options->origin = builder.service_named(origin);
    if (options->origin < 0) return;
    const ServiceSpec& target = builder.scenario().services[static_cast<std::size_t>(options->origin)];
    if (!target.kind) {  // untyped: its own problems are reported
      options->origin = -1;
      return;
    }
    if (target.kind == cdn_kind()) {
      builder.problem(origin, "the origin of a CDN is the service that holds the objects, not a CDN");
      options->origin = -1;
      return;
    }
    if (!target.kind->returns_requested_bytes()) {
      builder.problem(origin, std::string("the origin of a CDN returns the objects; a ") + target.kind->name() +
                                  " does not (an app server does, or a balancer in front of one)");
      options->origin = -1;
      return;
    }
    options->origin_endpoint = builder.endpoint_named(options->origin, node.at("origin_endpoint"), origin);
    if (options->origin_endpoint < 0) return;
    options->hop = builder.hop(builder.scenario().service_index(service.name), options->origin,
                               options->origin_endpoint);
  }

  // The cost policies' request counters: at most one entry per object, rule and edge (an
  // entry holds up to the rule's count plus one request times).
  double key_state_bytes_per_key(const ServiceSpec& service) const override {
    const CdnOptions& options = cdn_options(service);
    double bytes = 0;
    for (const auto& rule : {options.admission, options.bypass,
                             options.compress ? std::optional<DemandRule>(options.compress->rule) : std::nullopt})
      if (rule) bytes += 80.0 + 8.0 * (rule->requests + 1);
    return bytes * static_cast<double>(options.edge_regions.size());
  }
  std::string key_state_setting(const ServiceSpec& service) const override {
    const CdnOptions& options = cdn_options(service);
    int most = -1;
    std::string setting;
    const auto consider = [&](const std::optional<DemandRule>& rule, const char* pointer) {
      if (rule && rule->requests > most) {
        most = rule->requests;
        setting = pointer;
      }
    };
    consider(options.admission, "/admission/min_requests");
    consider(options.bypass, "/bypass/max_requests");
    consider(options.compress ? std::optional<DemandRule>(options.compress->rule) : std::nullopt,
             "/compress/max_requests");
    return setting;
  }

  void edges(const ServiceSpec& service, int, const std::function<void(CallTarget)>& edge) const override {
    const CdnOptions& options = cdn_options(service);
    if (options.origin >= 0 && options.origin_endpoint >= 0) edge({options.origin, options.origin_endpoint});
  }

  // The utilisation law cannot know the hit ratio: every request counts as a miss that
  // reaches the origin (an upper bound of the origin's load), and the edges' CPU spreads
  // over them evenly.
  void demand(const ServiceSpec& service, int, double weight, DemandContext& context) const override {
    const CdnOptions& options = cdn_options(service);
    const auto edges = static_cast<double>(service.replicas);
    for (int r = 0; r < service.replicas; ++r) {
      const int host = service.replica_hosts[static_cast<std::size_t>(r)];
      const double speed = context.scenario().hosts[static_cast<std::size_t>(host)].core_speed;
      context.cpu(host, weight * options.edge_cpu_s / speed / edges);
    }
    if (options.origin >= 0 && options.origin_endpoint >= 0) context.visit(options.origin, options.origin_endpoint, weight);
  }
};

const CdnKind kind;

const ServiceKind* cdn_kind() { return &kind; }

}  // namespace

void add_to(Catalog& catalog) { catalog.add(kind); }

}  // namespace archsim::kinds::cdn
