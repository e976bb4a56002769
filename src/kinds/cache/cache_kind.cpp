#include "kinds/cache/cache_kind.hpp"

#include <cmath>
#include <memory>
#include <string>

#include "core/units.hpp"
#include "scenario/builder.hpp"
#include "scenario/catalog.hpp"

namespace archsim::kinds::cache {

const char* to_string(Eviction eviction) {
  switch (eviction) {
    case Eviction::Lru: return "lru";
    case Eviction::Lfu: return "lfu";
    case Eviction::Fifo: return "fifo";
    case Eviction::Random: return "random";
    case Eviction::None: return "none";
  }
  return "?";
}

const CacheOptions& cache_options(const ServiceSpec& service) { return service.options_as<CacheOptions>(); }

const std::vector<Step>* pattern_steps(const CacheOptions& options, int endpoint) {
  const std::optional<std::vector<Step>>* steps = nullptr;
  if (endpoint == kGet) steps = &options.read_through;
  if (endpoint == kSet) steps = options.write_through ? &options.write_through : &options.write_behind;
  return steps && *steps ? &**steps : nullptr;
}

namespace {

Eviction eviction_from(const Node& node) {
  if (node.is("lfu")) return Eviction::Lfu;
  if (node.is("fifo")) return Eviction::Fifo;
  if (node.is("random")) return Eviction::Random;
  if (node.is("none")) return Eviction::None;
  return Eviction::Lru;
}

const ServiceKind* cache_kind();

// The cache service a step names, or -1 after reporting why not.
int cache_named(const Node& node, ScenarioBuilder& builder) {
  const int service = builder.service_named(node);
  if (service < 0) return -1;
  const ServiceSpec& spec = builder.scenario().services[static_cast<std::size_t>(service)];
  if (!spec.kind) return -1;  // untyped: its own problems are reported
  if (spec.kind != cache_kind()) {
    builder.problem(node, "service " + spec.name + " is not a cache (kind cache)");
    return -1;
  }
  return service;
}

// A step that fills `cache` with sets of its own: not on a cache whose sets write to the
// database (they would write again what was just read or written).
void check_fills(int cache, const Node& at, ScenarioBuilder& builder) {
  const ServiceSpec& spec = builder.scenario().services[static_cast<std::size_t>(cache)];
  if (!spec.options || !cache_options(spec).writes_database) return;
  const Node node = builder.root().at("services").at(spec.name);
  const Node writes = node.at(node.has("write_behind") ? "write_behind" : "write_through");
  builder.problem_between(at,
                          "cache " + spec.name +
                              " writes its sets to the database (write_through or write_behind): this step's set would "
                              "write again; call its get endpoint and let read_through load misses",
                          writes,
                          "the cache_aside step at " + at.pointer() +
                              " sets what it reads or writes itself: written to the database again from here; "
                              "make that step call the cache's get endpoint, or remove this");
}

// A value of `value_bytes` must fit in one node of the cache.
void check_value_fits(int cache, double value_bytes, const Node& at, ScenarioBuilder& builder) {
  const ServiceSpec& spec = builder.scenario().services[static_cast<std::size_t>(cache)];
  if (!spec.options) return;
  const CacheOptions& options = cache_options(spec);
  const double item = value_bytes + options.item_overhead_bytes;
  if (options.item_overhead_bytes >= options.capacity_bytes) return;  // its memory_mb is reported
  if (item > options.capacity_bytes)
    builder.problem(at, "an item (" + std::to_string(std::llround(item)) +
                            " bytes with its overhead) is larger than the memory of a node of " + spec.name + " (" +
                            std::to_string(std::llround(options.capacity_bytes)) + " bytes)");
}

std::optional<double> ttl_of(const Node& node) {
  if (!node.has("ttl_s")) return std::nullopt;
  return node.at("ttl_s").number();
}

class CacheKind : public ServiceKind {
 public:
  const char* name() const override { return "cache"; }
  const char* report_section() const override { return "cache"; }
  bool returns_requested_bytes() const override { return false; }  // a miss answers without the value

