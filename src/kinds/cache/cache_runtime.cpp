#include "kinds/cache/cache_runtime.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <limits>

#include "components/run_context.hpp"
#include "components/runtime_catalog.hpp"
#include "components/service.hpp"
#include "components/service_replica.hpp"
#include "components/timeline.hpp"
#include "core/units.hpp"

namespace archsim::kinds::cache {

namespace {

double now() { return sg4::Engine::get_clock(); }

double share(std::uint64_t part, std::uint64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

class CacheBehavior : public ReplicaBehavior {
 public:
  explicit CacheBehavior(CacheRuntime& cache) : cache_(cache) {}
  Outcome serve(StepContext& context) override { return cache_.serve(context); }
  void on_start(ServiceReplica& replica) override {
    if (!cache_options(replica.service().spec()).write_behind) return;
    CacheRuntime* cache = &cache_;
    ServiceReplica* r = &replica;
    replica.spawn_auxiliary("write-behind", [cache, r] { cache->write_behind_loop(*r); });
  }
  void on_stop(ServiceReplica& replica) override { cache_.stopped(replica.index()); }

 private:
  CacheRuntime& cache_;
};

CacheStore::Config store_config(const CacheOptions& options) {
  CacheStore::Config config;
  config.capacity_bytes = options.capacity_bytes;
  config.item_overhead_bytes = options.item_overhead_bytes;
  config.eviction = options.eviction;
  config.keep_counts = options.keep_counts;
  config.grace_s = options.grace_s;
  return config;
}

}  // namespace

CacheRuntime::CacheRuntime(RunContext& run, Service& service)
    : run_(run),
      service_(service),
      options_(cache_options(service.spec())),
      op_cpu_ms_(Distribution::constant(options_.op_cpu_s * 1000.0)),
      ring_(service.spec().max_replicas, kVirtualNodes),
      stores_(static_cast<std::size_t>(service.spec().max_replicas), CacheStore(store_config(options_))),
      breakdown_(run.scenario()) {
  if (options_.write_behind) {
    queues_.resize(stores_.size());
    for (std::size_t r = 0; r < queues_.size(); ++r)
      queues_[r].replies =
          std::make_unique<Inbox>(sg4::Mailbox::by_name(service.spec().replica_name(static_cast<int>(r)) + "/write-behind"));
    run.recorder().gauges().level("write_behind_queue:" + service.name(), [this] {
      double pending = 0;
      for (const auto& q : queues_) pending += static_cast<double>(q.pending.size());
      return pending;
    });
  }
  Gauges& gauges = run.recorder().gauges();
  gauges.ratio("hit_ratio:" + service.name(), [this] { return static_cast<double>(all_.hits); },
               [this] { return static_cast<double>(all_.gets); });
  gauges.level("cache_mb:" + service.name(), [this] {
    double used = 0;
    for (const auto& store : stores_) used += store.used_bytes();
    return used / kMiB;
  });
}

std::unique_ptr<ReplicaBehavior> CacheRuntime::make_behavior(ServiceReplica&) {
  return std::make_unique<CacheBehavior>(*this);
}

ServiceReplica* CacheRuntime::route(Service& service, const Message& request, bool, int) {
  // Clients hash over the nodes they were configured with: the replicas in service.
  const auto& in_service = service.in_service_mask();
  const int node = ring_.owner(mix_hash(request.key), [&in_service](int r) { return in_service[static_cast<std::size_t>(r)]; });
  return node >= 0 ? service.replicas()[static_cast<std::size_t>(node)].get() : nullptr;
}

CacheNodes CacheRuntime::nodes(const Message& request) {
  const auto& in_service = service_.in_service_mask();
  ring_.owners(mix_hash(request.key), static_cast<std::size_t>(options_.copies),
               [&in_service](int r) { return in_service[static_cast<std::size_t>(r)]; }, nodes_);
  CacheNodes nodes;
  nodes.count = nodes_.size();
  std::copy(nodes_.begin(), nodes_.end(), nodes.node.begin());
  return nodes;
}

void CacheRuntime::count_get(const Message& request, bool hit) {
  ++measured_.gets;
  measured_.hits += hit;
  breakdown_.count(request.op, request.key, hit);
}

template <typename Operation>
auto CacheRuntime::counted(CacheStore& store, bool measured, Operation operation) {
  // Counted around each store operation alone: other workers of the node may change the
  // store while this command waits for the database.
  const std::uint64_t evictions = store.evictions();
  const std::uint64_t expirations = store.expirations();
  auto result = operation();
  if (measured) {
    evictions_ += store.evictions() - evictions;
    expirations_ += store.expirations() - expirations;
  }
  return result;
}

Outcome CacheRuntime::serve(StepContext& context) {
  run_cpu(context, op_cpu_ms_);
  Message& request = context.request;
  CacheStore& store = stores_[static_cast<std::size_t>(context.replica.index())];
  const double t = now();
  const bool measured = run_.recorder().measured(t);
  switch (request.endpoint) {
    case kGet: {
      const CacheStore::Found found = counted(store, measured, [&] { return store.get(request.key, t); });
      bool hit = found.lookup == CacheStore::Lookup::Hit || found.lookup == CacheStore::Lookup::Stale;
      // XFetch: the nearer the expiry, and the longer the value took to fetch, the likelier
      // this get refreshes it early (the value stays for the others).
      if (found.lookup == CacheStore::Lookup::Hit && options_.early_refresh_beta &&
          t - found.value.compute_s * *options_.early_refresh_beta * std::log(service_.rng().uniform01()) >=
              found.expires_at) {
        hit = false;
        if (measured) ++early_refreshes_;
      }
      ++all_.gets;
      all_.hits += hit;
      if (measured) {
        count_get(request, hit);
        if (found.lookup == CacheStore::Lookup::Stale) ++served_in_grace_;
        if (found.lookup == CacheStore::Lookup::Expired) ++expired_misses_;
        if (hit && found.value.source >= 0 &&
            found.value.version < run_.service(found.value.source).runtime().committed_version(request.key))
          ++stale_hits_;
      }
      if (hit) {
        request.found = true;
        request.version = found.value.version;
        request.version_source = found.value.source;
        break;
      }
      if (!options_.read_through) {
        request.response_bytes = kCommandBytes;
        break;
      }
      // Read-through: the node loads the value itself and answers with it (a miss all the
      // same for the hit ratio).
      const double started = now();
      context.read_version = 0;
      context.read_source = -1;
      const Outcome load = run_steps(context, *options_.read_through);
      if (measured) ++(load == Outcome::Ok ? loads_ : load_failures_);
      if (load != Outcome::Ok) return load;
      const CacheStore::Value value{context.read_version, context.read_source, now() - started};
      // The value is what the get answers: a plain call's response_kb.
      counted(store, measured,
              [&] { return store.set(request.key, request.response_bytes, value, expiry(now()), now(), service_.rng()); });
      request.found = true;
      request.version = context.read_version;
      request.version_source = context.read_source;
      break;
    }
    case kSet: {
      CacheStore::Value value{request.version, request.version_source,
                              request.origin_at > 0 ? t - request.origin_at : 0.0};
      // Write-through: the database first, then the value with the version it committed.
      if (options_.write_through) {
        context.read_version = 0;
        context.read_source = -1;
        const Outcome written = run_steps(context, *options_.write_through);
        if (written != Outcome::Ok) return written;
        value = {context.read_version, context.read_source, now() - t};
        if (measured) ++written_through_;
      }
      // Write-behind: the value now, the database later (its version is not known yet).
      if (options_.write_behind) {
        value = {0, -1, 0.0};
        queue_write(context.replica.index(), request.key, t);
      }
      const double expires_at = expiry(now(), request.ttl_s);
      const double value_bytes = std::max(0.0, request.request_bytes - kCommandBytes);
      const auto stored =
          counted(store, measured, [&] { return store.set(request.key, value_bytes, value, expires_at, now(), service_.rng()); });
      if (measured) {
        ++sets_;
        if (stored == CacheStore::Stored::Refused || stored == CacheStore::Stored::TooLarge) ++refused_sets_;
        if (stored == CacheStore::Stored::NotAdmitted) ++not_admitted_;
      }
      break;
    }
    case kDelete:
      store.erase(request.key);
      if (measured) ++deletes_;
      break;
    default:
      return Outcome::Failed;
  }
  return Outcome::Ok;
}

double CacheRuntime::expiry(double t, double ttl_s) {
  const double ttl = ttl_s > 0 ? ttl_s : options_.ttl_s.value_or(0.0);
  return ttl > 0 ? t + ttl * (1.0 - options_.ttl_jitter * service_.rng().uniform01())
                 : std::numeric_limits<double>::infinity();
}

void CacheRuntime::queue_write(int replica, std::uint64_t key, double t) {
  WriteQueue& q = queues_[static_cast<std::size_t>(replica)];
  if (!q.keys.insert(key).second) return;  // already pending: that write will carry this one
  q.pending.emplace_back(key, t);
  if (q.ready) q.ready->notify_one();
}

void CacheRuntime::write_behind_loop(ServiceReplica& replica) {
  WriteQueue& q = queues_[static_cast<std::size_t>(replica.index())];
  if (!q.ready) {
    q.mutex = sg4::Mutex::create();
    q.ready = sg4::ConditionVariable::create();
  }
  q.replies->bind();
  Message request;
  StepContext context{replica, *q.replies, request};
  while (true) {
    {
      std::unique_lock<sg4::Mutex> lock(*q.mutex);
      q.ready->wait(lock, [&q] { return !q.pending.empty(); });
    }
    const double due = q.pending.front().second + options_.write_behind_delay_s;
    if (due > now()) sg4::this_actor::sleep_for(due - now());
    const auto [key, set_at] = q.pending.front();
    q.pending.pop_front();
    q.keys.erase(key);
    q.writing = true;
    request.key = key;
    const Outcome written = run_steps(context, *options_.write_behind);
    q.writing = false;
    if (!run_.recorder().measured(set_at)) continue;
    if (written == Outcome::Ok) {
      ++written_behind_;
      write_behind_delay_.record(now() - set_at);
    } else {
      ++write_behind_failures_;
    }
  }
}

void CacheRuntime::stopped(int replica) {
  stores_[static_cast<std::size_t>(replica)].clear();
  if (queues_.empty()) return;
  WriteQueue& q = queues_[static_cast<std::size_t>(replica)];
  if (run_.recorder().measured(now())) write_behind_lost_ += q.pending.size() + (q.writing ? 1 : 0);
  q.pending.clear();
  q.keys.clear();
  q.writing = false;
  // The writer died with the process, maybe holding the mutex: the next one starts afresh.
  q.mutex = nullptr;
  q.ready = nullptr;
  q.replies->discard_all();
}

void CacheRuntime::flush(int replica) {
  for (std::size_t r = 0; r < stores_.size(); ++r)
    if (replica < 0 || static_cast<int>(r) == replica) stores_[r].clear();
  if (run_.recorder().measured(now())) ++flushes_;
  run_.recorder().timeline(now(), replica < 0 ? service_.name() : service_.replicas()[static_cast<std::size_t>(replica)]->name(),
                           "flush");
}

nlohmann::ordered_json CacheRuntime::report(double) const {
  nlohmann::ordered_json j;
  j["eviction"] = to_string(options_.eviction);
  j["gets"] = measured_.gets;
  j["hits"] = measured_.hits;
  j["misses"] = measured_.gets - measured_.hits;
  j["hit_ratio"] = share(measured_.hits, measured_.gets);
  j["expired_misses"] = expired_misses_;
  j["stale_hits"] = stale_hits_;
  j["stale_read_fraction"] = share(stale_hits_, measured_.hits);
  j["sets"] = sets_;
  j["refused_sets"] = refused_sets_;
  j["not_admitted"] = not_admitted_;
  j["deletes"] = deletes_;
  j["evictions"] = evictions_;
  j["expirations"] = expirations_;
  j["flushes"] = flushes_;
  j["served_in_grace"] = served_in_grace_;
  j["early_refreshes"] = early_refreshes_;
  j["coalesced"] = coalesced_;
  if (options_.read_through) {
    j["loads"] = loads_;
    j["load_failures"] = load_failures_;
  }
  if (options_.write_through) j["written_through"] = written_through_;
  if (options_.write_behind) {
    std::size_t pending = 0;
    for (const auto& q : queues_) pending += q.pending.size();
    j["write_behind"] = {{"written", written_behind_},
                         {"failed", write_behind_failures_},
                         {"lost", write_behind_lost_},
                         {"pending_at_end", pending},
                         {"delay_ms", {{"mean", write_behind_delay_.mean() * 1000.0},
                                       {"p50", write_behind_delay_.percentile(0.5) * 1000.0},
                                       {"p99", write_behind_delay_.percentile(0.99) * 1000.0}}}};
  }
  double used = 0;
  std::size_t items = 0;
  for (const auto& store : stores_) {
    used += store.used_bytes();
    items += store.items();
  }
  j["memory_used_mb"] = used / kMiB;
  j["memory_mb"] = options_.capacity_bytes * static_cast<double>(service_.spec().replicas) / kMiB;
  j["items"] = items;
  j["operations"] = breakdown_.by_operation("gets");
  j["hit_ratio_by_popularity_decile"] = breakdown_.by_decile();
  return j;
}

namespace {

ServiceReplica* replica_of(Service& cache, int node) {
  return node >= 0 ? cache.replicas()[static_cast<std::size_t>(node)].get() : nullptr;
}

// A get of the request's key: from its first copy, and from the next when a node does not
// answer. Ok with context.reply_found telling a hit from a miss, or the last failure.
Outcome get_key(StepContext& context, Service& cache, double value_bytes, double timeout_s, int hop) {
  const CacheNodes nodes = static_cast<CacheRuntime&>(cache.runtime()).nodes(context.request);
  Outcome got = Outcome::Unavailable;
  for (int node : nodes) {
    got = call_replica(context, replica_of(cache, node), kGet, kCommandBytes, value_bytes + kCommandBytes, timeout_s,
                       hop);
    if (got == Outcome::Ok) break;
  }
  if (nodes.empty()) got = call_replica(context, nullptr, kGet, 0, 0, timeout_s, hop);  // records the failed hop
  return got;
}

// A set or a delete, to every copy of the key in turn.
void write_key(StepContext& context, Service& cache, int endpoint, double request_bytes, double timeout_s, int hop,
               const CallData* data) {
  const CacheNodes nodes = static_cast<CacheRuntime&>(cache.runtime()).nodes(context.request);
  for (int node : nodes)
    call_replica(context, replica_of(cache, node), endpoint, request_bytes, kCommandBytes, timeout_s, hop, data);
}

// Gets the key; on a miss (or a cache that does not answer) runs the miss steps and, if
// the cache answered, sets the value with the version they read. With coalescing, a miss
// of a key whose fetch another request of the same replica has under way waits for that
// fetch and shares its outcome (singleflight): only one database read per key and replica.
class CacheAsideExecutor : public StepExecutor {
 public:
  Outcome execute(StepContext& context, const Step& step) const override {
    const auto& options = step.options_as<CacheAsideStep>();
    Service& cache = context.replica.service().run().service(options.cache);
    const Outcome got = get_key(context, cache, options.value_bytes, options.timeout_s, options.get_hop);
    if (got == Outcome::Ok && context.reply_found) return Outcome::Ok;
    if (!options.coalesce) return fetch(context, step, cache, got);

    const FlightKey key{&context.replica, &step, context.request.key};
    auto it = flights_.find(key);
    if (it != flights_.end() && it->second->deadline > now() &&
        it->second->generation == context.replica.generation()) {
      const std::shared_ptr<Flight> flight = it->second;
      // No longer than this request may wait, nor than the fetch may last.
      const double until = context.request.deadline > 0 ? std::min(flight->deadline, context.request.deadline)
                                                          : flight->deadline;
      std::unique_lock<sg4::Mutex> lock(*flight->mutex);
      flight->done->wait_until(lock, until, [&flight] { return flight->finished; });
      if (!flight->finished) return Outcome::Timeout;  // the fetching request died or overran
      if (flight->outcome == Outcome::Ok && run_measured(context))
        static_cast<CacheRuntime&>(cache.runtime()).count_coalesced();
      return flight->outcome;
    }
    auto flight = std::make_shared<Flight>();
    flight->mutex = sg4::Mutex::create();
    flight->done = sg4::ConditionVariable::create();
    flight->generation = context.replica.generation();
    // Followers wait no longer than the request that fetches may live.
    flight->deadline = context.request.deadline > 0 ? context.request.deadline : now() + kFlightLimitS;
    flights_[key] = flight;
    flight->outcome = fetch(context, step, cache, got);
    flight->finished = true;
    flight->done->notify_all();
    it = flights_.find(key);
    if (it != flights_.end() && it->second == flight) flights_.erase(it);
    return flight->outcome;
  }

