#include "scenario/scenario.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>
#include <unordered_map>

#include "core/embedded.hpp"
#include "scenario/document.hpp"
#include "scenario/schema_validator.hpp"

namespace archsim {

namespace fs = std::filesystem;
using nlohmann::json;

const char* to_string(ServiceKind kind) {
  switch (kind) {
    case ServiceKind::AppServer:
      return "app_server";
    case ServiceKind::Database:
      return "database";
    case ServiceKind::LoadBalancer:
      return "load_balancer";
  }
  return "?";
}

int ServiceSpec::endpoint_index(const std::string& endpoint) const {
  for (std::size_t i = 0; i < endpoints.size(); ++i)
    if (endpoints[i].name == endpoint) return static_cast<int>(i);
  return -1;
}

int Scenario::service_index(const std::string& service) const {
  for (std::size_t i = 0; i < services.size(); ++i)
    if (services[i].name == service) return static_cast<int>(i);
  return -1;
}

int Scenario::host_index(const std::string& host) const {
  for (std::size_t i = 0; i < hosts.size(); ++i)
    if (hosts[i].name == host) return static_cast<int>(i);
  return -1;
}

namespace {

const SchemaValidator& scenario_validator() {
  static const SchemaValidator validator(json::parse(embedded::scenario_schema()));
  return validator;
}

std::vector<std::string> keys_of(const json& object) {
  std::vector<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  return keys;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Builds the typed scenario from a schema-valid document, collecting every semantic
// problem (broken references, impossible values) on the way.
class Builder {
 public:
  explicit Builder(const Document& doc) : doc_(doc), j_(doc.json()) {}

  Scenario build() {
    s_.file = doc_.path();
    s_.document = j_;
    s_.name = j_.value("name", fs::path(doc_.path()).stem().string());
    s_.description = j_.at("description").get<std::string>();
    s_.seed = j_.value("seed", std::uint64_t{1});
    s_.duration_s = j_.at("duration_s").get<double>();
    s_.warmup_s = j_.value("warmup_s", 0.0);
    if (s_.warmup_s >= s_.duration_s)
      problem("/warmup_s", "must be less than duration_s (" + json(s_.duration_s).dump() + ")", j_["warmup_s"]);

    build_platform();
    build_hosts();
    build_services();
    build_clients();
    check_call_cycles();
    build_faults();
    build_metrics();
    if (problems_.empty()) check_resource_limits();
    if (!problems_.empty()) throw InputError(problems_);
    return std::move(s_);
  }

 private:
  void problem(const std::string& pointer, const std::string& rule, const json& got = json()) {
    problems_.push_back({doc_.origin(pointer), pointer, rule, got.is_null() ? "" : describe_value(got)});
  }

  // ---- platform ---------------------------------------------------------------------
  void build_platform() {
    json profile;
    std::string profile_file = "built-in profile \"default\"";
    const std::string name = j_.contains("platform") ? j_["platform"].value("profile", "default") : "default";
    if (name == "default") {
      profile = json::parse(embedded::default_profile());
    } else {
      // Relative to the file that named the profile; from --set, to the current directory.
      const std::string origin = doc_.origin("/platform/profile");
      const fs::path base = origin.rfind("--set", 0) == 0 ? fs::path() : fs::path(origin).parent_path();
      profile_file = (base / name).lexically_normal().string();
      try {
        const Document pdoc = Document::load(profile_file);
        auto errors = pdoc.attribute(scenario_validator().validate(pdoc.json(), "/$defs/profile"));
        if (!errors.empty()) {
          problems_.insert(problems_.end(), errors.begin(), errors.end());
          return;
        }
        profile = pdoc.json();
      } catch (const InputError& e) {
        for (auto d : e.diagnostics()) {
          if (d.pointer.empty() && d.file == profile_file && d.rule.rfind("cannot read", 0) == 0) {
            problem("/platform/profile", "hardware profile file not found: " + profile_file, name);
            continue;
          }
          problems_.push_back(d);
        }
        return;
      }
    }
    json overrides = j_.contains("platform") ? j_["platform"] : json::object();
    overrides.erase("profile");
    profile.merge_patch(overrides);
    profile_ = profile;

    PlatformSpec& p = s_.platform;
    p.profile = name;
    const json& n = profile["network"];
    const double gbps = 1e9 / 8.0;
    p.network.datacenter_rtt_s = n["datacenter_rtt_ms"].get<double>() / 1000.0;
    p.network.nic_bytes_per_s = n["nic_gbps"].get<double>() * gbps;
    p.network.loopback_rtt_s = n["loopback_rtt_ms"].get<double>() / 1000.0;
    p.network.client_rtt_s = n["client_rtt_ms"].get<double>() / 1000.0;
    p.network.client_bytes_per_s = n["client_gbps"].get<double>() * gbps;
    p.network.cross_region_rtt_s = n["cross_region_rtt_ms"].get<double>() / 1000.0;
    p.network.wan_bytes_per_s = n["wan_gbps"].get<double>() * gbps;
    p.memory_read_bytes_per_s = kMiB / (profile["memory"]["read_us_per_mb"].get<double>() / 1e6);
    for (auto it = profile["disks"].begin(); it != profile["disks"].end(); ++it)
      p.disks[it.key()] = disk_from(it.value(), it.key());
    p.host_defaults = host_from(profile["host"], json::object(), "default", "/platform/host");
  }

  static DiskSpec disk_from(const json& d, const std::string& type) {
    DiskSpec disk;
    disk.type = type;
    disk.read_bytes_per_s = kMiB / (d["read_ms_per_mb"].get<double>() / 1000.0);
    disk.write_bytes_per_s = kMiB / (d["write_ms_per_mb"].get<double>() / 1000.0);
    disk.seek_s = d["seek_ms"].get<double>() / 1000.0;
    disk.parallelism = d.value("parallelism", 1);
    return disk;
  }

  HostSpec host_from(const json& defaults, const json& spec, const std::string& name, const std::string& pointer) {
    json merged = defaults;
    merged.merge_patch(spec);
    HostSpec h;
    h.name = name;
    h.cores = merged["cores"].get<int>();
    h.core_speed = merged["core_speed"].get<double>();
    h.nic_bytes_per_s = merged["nic_gbps"].get<double>() * 1e9 / 8.0;
    const json& disk = merged["disk"];
    if (disk.is_string()) {
      const auto type = disk.get<std::string>();
      auto it = s_.platform.disks.find(type);
      if (it == s_.platform.disks.end()) {
        std::vector<std::string> known;
        for (const auto& [k, v] : s_.platform.disks) known.push_back(k);
        const std::string where = spec.contains("disk") ? pointer + "/disk" : "/platform/host/disk";
        problem(where, "unknown disk type (the profile has: " + quoted_list(known) + ")", disk);
      } else {
        h.disk = it->second;
      }
    } else {
      h.disk = disk_from(disk, "custom");
    }
    return h;
  }

  // ---- hosts ------------------------------------------------------------------------
  void build_hosts() {
    if (profile_.is_null()) return;
    if (j_.contains("hosts"))
      for (auto it = j_["hosts"].begin(); it != j_["hosts"].end(); ++it)
        add_host(host_from(profile_["host"], it.value(), it.key(), "/hosts/" + it.key()));
  }

  // Hosts are looked up by name through a map: a tier may have 100,000 replicas.
  void add_host(HostSpec h) {
    host_names_.emplace(h.name, static_cast<int>(s_.hosts.size()));
    s_.hosts.push_back(std::move(h));
  }
  int host_index(const std::string& name) const {
    auto it = host_names_.find(name);
    return it == host_names_.end() ? -1 : it->second;
  }

  // ---- services ---------------------------------------------------------------------
  void build_services() {
    const json& services = j_["services"];
    // First pass: names and endpoints, so that calls can refer to any service.
    for (auto it = services.begin(); it != services.end(); ++it) {
      ServiceSpec svc;
      svc.name = it.key();
      const json& v = it.value();
      const std::string kind = v["kind"].get<std::string>();
      svc.kind = kind == "database"        ? ServiceKind::Database
                 : kind == "load_balancer" ? ServiceKind::LoadBalancer
                                           : ServiceKind::AppServer;
      svc.replicas = v.value("replicas", 1);
      svc.workers = svc.kind == ServiceKind::Database       ? v["max_connections"].get<int>()
                    : svc.kind == ServiceKind::LoadBalancer ? v.value("max_connections", 10000)
                                                            : v["workers"].get<int>();
      svc.queue_limit = v.value("queue_limit", 1000);
      svc.buffer_cache_hit_ratio = v.value("buffer_cache_hit_ratio", 0.0);
      svc.startup_s = v.value("startup_s", 0.0);
      if (v.contains("endpoints"))
        for (auto e = v["endpoints"].begin(); e != v["endpoints"].end(); ++e)
          svc.endpoints.push_back({e.key(), {}, e.value().value("access", "read") == "write"});
      s_.services.push_back(std::move(svc));
    }
    // Load balancers take their backend's endpoints, so calls to them resolve.
    std::size_t index = 0;
    for (auto it = services.begin(); it != services.end(); ++it, ++index)
      if (s_.services[index].kind == ServiceKind::LoadBalancer) build_balancer(s_.services[index], it.value());
    index = 0;
    for (auto it = services.begin(); it != services.end(); ++it, ++index) {
      ServiceSpec& svc = s_.services[index];
      const std::string base = "/services/" + it.key();
      const json& v = it.value();
      place_replicas(svc, v["host"], base + "/host");
      if (v.contains("health_check")) svc.health_check = health_check_from(v["health_check"]);
      if (svc.kind == ServiceKind::Database) build_replication(svc, v, base);
      if (svc.kind != ServiceKind::Database && v.contains("endpoints"))
        for (auto e = v["endpoints"].begin(); e != v["endpoints"].end(); ++e)
          if (e.value().contains("access"))
            problem(base + "/endpoints/" + e.key() + "/access", "only database endpoints are reads or writes");
      if (svc.kind == ServiceKind::Database && v.contains("health_check") && !svc.replication)
        problem(base + "/health_check", "only used by a replicated database (replicas >= 2)");
      if (svc.kind == ServiceKind::LoadBalancer && svc.balancer && svc.balancer->backend >= 0) {
        for (std::size_t e = 0; e < svc.endpoints.size(); ++e)
          svc.balancer->hops.push_back(hop_index(static_cast<int>(index), svc.balancer->backend, static_cast<int>(e)));
      }
      std::size_t e_index = 0;
      if (v.contains("endpoints"))
        for (auto e = v["endpoints"].begin(); e != v["endpoints"].end(); ++e, ++e_index) {
          const std::string ep = base + "/endpoints/" + e.key() + "/steps";
          svc.endpoints[e_index].steps = build_steps(e.value()["steps"], ep, static_cast<int>(index), false);
          check_forward_position(svc.endpoints[e_index].steps, ep);
        }
      if (v.contains("connection_pools")) {
        const auto called = called_services(static_cast<int>(index));
        for (auto p = v["connection_pools"].begin(); p != v["connection_pools"].end(); ++p) {
          const int target = s_.service_index(p.key());
          const std::string pp = base + "/connection_pools/" + p.key();
          if (target < 0) {
            problem(pp, "no such service" + suggestion(p.key(), keys_of(services)));
            continue;
          }
          if (!called.count(target)) problem(pp, "this service never calls " + p.key());
          svc.pools.push_back({target, p.value()["size"].get<int>(), p.value().value("timeout_ms", 1000.0) / 1000.0});
        }
      }
    }
  }

  static HealthCheckSpec health_check_from(const json& v) {
    HealthCheckSpec h;
    h.interval_s = v.value("interval_ms", 2000.0) / 1000.0;
    h.timeout_s = v.value("timeout_ms", 500.0) / 1000.0;
    h.unhealthy_threshold = v.value("unhealthy_threshold", 3);
    h.healthy_threshold = v.value("healthy_threshold", 2);
    return h;
  }

  void build_balancer(ServiceSpec& svc, const json& v) {
    const std::string base = "/services/" + svc.name;
    LoadBalancerSpec lb;
    const auto backend_name = v["backend"].get<std::string>();
    lb.backend = s_.service_index(backend_name);
    std::vector<std::string> names;
    for (const auto& x : s_.services) names.push_back(x.name);
    if (lb.backend < 0) {
      problem(base + "/backend", "no such service" + suggestion(backend_name, names), v["backend"]);
    } else if (lb.backend == s_.service_index(svc.name)) {
      problem(base + "/backend", "a load balancer cannot be its own backend", v["backend"]);
      lb.backend = -1;
    } else {
      const ServiceSpec& backend = s_.services[static_cast<std::size_t>(lb.backend)];
      for (const auto& e : backend.endpoints) svc.endpoints.push_back({e.name, {}, false});
    }
    lb.policy.kind = policy_from_string(v.value("policy", "round_robin"));
    lb.policy.virtual_nodes = v.value("virtual_nodes", 100);
    lb.policy.hash_on = v.value("hash_on", "session") == "key" ? HashOn::Key : HashOn::Session;
    const bool hashing = lb.policy.kind == PolicyKind::Hash || lb.policy.kind == PolicyKind::ConsistentHash;
    if (v.contains("virtual_nodes") && lb.policy.kind != PolicyKind::ConsistentHash)
      problem(base + "/virtual_nodes", "only used by the consistent_hash policy");
    if (v.contains("hash_on") && !hashing) problem(base + "/hash_on", "only used by the hash and consistent_hash policies");
    if (v.contains("weights")) {
      if (lb.policy.kind != PolicyKind::WeightedRoundRobin)
        problem(base + "/weights", "only used by the weighted_round_robin policy");
      lb.policy.weights = v["weights"].get<std::vector<double>>();
      if (lb.backend >= 0 &&
          lb.policy.weights.size() != static_cast<std::size_t>(s_.services[static_cast<std::size_t>(lb.backend)].replicas))
        problem(base + "/weights",
                "needs one weight per replica of " + backend_name + " (" +
                    std::to_string(s_.services[static_cast<std::size_t>(lb.backend)].replicas) + ")",
                v["weights"]);
    }
    lb.active_passive = v.value("mode", "active_active") == "active_passive";
    if (lb.active_passive && svc.replicas != 2)
      problem(base + "/mode", "active_passive needs exactly 2 replicas of the load balancer", v["mode"]);
    if (v.contains("failover_s") && !lb.active_passive) problem(base + "/failover_s", "only used in active_passive mode");
    lb.failover_s = v.value("failover_s", 3.0);
    if (v.contains("cpu_ms")) lb.cpu_ms = distribution(v["cpu_ms"], base + "/cpu_ms");
    lb.timeout_s = v.value("timeout_ms", 5000.0) / 1000.0;
    svc.balancer = lb;
    if (!svc.health_check) svc.health_check = HealthCheckSpec{};
  }

  void build_replication(ServiceSpec& svc, const json& v, const std::string& base) {
    if (!v.contains("replication")) {
      if (svc.replicas > 1) svc.replication = ReplicationSpec{{}, {}, {}, kKiB, {default_apply_step()}};
    } else {
      const json& r = v["replication"];
      if (svc.replicas < 2) problem(base + "/replication", "needs replicas >= 2 (a primary and at least one replica)");
      ReplicationSpec rep;
      rep.semi_sync = r.value("mode", "async") == "semi_sync";
      rep.read_from_primary = r.value("read_from", "replicas") == "any";
      rep.read_policy = policy_from_string(r.value("read_policy", "round_robin"));
      rep.stream_bytes = r.value("stream_kb", 1.0) * kKiB;
      rep.semi_sync_timeout_s = r.value("semi_sync_timeout_ms", 1000.0) / 1000.0;
      if (r.contains("semi_sync_timeout_ms") && !rep.semi_sync)
        problem(base + "/replication/semi_sync_timeout_ms", "only used in semi_sync mode");
      rep.promotion_s = r.value("promotion_s", 5.0);
      if (r.contains("apply_steps")) {
        rep.apply_steps = build_steps(r["apply_steps"], base + "/replication/apply_steps", s_.service_index(svc.name), true);
        std::function<bool(const std::vector<Step>&)> has_call = [&](const std::vector<Step>& steps) {
          for (const auto& st : steps)
            if (st.kind == StepKind::Call || st.kind == StepKind::Forward || has_call(st.children)) return true;
          return false;
        };
        if (has_call(rep.apply_steps)) problem(base + "/replication/apply_steps", "applying a write cannot call other services");
      } else {
        rep.apply_steps = {default_apply_step()};
      }
      svc.replication = rep;
    }
    if (svc.replication && !svc.health_check) svc.health_check = HealthCheckSpec{};
  }

  static Step default_apply_step() {
    Step s;
    s.kind = StepKind::Cpu;
    s.cpu_ms = Distribution::constant(0.2);
    return s;
  }

  static std::string suggestion(const std::string& word, const std::vector<std::string>& known) {
    const std::string close = closest_match(word, known);
    if (!close.empty()) return " (did you mean \"" + close + "\"?)";
    if (known.empty()) return "";
    return " (known: " + quoted_list(known) + ")";
  }

  void place_replicas(ServiceSpec& svc, const json& host, const std::string& pointer) {
    if (host.is_string()) {
      const int h = host_index(host.get<std::string>());
      if (h < 0) {
        std::vector<std::string> known;
        for (const auto& hs : s_.hosts) known.push_back(hs.name);
        problem(pointer, "no such host in the hosts section" + suggestion(host.get<std::string>(), known), host);
        return;
      }
      svc.replica_hosts.assign(static_cast<std::size_t>(svc.replicas), h);
      return;
    }
    if (profile_.is_null()) return;
    for (int r = 1; r <= svc.replicas; ++r) {
      const std::string name = svc.name + "-" + std::to_string(r);
      if (host_index(name) >= 0) {
        problem(pointer, "the dedicated host name " + name + " is already taken by another host");
        return;
      }
      add_host(host_from(profile_["host"], host, name, pointer));
      svc.replica_hosts.push_back(static_cast<int>(s_.hosts.size()) - 1);
    }
  }

  std::vector<Step> build_steps(const json& steps, const std::string& pointer, int service, bool in_parallel) {
    std::vector<Step> out;
    for (std::size_t i = 0; i < steps.size(); ++i)
      out.push_back(build_step(steps[i], pointer + "/" + std::to_string(i), service, in_parallel));
    return out;
  }

  Step build_step(const json& v, const std::string& pointer, int service, bool in_parallel) {
    Step step;
    step.probability = v.value("probability", 1.0);
    if (v.contains("cpu_ms")) {
      step.kind = StepKind::Cpu;
      step.cpu_ms = distribution(v["cpu_ms"], pointer + "/cpu_ms");
    } else if (v.contains("read_kb")) {
      step.kind = StepKind::Read;
      step.bytes = v["read_kb"].get<double>() * kKiB;
    } else if (v.contains("write_kb")) {
      step.kind = StepKind::Write;
      step.bytes = v["write_kb"].get<double>() * kKiB;
    } else if (v.contains("call") || v.contains("forward")) {
      const bool forward = v.contains("forward");
      step.kind = forward ? StepKind::Forward : StepKind::Call;
      const std::string key = forward ? "forward" : "call";
      const auto target_name = v[key].get<std::string>();
      step.service = s_.service_index(target_name);
      step.request_bytes = v.value("request_kb", 1.0) * kKiB;
      step.response_bytes = v.value("response_kb", 1.0) * kKiB;
      step.timeout_s = v.value("timeout_ms", 5000.0) / 1000.0;
      step.on_error = v.value("on_error", "fail") == "continue" ? OnError::Continue : OnError::Fail;
      if (forward && in_parallel) problem(pointer, "a forward cannot be inside a parallel or sequence step");
      if (step.service < 0) {
        std::vector<std::string> names;
        for (const auto& s : s_.services) names.push_back(s.name);
        problem(pointer + "/" + key, "no such service" + suggestion(target_name, names), v[key]);
        return step;
      }
      const ServiceSpec& target = s_.services[static_cast<std::size_t>(step.service)];
      const auto ep_name = v["endpoint"].get<std::string>();
      step.endpoint = target.endpoint_index(ep_name);
      if (step.endpoint < 0) {
        std::vector<std::string> names;
        for (const auto& e : target.endpoints) names.push_back(e.name);
        problem(pointer + "/endpoint", "service " + target.name + " has no such endpoint" + suggestion(ep_name, names),
                v["endpoint"]);
        return step;
      }
      step.hop = hop_index(service, step.service, step.endpoint);
    } else if (v.contains("parallel")) {
      step.kind = StepKind::Parallel;
      step.children = build_steps(v["parallel"], pointer + "/parallel", service, true);
    } else {
      step.kind = StepKind::Sequence;
      step.children = build_steps(v["sequence"], pointer + "/sequence", service, true);
    }
    return step;
  }

  void check_forward_position(const std::vector<Step>& steps, const std::string& pointer) {
    for (std::size_t i = 0; i + 1 < steps.size(); ++i)
      if (steps[i].kind == StepKind::Forward)
        problem(pointer + "/" + std::to_string(i), "a forward must be the last step of its endpoint");
  }

  int hop_index(int from, int to, int endpoint) {
    for (std::size_t i = 0; i < s_.hops.size(); ++i) {
      const HopSpec& h = s_.hops[i];
      if (h.from_service == from && h.to_service == to && h.endpoint == endpoint) return static_cast<int>(i);
    }
    const auto& target = s_.services[static_cast<std::size_t>(to)];
    s_.hops.push_back({s_.services[static_cast<std::size_t>(from)].name + "->" + target.name + "." +
                           target.endpoints[static_cast<std::size_t>(endpoint)].name,
                       from, to, endpoint});
    return static_cast<int>(s_.hops.size()) - 1;
  }

  std::set<int> called_services(int service) const {
    std::set<int> out;
    std::function<void(const std::vector<Step>&)> visit = [&](const std::vector<Step>& steps) {
      for (const auto& st : steps) {
        if ((st.kind == StepKind::Call || st.kind == StepKind::Forward) && st.service >= 0) out.insert(st.service);
        visit(st.children);
      }
    };
    for (const auto& e : s_.services[static_cast<std::size_t>(service)].endpoints) visit(e.steps);
    return out;
  }

  Distribution distribution(const json& v, const std::string& pointer) {
    if (v.is_number()) return Distribution::constant(v.get<double>());
    const std::string dist = v["dist"].get<std::string>();
    if (dist == "constant") return Distribution::constant(v["value"].get<double>());
    if (dist == "exponential") return Distribution::exponential(v["mean"].get<double>());
    if (dist == "lognormal") {
      const double mean = v["mean"].get<double>();
      const double p99 = v["p99"].get<double>();
      auto d = Distribution::lognormal(mean, p99);
      if (!d) {
        if (p99 <= mean)
          problem(pointer + "/p99", "must be greater than mean for a lognormal", v["p99"]);
        else
          problem(pointer + "/p99",
                  "a lognormal's p99 can be at most " + std::to_string(Distribution::max_lognormal_p99_ratio()) +
                      " times its mean",
                  v["p99"]);
        return Distribution::constant(mean);
      }
      return *d;
    }
    if (dist == "uniform") {
      const double lo = v["min"].get<double>(), hi = v["max"].get<double>();
      if (lo > hi) problem(pointer + "/max", "must be >= min", v["max"]);
      return Distribution::uniform(lo, hi);
    }
    return Distribution::empirical(v["values"].get<std::vector<double>>());
  }

  // ---- call graph -------------------------------------------------------------------
  void check_call_cycles() {
    // Nodes are (service, endpoint); an edge is a call or forward. A cycle would recurse forever.
    std::vector<std::vector<int>> base(s_.services.size());
    int total = 0;
    for (std::size_t s = 0; s < s_.services.size(); ++s) {
      base[s].resize(s_.services[s].endpoints.size());
      for (auto& b : base[s]) b = total++;
    }
    std::vector<std::vector<int>> edges(static_cast<std::size_t>(total));
    std::function<void(int, const std::vector<Step>&)> collect = [&](int node, const std::vector<Step>& steps) {
      for (const auto& st : steps) {
        if ((st.kind == StepKind::Call || st.kind == StepKind::Forward) && st.service >= 0 && st.endpoint >= 0)
          edges[static_cast<std::size_t>(node)].push_back(
              base[static_cast<std::size_t>(st.service)][static_cast<std::size_t>(st.endpoint)]);
        collect(node, st.children);
      }
    };
    std::vector<std::pair<int, int>> names(static_cast<std::size_t>(total));
    for (std::size_t s = 0; s < s_.services.size(); ++s)
      for (std::size_t e = 0; e < s_.services[s].endpoints.size(); ++e) {
        collect(base[s][e], s_.services[s].endpoints[e].steps);
        names[static_cast<std::size_t>(base[s][e])] = {static_cast<int>(s), static_cast<int>(e)};
        const auto& lb = s_.services[s].balancer;
        if (lb && lb->backend >= 0)
          edges[static_cast<std::size_t>(base[s][e])].push_back(base[static_cast<std::size_t>(lb->backend)][e]);
      }
    std::vector<int> state(static_cast<std::size_t>(total), 0);  // 0 new, 1 on stack, 2 done
    std::vector<int> stack;
    bool reported = false;
    std::function<void(int)> dfs = [&](int n) {
      state[static_cast<std::size_t>(n)] = 1;
      stack.push_back(n);
      for (int m : edges[static_cast<std::size_t>(n)]) {
        if (reported) break;
        if (state[static_cast<std::size_t>(m)] == 1) {
          std::string path;
          auto start = std::find(stack.begin(), stack.end(), m);
          for (auto it = start; it != stack.end(); ++it) {
            const auto [s, e] = names[static_cast<std::size_t>(*it)];
            path += s_.services[static_cast<std::size_t>(s)].name + "." +
                    s_.services[static_cast<std::size_t>(s)].endpoints[static_cast<std::size_t>(e)].name + " -> ";
          }
          const auto [s, e] = names[static_cast<std::size_t>(m)];
          const auto& svc = s_.services[static_cast<std::size_t>(s)];
          path += svc.name + "." + svc.endpoints[static_cast<std::size_t>(e)].name;
          problem("/services/" + svc.name + "/endpoints/" + svc.endpoints[static_cast<std::size_t>(e)].name,
                  "calls form a cycle: " + path);
          reported = true;
        } else if (state[static_cast<std::size_t>(m)] == 0) {
          dfs(m);
        }
      }
      stack.pop_back();
      state[static_cast<std::size_t>(n)] = 2;
    };
    for (int n = 0; n < total && !reported; ++n)
      if (state[static_cast<std::size_t>(n)] == 0) dfs(n);
  }

  // ---- clients ----------------------------------------------------------------------
  void build_clients() {
    std::map<std::string, std::string> operation_owner;
    for (auto it = j_["clients"].begin(); it != j_["clients"].end(); ++it) {
      const json& v = it.value();
      const std::string base = "/clients/" + it.key();
      ClientSpec c;
      c.name = it.key();
      c.model = v["model"] == "closed" ? ClientModel::Closed : ClientModel::Open;
      c.timeout_s = v.value("timeout_ms", 2000.0) / 1000.0;
      const auto target_name = v["target"].get<std::string>();
      c.target = s_.service_index(target_name);
      if (c.target < 0) {
        problem(base + "/target", "no such service" + suggestion(target_name, keys_of(j_["services"])), v["target"]);
      }
      for (auto o = v["operations"].begin(); o != v["operations"].end(); ++o) {
        const std::string op_pointer = base + "/operations/" + o.key();
        OperationSpec op;
        op.name = o.key();
        op.weight = o.value()["weight"].get<double>();
        op.request_bytes = o.value().value("request_kb", 1.0) * kKiB;
        op.response_bytes = o.value().value("response_kb", 1.0) * kKiB;
        const auto ep = o.value()["endpoint"].get<std::string>();
        if (c.target >= 0) {
          const auto& svc = s_.services[static_cast<std::size_t>(c.target)];
          op.endpoint = svc.endpoint_index(ep);
          if (op.endpoint < 0) {
            std::vector<std::string> names;
            for (const auto& e : svc.endpoints) names.push_back(e.name);
            problem(op_pointer + "/endpoint",
                    "service " + svc.name + " has no such endpoint" + suggestion(ep, names), o.value()["endpoint"]);
          }
        }
        auto [owner, inserted] = operation_owner.emplace(op.name, c.name);
        if (!inserted)
          problem(op_pointer, "operation names must be unique across clients; " + owner->second + " has one too");
        c.operations.push_back(op);
      }
      if (v.contains("keys")) {
        c.keys.count = v["keys"].value("count", std::uint64_t{100000});
        c.keys.zipf_s = v["keys"].value("zipf_s", 0.0);
      }
      if (v.contains("sessions")) {
        c.sessions.mean_requests = v["sessions"].value("mean_requests", 20.0);
        c.sessions.active = v["sessions"].value("active", std::uint64_t{1000});
        if (v["sessions"].contains("active") && c.model == ClientModel::Closed)
          problem(base + "/sessions/active", "closed-loop clients have one session per user");
      }
      if (v.contains("retry")) c.retry = retry_from(v["retry"]);
      if (c.model == ClientModel::Open) {
        c.rate_rps = v["rate_rps"].get<double>();
        c.linear_schedule = v.value("schedule_shape", "step") == "linear";
        if (v.contains("schedule")) {
          double last = -1;
          for (std::size_t i = 0; i < v["schedule"].size(); ++i) {
            const json& p = v["schedule"][i];
            const RatePoint point{p["at_s"].get<double>(), p["rate_rps"].get<double>()};
            if (point.at_s <= last)
              problem(base + "/schedule/" + std::to_string(i) + "/at_s",
                      "schedule times must increase (previous point is at " + json(last).dump() + " s)", p["at_s"]);
            last = point.at_s;
            c.schedule.push_back(point);
          }
        }
      } else {
        c.users = v["users"].get<int>();
        c.think_ms = distribution(v["think_ms"], base + "/think_ms");
      }
      s_.clients.push_back(std::move(c));
    }
  }

  static RetrySpec retry_from(const json& r) {
    RetrySpec spec;
    spec.max_attempts = r.value("max_attempts", 3);
    spec.backoff_s = r.value("backoff_ms", 50.0) / 1000.0;
    spec.multiplier = r.value("multiplier", 2.0);
    spec.max_backoff_s = r.value("max_backoff_ms", 2000.0) / 1000.0;
    const std::string jitter = r.value("jitter", "full");
    spec.jitter = jitter == "none" ? Jitter::None : jitter == "equal" ? Jitter::Equal : Jitter::Full;
    if (r.contains("budget_ratio")) spec.budget_ratio = r["budget_ratio"].get<double>();
    spec.budget_reserve = r.value("budget_reserve", 10.0);
    const std::vector<std::string> on =
        r.value("on", std::vector<std::string>{"timeout", "refused", "reset", "unavailable"});
    for (const auto& cause : on)
      for (int o = 1; o < kOutcomeCount; ++o)
        if (cause == to_string(static_cast<Outcome>(o))) spec.retry_on[static_cast<std::size_t>(o)] = true;
    return spec;
  }

  // ---- faults -----------------------------------------------------------------------
  std::optional<FaultTarget> fault_target(const json& v, const std::string& pointer) {
    FaultTarget t;
    if (v.contains("host")) {
      t.kind = FaultTarget::Kind::Host;
      t.name = v["host"].get<std::string>();
      t.index = host_index(t.name);
      if (t.index < 0) {
        std::vector<std::string> known;
        for (const auto& h : s_.hosts) known.push_back(h.name);
        problem(pointer + "/host", "no such host" + suggestion(t.name, known), v["host"]);
        return std::nullopt;
      }
      return t;
    }
    if (v.contains("service")) {
      t.kind = FaultTarget::Kind::Service;
      t.name = v["service"].get<std::string>();
      t.index = s_.service_index(t.name);
      if (t.index < 0) {
        std::vector<std::string> known;
        for (const auto& x : s_.services) known.push_back(x.name);
        problem(pointer + "/service", "no such service" + suggestion(t.name, known), v["service"]);
        return std::nullopt;
      }
      return t;
    }
    t.kind = FaultTarget::Kind::Replica;
    t.name = v["replica"].get<std::string>();
    const auto dash = t.name.rfind('-');
    t.index = s_.service_index(t.name.substr(0, dash));
    t.replica = std::stoi(t.name.substr(dash + 1)) - 1;
    if (t.index < 0 || t.replica >= s_.services[static_cast<std::size_t>(t.index)].replicas) {
      std::vector<std::string> known;
      for (const auto& x : s_.services)
        for (int r = 0; r < x.replicas && known.size() < 12; ++r) known.push_back(x.replica_name(r));
      problem(pointer + "/replica", "no such replica" + suggestion(t.name, known), v["replica"]);
      return std::nullopt;
    }
    return t;
  }

  void build_faults() {
    if (!j_.contains("faults")) return;
    const json& f = j_["faults"];
    if (f.contains("events")) {
      for (std::size_t i = 0; i < f["events"].size(); ++i) {
        const json& e = f["events"][i];
        const std::string p = "/faults/events/" + std::to_string(i);
        FaultEvent ev;
        ev.at_s = e["at_s"].get<double>();
        if (e.contains("duration_s")) ev.duration_s = e["duration_s"].get<double>();
        // The actions on one target, by key.
        static const std::pair<const char*, FaultAction> kTargeted[] = {
            {"crash", FaultAction::Crash},         {"recover", FaultAction::Recover},
            {"cut", FaultAction::Cut},             {"reconnect", FaultAction::Reconnect},
            {"degrade", FaultAction::Degrade},     {"restore", FaultAction::Restore}};
        const auto* targeted = std::find_if(std::begin(kTargeted), std::end(kTargeted),
                                            [&e](const auto& k) { return e.contains(k.first); });
        std::optional<FaultTarget> target;
        if (targeted != std::end(kTargeted)) {
          const std::string key = targeted->first;
          ev.action = targeted->second;
          target = fault_target(e[key], p + "/" + key);
          if (ev.action == FaultAction::Degrade) {
            ev.cpu_factor = e[key].value("cpu_factor", 1.0);
            ev.disk_factor = e[key].value("disk_factor", 1.0);
            if (!e[key].contains("cpu_factor") && !e[key].contains("disk_factor"))
              problem(p + "/degrade", "needs cpu_factor, disk_factor or both");
          }
        } else if (e.contains("heal")) {
          ev.action = FaultAction::Heal;
        } else {
          ev.action = FaultAction::Partition;
          std::set<int> seen;
          for (std::size_t g = 0; g < e["partition"].size(); ++g) {
            std::vector<int> group;
            for (std::size_t h = 0; h < e["partition"][g].size(); ++h) {
              const std::string hp = p + "/partition/" + std::to_string(g) + "/" + std::to_string(h);
              const auto name = e["partition"][g][h].get<std::string>();
              const int host = host_index(name);
              if (host < 0) {
                std::vector<std::string> known;
                for (const auto& x : s_.hosts) known.push_back(x.name);
                problem(hp, "no such host" + suggestion(name, known), e["partition"][g][h]);
              } else if (!seen.insert(host).second) {
                problem(hp, "a host can be in only one group", e["partition"][g][h]);
              } else {
                group.push_back(host);
              }
            }
            ev.groups.push_back(group);
          }
        }
        if (target) ev.target = *target;
        if (e.contains("crash") || e.contains("recover") || e.contains("heal") || e.contains("partition") || target)
          s_.fault_events.push_back(ev);
      }
      std::stable_sort(s_.fault_events.begin(), s_.fault_events.end(),
                       [](const FaultEvent& a, const FaultEvent& b) { return a.at_s < b.at_s; });
    }
    if (f.contains("random")) {
      for (std::size_t i = 0; i < f["random"].size(); ++i) {
        const json& r = f["random"][i];
        const std::string p = "/faults/random/" + std::to_string(i);
        const int targets = static_cast<int>(r.contains("host")) + r.contains("service") + r.contains("replica");
        if (targets != 1) {
          problem(p, "needs exactly one of host, replica or service");
          continue;
        }
        const int failure = static_cast<int>(r.contains("mtbf_s")) + r.contains("availability") +
                            r.contains("time_to_failure_s");
        const int repair = static_cast<int>(r.contains("mttr_s")) + r.contains("time_to_repair_s");
        if (failure != 1) problem(p, "needs exactly one of mtbf_s, availability or time_to_failure_s");
        if (repair != 1) problem(p, "needs exactly one of mttr_s or time_to_repair_s");
        if (r.contains("availability") && !r.contains("mttr_s"))
          problem(p + "/availability", "needs mttr_s (then mtbf = availability / (1 - availability) * mttr)");
        auto target = fault_target(r, p);
        if (!target || failure != 1 || repair != 1 || (r.contains("availability") && !r.contains("mttr_s"))) continue;
        RandomFault rf;
        rf.target = *target;
        rf.time_to_repair_s = r.contains("mttr_s") ? Distribution::exponential(r["mttr_s"].get<double>())
                                                   : distribution(r["time_to_repair_s"], p + "/time_to_repair_s");
        if (r.contains("mtbf_s")) {
          rf.time_to_failure_s = Distribution::exponential(r["mtbf_s"].get<double>());
        } else if (r.contains("availability")) {
          const double a = r["availability"].get<double>();
          rf.time_to_failure_s = Distribution::exponential(a / (1.0 - a) * r["mttr_s"].get<double>());
        } else {
          rf.time_to_failure_s = distribution(r["time_to_failure_s"], p + "/time_to_failure_s");
        }
        const double up = rf.time_to_failure_s.mean(), down = rf.time_to_repair_s.mean();
        if (up <= 0) {
          problem(p, "time to failure must have a positive mean");
          continue;
        }
        if (down <= 0) {
          problem(p, "time to repair must have a positive mean");
          continue;
        }
        rf.configured_availability = up / (up + down);
        s_.random_faults.push_back(rf);
      }
    }
  }

  // ---- limits ------------------------------------------------------------------------
  // What the engine can hold: refuse a scenario that would exhaust SimGrid's threads or
  // memory with a message about the limit, rather than abort deep inside a run.
  static int helpers_per_request(const std::vector<Step>& steps) {
    int n = 0;
    for (const Step& st : steps) {
      if (st.kind == StepKind::Parallel)
        for (const Step& branch : st.children) n += (branch.kind == StepKind::Call ? 0 : 1) + helpers_per_request({branch});
      else if (st.kind == StepKind::Sequence)
        n += helpers_per_request(st.children);
    }
    return n;
  }

  void check_resource_limits() {
    constexpr double kMaxThreads = 30000;  // SimGrid runs out of stacks near 32k actors
    double threads = static_cast<double>(s_.clients.size()) + 16;
    double biggest = -1;
    std::string biggest_service;
    for (const ServiceSpec& svc : s_.services) {
      int helpers = 0;
      for (const auto& e : svc.endpoints) helpers = std::max(helpers, helpers_per_request(e.steps));
      const double per_replica = static_cast<double>(svc.workers) * (1 + helpers) + 5;
      const double total = per_replica * svc.replicas;
      threads += total;
      if (total > biggest) {
        biggest = total;
        biggest_service = svc.name;
      }
    }
    if (threads > kMaxThreads)
      problem("/services/" + biggest_service,
              "the architecture could need up to " + std::to_string(static_cast<long long>(threads)) +
                  " simulated threads (workers, connections, helpers of parallel steps, across replicas); the "
                  "limit is 30000: lower workers, max_connections or replicas");

    const double windows = std::ceil(s_.duration_s / s_.metrics.window_s);
    const double window_bytes = windows * (160.0 + 16.0 * static_cast<double>(s_.hosts.size()));
    if (window_bytes > 512.0 * kMiB)
      problem(j_.contains("metrics") && j_["metrics"].contains("window_s") ? "/metrics/window_s" : "/duration_s",
              "the run would keep " + std::to_string(static_cast<long long>(windows)) + " windows for " +
                  std::to_string(s_.hosts.size()) + (s_.hosts.size() == 1 ? " host" : " hosts") + ", about " +
                  std::to_string(static_cast<long long>(window_bytes / kMiB)) +
                  " MB; the limit is 512 MB: use a longer metrics.window_s");

    double replicated = 0;
    for (const ServiceSpec& svc : s_.services)
      if (svc.replication) replicated += svc.replicas;
    if (replicated > 0)
      for (const ClientSpec& c : s_.clients) {
        const double bytes = static_cast<double>(c.keys.count) * replicated * 2 * 48.0;
        if (bytes > 2048.0 * kMiB)
          problem("/clients/" + c.name + "/keys/count",
                  "replicated databases track a version per key and replica: " + std::to_string(c.keys.count) +
                      " keys could take " + std::to_string(static_cast<long long>(bytes / kMiB)) +
                      " MB; the limit is 2048 MB: use fewer keys");
      }
  }

  void build_metrics() {
    if (!j_.contains("metrics")) return;
    const json& m = j_["metrics"];
    s_.metrics.window_s = m.value("window_s", 1.0);
    if (s_.metrics.window_s > s_.duration_s)
      problem("/metrics/window_s", "must not exceed duration_s (" + json(s_.duration_s).dump() + ")", m["window_s"]);
    if (m.contains("slo")) {
      s_.metrics.slo.success_ratio = m["slo"].value("success_ratio", 0.99);
      if (m["slo"].contains("latency_ms")) s_.metrics.slo.latency_s = m["slo"]["latency_ms"].get<double>() / 1000.0;
    }
  }

  const Document& doc_;
  const json& j_;
  json profile_;
  std::unordered_map<std::string, int> host_names_;
  Scenario s_;
  std::vector<Diagnostic> problems_;
};

}  // namespace

Scenario build_scenario(const Document& document) {
  auto errors = document.attribute(scenario_validator().validate(document.json()));
  if (!errors.empty()) throw InputError(errors);
  return Builder(document).build();
}

Scenario load_scenario(const std::string& path, const LoadOptions& options) {
  Document doc = Document::load(path);
  for (const auto& [key, value] : options.overrides) doc.set(key, value);
  if (options.seed) doc.set("/seed", std::to_string(*options.seed), "--seed");
  if (options.duration_s) doc.set("/duration_s", json(*options.duration_s).dump(), "--duration-s");
  return build_scenario(doc);
}

}  // namespace archsim