  void parse(ServiceSpec& service, const Node& node, ScenarioBuilder& builder) const override {
    service.workers = node.at("threads").integer();
    service.endpoints = {{"get", {}, false}, {"set", {}, true}, {"delete", {}, true}};
    auto options = std::make_shared<CacheOptions>();
    options->capacity_bytes = node.at("memory_mb").number() * kMiB;
    options->item_overhead_bytes = node.at("item_overhead_bytes").number();
    options->eviction = eviction_from(node.at("eviction"));
    options->keep_counts = node.at("lfu_counts").is("all");
    options->ttl_s = ttl_of(node);
    options->ttl_jitter = node.at("ttl_jitter").number();
    // The hardware's figure unless the service gives its own.
    const Node op_cpu =
        node.has("op_cpu_us") ? node.at("op_cpu_us") : builder.profile().at("services").at("cache").at("op_cpu_us");
    options->op_cpu_s = op_cpu.number() / 1e6;
    options->copies = node.at("copies").integer();
    options->writes_database = node.has("write_through") || node.has("write_behind");
    options->grace_s = node.at("stale_while_revalidate_s").number();
    if (node.has("early_refresh_beta")) options->early_refresh_beta = node.at("early_refresh_beta").number();
    service.options = options;
  }

  void finish(ServiceSpec& service, const Node& node, ScenarioBuilder& builder) const override {
    auto patterns = std::make_shared<CacheOptions>(cache_options(service));
    const StepPlace place{builder.scenario().service_index(service.name), true};
    if (node.has("read_through")) patterns->read_through = builder.steps(node.at("read_through"), place);
    if (node.has("write_through")) patterns->write_through = builder.steps(node.at("write_through"), place);
    if (node.has("write_behind")) {
      patterns->write_behind = builder.steps(node.at("write_behind").at("steps"), place);
      patterns->write_behind_delay_s = node.at("write_behind").at("delay_ms").number() / 1000.0;
    }
    if (patterns->write_through && patterns->write_behind)
      builder.problem(node.pointer() + "/write_behind", "a cache writes through or behind, not both");
    if ((patterns->read_through || patterns->write_through || patterns->write_behind) && patterns->copies > 1)
      builder.problem(node.pointer() + "/copies",
                      "read-through, write-through and write-behind caches keep one copy of each key");
    service.options = patterns;
    const CacheOptions& options = *patterns;
    if (builder.written(node.at("lfu_counts")) && options.eviction != Eviction::Lfu)
      builder.problem(node.pointer() + "/lfu_counts", "only used with eviction lfu");
    if (builder.written(node.at("ttl_jitter")) && !options.ttl_s && !builder.broken(node.pointer() + "/ttl_s"))
      builder.problem(node.pointer() + "/ttl_jitter", "needs ttl_s");
    if (options.copies > service.replicas && builder.replicas_known(service.name))
      builder.problem(node.pointer() + "/copies",
                      "more copies than nodes (replicas: " + std::to_string(service.replicas) + ")");
    if (options.item_overhead_bytes >= options.capacity_bytes)
      builder.problem(node.pointer() + "/memory_mb", "smaller than one item's overhead (item_overhead_bytes)");
  }

  // The calls of its read-through and write steps, for the call-cycle check.
  void edges(const ServiceSpec& service, int endpoint, const std::function<void(CallTarget)>& edge) const override {
    const std::vector<Step>* steps = pattern_steps(cache_options(service), endpoint);
    if (!steps) return;
    for_each_step(*steps, [&edge](const Step& step) {
      if (const auto target = step.kind->target(step)) edge(*target);
    });
  }