 private:
  // A fetch with no deadline of its own holds followers at most this long.
  static constexpr double kFlightLimitS = 60;
  struct Flight {
    sg4::MutexPtr mutex;
    sg4::ConditionVariablePtr done;
    std::uint64_t generation = 0;  // of the replica's process: a restart abandons its flights
    double deadline = 0;
    bool finished = false;
    Outcome outcome = Outcome::Ok;
  };
  using FlightKey = std::tuple<const ServiceReplica*, const Step*, std::uint64_t>;

  static bool run_measured(StepContext& context) {
    return context.replica.service().run().recorder().measured(now());
  }

  static Outcome fetch(StepContext& context, const Step& step, Service& cache, Outcome got) {
    const auto& options = step.options_as<CacheAsideStep>();
    const double started = now();
    context.read_version = 0;
    context.read_source = -1;
    const Outcome fetched = run_steps(context, step.children);
    if (fetched != Outcome::Ok || got != Outcome::Ok) return fetched;
    const CallData data{context.read_version, context.read_source, options.ttl_s.value_or(0.0), started};
    // A set that fails leaves the key uncached: the request has its value all the same.
    write_key(context, cache, kSet, options.value_bytes + kCommandBytes, options.timeout_s, options.set_hop, &data);
    return Outcome::Ok;
  }