  void demand(const ServiceSpec& service, int endpoint, double weight, DemandContext& context) const override {
    const auto running = static_cast<std::size_t>(service.replicas);
    // A get goes to one copy, a set or a delete to every copy.
    const CacheOptions& options = cache_options(service);
    if (endpoint != kGet) weight *= options.copies;
    // The patterns' steps, on the first copy's node: every get counted as a load (the law
    // cannot know the hit ratio), every set as a write.
    const std::vector<Step>* steps = pattern_steps(options, endpoint);
    if (steps)
      for (std::size_t r = 0; r < running; ++r)
        context.steps(service, *steps, service.replica_hosts[r], weight / static_cast<double>(running));
    const double cpu = options.op_cpu_s;
    for (std::size_t r = 0; r < running; ++r) {
      const int host = service.replica_hosts[r];
      const double speed = context.scenario().hosts[static_cast<std::size_t>(host)].core_speed;
      context.cpu(host, weight * cpu / speed / static_cast<double>(running));
    }
  }
};

class CacheAsideKind : public StepKind {
 public:
  const char* key() const override { return "cache_aside"; }
  void parse(Step& step, const Node& node, const StepPlace& place, ScenarioBuilder& builder) const override {
    auto options = std::make_shared<CacheAsideStep>();
    step.options = options;
    options->value_bytes = node.at("value_kb").number() * kKiB;
    options->ttl_s = ttl_of(node);
    options->timeout_s = node.at("timeout_ms").number() / 1000.0;
    options->coalesce = node.at("coalesce").boolean();
    step.children = builder.steps(node.at("miss"), {place.service, true});
    options->cache = cache_named(node.at(key()), builder);
    if (options->cache < 0) return;
    check_value_fits(options->cache, options->value_bytes, node.at("value_kb"), builder);
    check_fills(options->cache, node.at(key()), builder);
    options->get_hop = builder.hop(place.service, options->cache, kGet);
    options->set_hop = builder.hop(place.service, options->cache, kSet);
  }
  std::optional<CallTarget> target(const Step& step) const override {
    return CallTarget{step.options_as<CacheAsideStep>().cache, kGet};
  }
  // The utilisation law cannot know the hit ratio: it counts every read as a miss (a cold
  // cache), an upper bound of the load behind the cache.
  void demand(const Step& step, const ServiceSpec& service, int host, double weight,
              DemandContext& context) const override {
    const auto& options = step.options_as<CacheAsideStep>();
    context.visit(options.cache, kGet, weight);
    context.steps(service, step.children, host, weight);
    context.visit(options.cache, kSet, weight);
  }
};

class CacheInvalidateKind : public StepKind {
 public:
  const char* key() const override { return "cache_invalidate"; }
  void parse(Step& step, const Node& node, const StepPlace& place, ScenarioBuilder& builder) const override {
    auto options = std::make_shared<CacheInvalidateStep>();
    step.options = options;
    options->update = node.at("mode").is("update");
    options->value_bytes = node.at("value_kb").number() * kKiB;
    options->ttl_s = ttl_of(node);
    options->timeout_s = node.at("timeout_ms").number() / 1000.0;
    if (!options->update) {
      if (builder.written(node.at("value_kb")))
        builder.problem(node.pointer() + "/value_kb", "only used with mode update");
      if (options->ttl_s) builder.problem(node.pointer() + "/ttl_s", "only used with mode update");
    }
    options->cache = cache_named(node.at(key()), builder);
    if (options->cache < 0) return;
    if (options->update) {
      check_value_fits(options->cache, options->value_bytes, node.at("value_kb"), builder);
      check_fills(options->cache, node.at(key()), builder);
    }
    options->hop = builder.hop(place.service, options->cache, options->update ? kSet : kDelete);
  }
  std::optional<CallTarget> target(const Step& step) const override {
    const auto& options = step.options_as<CacheInvalidateStep>();
    return CallTarget{options.cache, options.update ? kSet : kDelete};
  }
  void demand(const Step& step, const ServiceSpec&, int, double weight, DemandContext& context) const override {
    const auto& options = step.options_as<CacheInvalidateStep>();
    context.visit(options.cache, options.update ? kSet : kDelete, weight);
  }
};

// {"flush": {"service": "cache"}} or {"flush": {"replica": "cache-2"}}: every value gone.
class FlushKind : public ActionKind {
 public:
  const char* key() const override { return "flush"; }
  void parse(ActionSpec& action, const Node& body, ScenarioBuilder& builder) const override {
    action.target = builder.target(body);
    if (!action.target) return;
    const bool host = action.target->kind == Target::Kind::Host;
    const ServiceSpec* service =
        host ? nullptr : &builder.scenario().services[static_cast<std::size_t>(action.target->index)];
    if (host || service->kind != cache_kind())
      builder.problem(body, "a flush empties a cache: name a service or a replica of kind cache");
  }
};

const CacheKind kind;

const ServiceKind* cache_kind() { return &kind; }

}  // namespace

void add_to(Catalog& catalog) {
  static CacheAsideKind aside;
  static CacheInvalidateKind invalidate;
  static FlushKind flush;
  catalog.add(kind);
  catalog.add(aside);
  catalog.add(invalidate);
  catalog.add(flush);
}

}  // namespace archsim::kinds::cache