  // Fetches under way (the executor serves every replica of the run). Entries leave when
  // their fetch ends; one whose request died is replaced once its deadline has passed.
  mutable std::map<FlightKey, std::shared_ptr<Flight>> flights_;
};

// After a write: deletes the key, or sets it to the version the write returned.
class CacheInvalidateExecutor : public StepExecutor {
 public:
  Outcome execute(StepContext& context, const Step& step) const override {
    const auto& options = step.options_as<CacheInvalidateStep>();
    Service& cache = context.replica.service().run().service(options.cache);
    if (options.update) {
      const CallData data{context.read_version, context.read_source, options.ttl_s.value_or(0.0)};
      write_key(context, cache, kSet, options.value_bytes + kCommandBytes, options.timeout_s, options.hop, &data);
    } else {
      write_key(context, cache, kDelete, kCommandBytes, options.timeout_s, options.hop, nullptr);
    }
    // The write is done: a failed invalidation leaves a stale value behind, it does not
    // fail the request.
    return Outcome::Ok;
  }
};

class FlushApplier : public ActionApplier {
 public:
  void apply(const ActionSpec& action, bool, Timeline& timeline) const override {
    Service& service = timeline.run().service(action.target->index);
    auto& cache = static_cast<CacheRuntime&>(service.runtime());
    cache.flush(action.target->kind == Target::Kind::Replica ? action.target->replica : -1);
  }
};

}  // namespace

void add_to(RuntimeCatalog& catalog) {
  static const CacheAsideExecutor aside;
  static const CacheInvalidateExecutor invalidate;
  static const FlushApplier flush;
  catalog.add_service("cache", [](Service& service, RunContext& run) -> std::unique_ptr<ServiceRuntime> {
    return std::make_unique<CacheRuntime>(run, service);
  });
  catalog.add_step("cache_aside", aside);
  catalog.add_step("cache_invalidate", invalidate);
  catalog.add_action("flush", flush);
}

}  // namespace archsim::kinds::cache
