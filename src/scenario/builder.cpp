#include "scenario/builder.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>

#include "core/embedded.hpp"
#include "core/text.hpp"
#include "core/thread_limit.hpp"
#include "core/units.hpp"
#include "scenario/actions.hpp"
#include "scenario/document.hpp"
#include "scenario/schema_validator.hpp"

namespace archsim {

namespace fs = std::filesystem;
using nlohmann::json;

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

// A count in words of a message: whole below 10^15, else in powers of ten (a count from a
// tiny interval would not fit a long long).
std::string count_text(double count) {
  if (count < 1e15) return std::to_string(static_cast<long long>(count));
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", count);
  return text;
}

const SchemaValidator& scenario_validator() {
  static const SchemaValidator validator(json::parse(embedded::scenario_schema()));
  return validator;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

json filled(const json& document) {
  json copy = document;
  scenario_validator().fill_defaults(copy);
  return copy;
}

// Whether JSON pointer `pointer` is `ancestor` or lies under it.
bool under(const std::string& pointer, const std::string& ancestor) {
  return pointer == ancestor || (pointer.rfind(ancestor + "/", 0) == 0);
}

// The service whose replicas (and their own hosts) are named SERVICE-N: the name up to its
// last dash.
std::string service_of_replica(const std::string& name) {
  const auto dash = name.rfind('-');
  return dash == std::string::npos ? std::string() : name.substr(0, dash);
}

}  // namespace

ScenarioBuilder::ScenarioBuilder(const Document& document, const Catalog& catalog, bool tolerant,
                                 std::vector<std::string> pruned)
    : doc_(document),
      tolerant_(tolerant),
      pruned_(std::move(pruned)),
      catalog_(catalog),
      filled_(filled(document.json())),
      root_(filled_, "") {}

template <typename Part>
bool ScenarioBuilder::part(Part&& work) {
  try {
    work();
    return true;
  } catch (const SchemaGap&) {
    if (!tolerant_) throw;
    return false;
  }
}

void ScenarioBuilder::problem(const std::string& pointer, const std::string& rule) {
  problems_.push_back({doc_.origin(pointer), pointer, rule, ""});
}

void ScenarioBuilder::warning(const std::string& pointer, const std::string& text) {
  s_.warnings.push_back(Diagnostic{doc_.origin(pointer), pointer, text, ""}.format());
}

void ScenarioBuilder::problem(const Node& at, const std::string& rule) {
  problems_.push_back({doc_.origin(at.pointer()), at.pointer(), rule, at.describe()});
}

bool ScenarioBuilder::problem_between(const Node& first, const std::string& first_rule, const Node& second,
                                      const std::string& second_rule) {
  // A section changed anywhere inside counts as changed (a --set of one of its steps).
  const std::string first_origin = doc_.changed_last(first.pointer());
  const std::string second_origin = doc_.changed_last(second.pointer());
  // A section (an object, a list) is named by its place alone: its text would tell nothing.
  const auto blame = [this](const Node& at, const std::string& rule) {
    const std::string file = doc_.changed_last(at.pointer());
    problems_.push_back({file, at.pointer(), rule, at.is_object() || at.raw().is_array() ? "" : at.describe()});
  };
  if ((!written(first) && written(second)) || doc_.applied_after(second_origin, first_origin)) {
    blame(second, second_rule);
    return true;
  }
  blame(first, first_rule);
  return false;
}

bool ScenarioBuilder::written(const Node& node) const {
  return doc_.json().contains(json::json_pointer(node.pointer()));
}

std::string ScenarioBuilder::suggestion(const std::string& word, const std::vector<std::string>& known) {
  const std::string close = did_you_mean(word, known);
  if (!close.empty()) return close;
  if (known.empty()) return "";
  return " (known: " + quoted_list(known) + ")";
}

std::vector<std::string> ScenarioBuilder::service_names() const {
  std::vector<std::string> names;
  for (const auto& x : s_.services) names.push_back(x.name);
  return names;
}

std::string ScenarioBuilder::missing(const std::string& what, const std::string& pointer, const std::string& name,
                                     const std::vector<std::string>& known) const {
  // Deleted by a patch or an option (null): that is what to look at, not the names left.
  const std::string by = doc_.removed_by(pointer);
  return by.empty() ? what + suggestion(name, known) : what + " (" + by + " removed it)";
}

int ScenarioBuilder::service_named(const Node& node) {
  const int index = s_.service_index(node.string());
  if (index < 0 && !broken(service_pointer(node.string())))
    problem(node, missing("no such service", service_pointer(node.string()), node.string(), service_names()));
  return index;
}

int ScenarioBuilder::host_named(const Node& node, const std::string& rule) {
  const std::string& name = node.string();
  const int index = host_index(name);
  // Without a profile (it is wrong, and said so) there are no hosts to name: not each missing.
  // Nor when the entry that would have made it is broken: the hosts section's, or a service
  // whose replicas' hosts are named like them.
  const std::string service = service_of_replica(name);
  const bool unknown = broken((json::json_pointer("/hosts") / name).to_string()) ||
                       (!service.empty() && !replicas_known(service));
  if (index < 0 && !profile_.is_null() && !unknown) {
    std::vector<std::string> known;
    for (const auto& h : s_.hosts) known.push_back(h.name);
    // A replica's host goes with its service.
    const bool service_removed = !service.empty() && !doc_.removed_by(service_pointer(service)).empty();
    const std::string removed =
        service_removed ? service_pointer(service) : (json::json_pointer("/hosts") / name).to_string();
    problem(node, missing(rule, removed, name, known));
  }
  return index;
}

Scenario ScenarioBuilder::build() {
  s_.catalog = &catalog_;
  s_.file = doc_.path();
  s_.name = printable(fs::path(doc_.path()).stem().string());
  part([&] {
    if (root_.has("name")) s_.name = root_.at("name").string();
    s_.description = root_.at("description").string();
    s_.seed = root_.at("seed").unsigned_integer();
  });
  // A duration or warm-up that breaks the schema is reported by it: nothing is compared
  // with it (the value read in its place would be made up).
  s_.duration_s = 1;
  duration_known_ = part([&] { s_.duration_s = root_.at("duration_s").number(); });
  const bool warmup_known = part([&] {
    if (root_.at("warmup_s").is("auto"))
      s_.warmup_auto = true;  // 0 until the run has chosen it
    else
      s_.warmup_s = root_.at("warmup_s").number();
  });
  if (duration_known_ && warmup_known && s_.warmup_s >= s_.duration_s)
    duration_blamed_ = problem_between(root_.at("warmup_s"), "must be less than duration_s (" + json(s_.duration_s).dump() + ")",
                    root_.at("duration_s"), "must be greater than warmup_s (" + json(s_.warmup_s).dump() + ")");

  part([&] { build_platform(); });
  build_hosts();
  build_services();
  build_clients();
  // The calls are all known now: one graph for the cycle check and the reach warning.
  const CallGraph calls = call_graph();
  check_call_cycles(calls);
  build_timeline();
  build_random_faults();
  part([&] { build_metrics(); });
  part([&] { build_cost(); });
  // The limits need a whole scenario: not one with parts left out.
  if (problems_.empty() && !tolerant_) mark_hosts_that_may_run();
  if (problems_.empty() && !tolerant_) check_resource_limits();
  if (problems_.empty() && !tolerant_) warn_unreached_services(calls);
  if (problems_.empty() && !tolerant_) warn_hopeless_exchanges();
  if (!problems_.empty()) throw InputError(problems_);
  return std::move(s_);
}

// ---- platform ---------------------------------------------------------------------

void ScenarioBuilder::build_platform() {
  json profile;
  const Node platform = root_.at("platform");
  const std::string name = platform.at("profile").string();
  if (name == "default") {
    profile = json::parse(embedded::default_profile());
  } else {
    // Relative to the file that named the profile; from --set, to the current directory.
    const std::string origin = doc_.origin("/platform/profile");
    const fs::path base = origin.rfind("--set", 0) == 0 ? fs::path() : fs::path(origin).parent_path();
    const std::string profile_file = (base / name).lexically_normal().string();
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
          problem(platform.at("profile"), d.rule == "cannot read file: no such file"
                                              ? "hardware profile file not found: " + profile_file
                                              : "hardware profile " + profile_file + ": " + d.rule);
          continue;
        }
        problems_.push_back(d);
      }
      return;
    }
  }
  // What the scenario itself writes (the schema's defaults of the platform section are the
  // profile's to give, not to override it with).
  json overrides = doc_.json().contains("platform") ? doc_.json()["platform"] : json::object();
  overrides.erase("profile");
  overrides.erase("regions");
  overrides.erase("home_region");
  profile.merge_patch(overrides);
  scenario_validator().fill_defaults(profile, "/$defs/profile");
  profile_ = profile;
  const Node p(profile_, "/platform");

  PlatformSpec& spec = s_.platform;
  spec.profile = name;
  const Node n = p.at("network");
  spec.network.datacenter_rtt_s = n.at("datacenter_rtt_ms").number() / 1000.0;
  spec.network.nic_bytes_per_s = n.at("nic_gbps").number() * kBytesPerGbps;
  spec.network.loopback_rtt_s = n.at("loopback_rtt_ms").number() / 1000.0;
  spec.network.client_rtt_s = n.at("client_rtt_ms").number() / 1000.0;
  spec.network.client_bytes_per_s = n.at("client_gbps").number() * kBytesPerGbps;
  spec.memory_read_bytes_per_s = kMiB / (p.at("memory").at("read_us_per_mb").number() / 1e6);
  for (const auto& [type, disk] : p.at("disks").members()) spec.disks[type] = disk_from(disk, type);
  build_regions(platform);
  spec.host_defaults = host_from(profile_["host"], Node(json::object(), "/platform/host"), "default", true);
}

void ScenarioBuilder::build_regions(const Node& platform) {
  PlatformSpec& spec = s_.platform;
  if (!platform.has("regions")) {
    if (platform.has("home_region")) problem(platform.at("home_region"), "needs regions");
    return;
  }
  const auto regions = platform.at("regions").members();
  spec.regions.clear();
  for (const auto& [name, r] : regions) spec.regions.push_back(name);
  const std::size_t n = spec.regions.size();
  spec.region_rtt_s.assign(n * n, -1.0);
  for (std::size_t i = 0; i < n; ++i) spec.region_rtt_s[i * n + i] = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const Node& r = regions[i].second;
    if (!r.has("rtt_ms")) continue;
    for (const auto& [other, rtt] : r.at("rtt_ms").members()) {
      const auto j = static_cast<std::size_t>(
          std::find(spec.regions.begin(), spec.regions.end(), other) - spec.regions.begin());
      if (j == n) {
        problem(rtt, "no such region" + suggestion(other, spec.regions));
        continue;
      }
      if (j == i) {
        problem(rtt, "a region's own round trip is the datacenter's (network.datacenter_rtt_ms)");
        continue;
      }
      const double s = rtt.number() / 1000.0;
      const double given = spec.region_rtt_s[i * n + j];
      if (given >= 0 && given != s) {
        problem(rtt, "differs from the round trip " + other + " gives to " + spec.regions[i] + " (" +
                         fixed_text(given * 1000.0, 3) + " ms)");
        continue;
      }
      spec.region_rtt_s[i * n + j] = spec.region_rtt_s[j * n + i] = s;
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j)
      if (spec.region_rtt_s[i * n + j] < 0) {
        problem(platform.pointer() + "/regions/" + spec.regions[i],
                "no round trip to region " + spec.regions[j] + " (give rtt_ms." + spec.regions[j] + " here or rtt_ms." +
                    spec.regions[i] + " in " + spec.regions[j] + ")");
        spec.region_rtt_s[i * n + j] = spec.region_rtt_s[j * n + i] = 0.0;
      }
  if (!platform.has("home_region")) {
    if (n > 1) problem(platform.pointer() + "/regions", "needs home_region: where hosts and clients that name no region sit");
    return;
  }
  spec.home_region = region_named(platform.at("home_region"));
  if (spec.home_region < 0) spec.home_region = 0;
}

int ScenarioBuilder::region_named(const Node& node) {
  const auto& regions = s_.platform.regions;
  const auto it = std::find(regions.begin(), regions.end(), node.string());
  if (it != regions.end()) return static_cast<int>(it - regions.begin());
  if (broken("/platform/regions")) return -1;
  problem(node, (regions.size() == 1 && regions[0] == "home" ? std::string("no regions in platform.regions")
                                                              : "no such region" + suggestion(node.string(), regions)));
  return -1;
}

DiskSpec ScenarioBuilder::disk_from(const Node& d, const std::string& type) {
  DiskSpec disk;
  disk.type = type;
  disk.read_bytes_per_s = kMiB / (d.at("read_ms_per_mb").number() / 1000.0);
  disk.write_bytes_per_s = kMiB / (d.at("write_ms_per_mb").number() / 1000.0);
  disk.seek_s = d.at("seek_ms").number() / 1000.0;
  disk.parallelism = d.at("parallelism").integer();
  return disk;
}

HostSpec ScenarioBuilder::host_from(const json& defaults, const Node& spec, const std::string& name,
                                    bool inherited_disk) {
  json merged = defaults;
  merged.merge_patch(spec.raw());
  scenario_validator().fill_defaults(merged, "/$defs/host_spec");
  const Node m(merged, spec.pointer());
  HostSpec h;
  h.name = name;
  h.cores = m.at("cores").integer();
  h.core_speed = m.at("core_speed").number();
  h.region = s_.platform.home_region;
  if (m.has("region")) h.region = std::max(0, region_named(m.at("region")));
  // One setting, one meaning: a host's NIC runs at the network's nic_gbps unless it sets its own.
  h.nic_bytes_per_s =
      m.has("nic_gbps") ? m.at("nic_gbps").number() * kBytesPerGbps : s_.platform.network.nic_bytes_per_s;
  const Node disk = m.at("disk");
  if (disk.is_string()) {
    auto it = s_.platform.disks.find(disk.string());
    if (it == s_.platform.disks.end()) {
      std::vector<std::string> known;
      for (const auto& [k, v] : s_.platform.disks) known.push_back(k);
      const bool own = !inherited_disk && spec.has("disk");
      problems_.push_back({doc_.origin(own ? disk.pointer() : "/platform/host/disk"),
                           own ? disk.pointer() : "/platform/host/disk",
                           "unknown disk type (the profile has: " + quoted_list(known) + ")", disk.describe()});
    } else {
      h.disk = it->second;
    }
  } else {
    h.disk = disk_from(disk, "custom");
  }
  return h;
}

// ---- hosts ------------------------------------------------------------------------

void ScenarioBuilder::build_hosts() {
  if (profile_.is_null()) return;
  if (root_.has("hosts"))
    for (const auto& [name, spec] : root_.at("hosts").members())
      part([&, name = name, spec = spec] { add_host(host_from(profile_["host"], spec, name, false)); });
}

// Hosts are looked up by name through a map: a tier may have 100,000 replicas.
void ScenarioBuilder::add_host(HostSpec h) {
  host_names_.emplace(h.name, static_cast<int>(s_.hosts.size()));
  s_.hosts.push_back(std::move(h));
}

int ScenarioBuilder::host_index(const std::string& name) const {
  auto it = host_names_.find(name);
  return it == host_names_.end() ? -1 : it->second;
}

// ---- services ---------------------------------------------------------------------

void ScenarioBuilder::build_services() {
  std::vector<std::pair<std::string, Node>> services;
  part([&] { services = root_.at("services").members(); });
  // First pass: names, endpoints and each kind's own options, so that calls and
  // references can name any service. (A service whose kind cannot be typed keeps its name
  // and endpoints, so that references to it resolve, and is skipped afterwards.)
  for (const auto& [name, v] : services) {
    ServiceSpec svc;
    svc.name = name;
    part([&, v = v] {
      if (v.has("endpoints"))
        for (const auto& [ep, e] : v.at("endpoints").members())
          svc.endpoints.push_back({ep, {}, e.has("access") && e.at("access").is("write")});
      svc.kind = catalog_.service_kind(v.at("kind").string());
      if (!svc.kind) throw SchemaGap("no service kind " + v.at("kind").string() + " in the catalog (see the schema)");
      svc.replicas = v.at("replicas").integer();
      svc.max_replicas = v.has("max_replicas") ? v.at("max_replicas").integer() : svc.replicas;
      svc.queue_limit = v.at("queue_limit").integer();
      svc.buffer_cache_hit_ratio = v.at("buffer_cache_hit_ratio").number();
      svc.startup_s = v.at("startup_s").number();
    });
    if (tolerant_ && (svc.replicas < 1 || svc.max_replicas < svc.replicas)) svc.kind = nullptr;
    s_.services.push_back(std::move(svc));
  }
  for (std::size_t i = 0; i < services.size(); ++i) {
    ServiceSpec& svc = s_.services[i];
    if (!svc.kind) continue;
    // A kind whose options could not be typed is skipped from here on, as an untyped one is
    // (its problems are reported; the references to it resolve and say nothing more).
    if (!part([&] { svc.kind->parse(svc, services[i].second, *this); })) {
      svc.kind = nullptr;
      svc.options = nullptr;
      continue;
    }
    if (svc.max_replicas < svc.replicas)
      problem(services[i].second.at("max_replicas"),
              "must be at least replicas (" + std::to_string(svc.replicas) + ")");
  }
  // Second pass: references between services (a balancer takes its backend's endpoints).
  for (std::size_t i = 0; i < services.size(); ++i)
    if (s_.services[i].kind) part([&] { s_.services[i].kind->resolve(s_.services[i], services[i].second, *this); });
  copy_followed_endpoints();
  // Third pass: placement, health checks, what the kind finishes, steps and pools.
  for (std::size_t i = 0; i < services.size(); ++i)
    if (s_.services[i].kind) part([&] { finish_service(static_cast<int>(i), services[i].second); });
}

std::string ScenarioBuilder::kinds_with_access_modes() const {
  std::string names;
  for (const ServiceKind* kind : catalog_.service_kinds())
    if (kind->has_access_modes()) names += std::string(names.empty() ? "kind " : " or ") + kind->name();
  return names.empty() ? "no kind" : names;
}

void ScenarioBuilder::finish_service(int i, const Node& v) {
  {
    ServiceSpec& svc = s_.services[static_cast<std::size_t>(i)];
    const std::string base = v.pointer();
    place_replicas(svc, v.at("host"));
    if (v.has("health_check")) svc.health_check = health_check(v.at("health_check"));
    if (!svc.kind->has_access_modes() && v.has("endpoints"))
      for (const auto& [ep, e] : v.at("endpoints").members())
        if (written(e.at("access")))
          problem(e.pointer() + "/access", "only endpoints of " + kinds_with_access_modes() + " are reads or writes");
    svc.kind->finish(svc, v, *this);
    if (!svc.health_check && svc.kind->needs_health_check(svc))
      svc.health_check = health_check(defaults("/$defs/health_check", base + "/health_check"));
    if (v.has("endpoints")) {
      std::size_t e = 0;
      for (const auto& [ep, node] : v.at("endpoints").members()) {
        const Node list = node.at("steps");
        svc.endpoints[e].steps = steps(list, {i, false});
        check_forward_position(svc.endpoints[e].steps, list.pointer());
        ++e;
      }
    }
    if (v.has("connection_pools")) build_pools(svc, v.at("connection_pools"), i);
  }
}

void ScenarioBuilder::build_pools(ServiceSpec& svc, const Node& pools, int index) {
  const auto called = called_services(index);
  for (const auto& [name, p] : pools.members()) {
    const int target = s_.service_index(name);
    if (target < 0) {
      if (!broken(service_pointer(name)))
        problem(p.pointer(), missing("no such service", service_pointer(name), name, service_names()));
      continue;
    }
    if (!called.count(target) && !broken(service_pointer(svc.name) + "/endpoints")) {
      // Blamed on the steps when they changed last (a call removed by an option).
      const Node own = root_.at("services").at(svc.name);
      const std::string steps = own.has("endpoints") ? "endpoints" : own.has("steps") ? "steps" : "";
      if (steps.empty())
        problem(p.pointer(), "this service never calls " + name);
      else
        problem_between(p, "this service never calls " + name, own.at(steps),
                        "no step calls " + name + ", which connection_pools gives a pool");
    }
    svc.pools.push_back({target, p.at("size").integer(), p.at("timeout_ms").number() / 1000.0});
  }
}

HealthCheckSpec ScenarioBuilder::health_check(const Node& v) const {
  HealthCheckSpec h;
  h.interval_s = v.at("interval_ms").number() / 1000.0;
  h.timeout_s = v.at("timeout_ms").number() / 1000.0;
  h.unhealthy_threshold = v.at("unhealthy_threshold").integer();
  h.healthy_threshold = v.at("healthy_threshold").integer();
  return h;
}

Node ScenarioBuilder::defaults(const std::string& schema_pointer, const std::string& pointer) {
  json value = json::object();
  scenario_validator().fill_defaults(value, schema_pointer);
  synthesized_.push_back(std::move(value));
  return Node(synthesized_.back(), pointer);
}

void ScenarioBuilder::place_replicas(ServiceSpec& svc, const Node& host) {
  if (host.is_string()) {
    const int h = host_named(host, "no such host in the hosts section");
    if (h >= 0)
      svc.replica_hosts.assign(static_cast<std::size_t>(svc.max_replicas), h);
    else
      unplaced_.insert(svc.name);  // said: which hosts its replicas have is unknown
    return;
  }
  if (profile_.is_null()) return;
  svc.dedicated_hosts = true;
  const HostSpec machine = host_from(profile_["host"], host, svc.name, false);  // one per replica, alike
  for (int r = 0; r < svc.max_replicas; ++r) {
    const std::string name = svc.replica_name(r);
    if (host_index(name) >= 0) {
      problem(host.pointer(), "the dedicated host name " + name + " is already taken by another host");
      return;
    }
    HostSpec spec = machine;
    spec.name = name;
    spec.parked = r >= svc.replicas;
    add_host(std::move(spec));
    svc.replica_hosts.push_back(static_cast<int>(s_.hosts.size()) - 1);
  }
}

std::vector<Step> ScenarioBuilder::steps(const Node& list, const StepPlace& place) {
  std::vector<Step> out;
  for (const Node& v : list.elements()) {
    part([&] {
      Step step;
      step.kind = catalog_.step_kind_of(v);
      if (!step.kind) throw SchemaGap("step at " + v.pointer() + " has no kind in the catalog (see the schema)");
      step.probability = v.at("probability").number();
      step.kind->parse(step, v, place, *this);
      out.push_back(std::move(step));
    });
  }
  return out;
}

void ScenarioBuilder::check_forward_position(const std::vector<Step>& list, const std::string& pointer) {
  for (std::size_t i = 0; i + 1 < list.size(); ++i)
    if (list[i].kind->ends_endpoint())
      problem(pointer + "/" + std::to_string(i), "a forward must be the last step of its endpoint");
}

int ScenarioBuilder::hop(int from, int to, int endpoint) {
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

std::set<int> ScenarioBuilder::called_services(int service) const {
  std::set<int> out;
  for (const auto& e : s_.services[static_cast<std::size_t>(service)].endpoints)
    for_each_step(e.steps, [&](const Step& st) {
      if (const auto t = st.kind->target(st); t && t->service >= 0) out.insert(t->service);
    });
  return out;
}

Distribution ScenarioBuilder::distribution(const Node& v) {
  if (v.is_number()) return Distribution::constant(v.number());
  const std::string& dist = v.at("dist").string();
  if (dist == "constant") return Distribution::constant(v.at("value").number());
  if (dist == "exponential") return Distribution::exponential(v.at("mean").number());
  if (dist == "lognormal") {
    const double mean = v.at("mean").number();
    const double p99 = v.at("p99").number();
    auto d = Distribution::lognormal(mean, p99);
    if (!d) {
      if (p99 <= mean)
        problem(v.at("p99"), "must be greater than mean for a lognormal");
      else
        problem(v.at("p99"), "a lognormal's p99 can be at most " +
                                 std::to_string(Distribution::max_lognormal_p99_ratio()) + " times its mean");
      return Distribution::constant(mean);
    }
    return *d;
  }
  if (dist == "uniform") {
    const double lo = v.at("min").number(), hi = v.at("max").number();
    if (lo > hi) problem(v.at("max"), "must be >= min");
    return Distribution::uniform(lo, hi);
  }
  return Distribution::empirical(v.at("values").numbers());
}

// ---- call graph -------------------------------------------------------------------

ScenarioBuilder::CallGraph ScenarioBuilder::call_graph() const {
  CallGraph g;
  g.base.resize(s_.services.size());
  for (std::size_t s = 0; s < s_.services.size(); ++s) {
    g.base[s].resize(s_.services[s].endpoints.size());
    for (auto& b : g.base[s]) b = g.total++;
  }
  g.edges.resize(static_cast<std::size_t>(g.total));
  g.names.resize(static_cast<std::size_t>(g.total));
  for (std::size_t s = 0; s < s_.services.size(); ++s)
    for (std::size_t e = 0; e < s_.services[s].endpoints.size(); ++e) {
      auto& out = g.edges[static_cast<std::size_t>(g.base[s][e])];
      const auto add = [&](CallTarget t) {
        if (t.service >= 0 && t.endpoint >= 0 && static_cast<std::size_t>(t.service) < g.base.size() &&
            static_cast<std::size_t>(t.endpoint) < g.base[static_cast<std::size_t>(t.service)].size())
          out.push_back(g.base[static_cast<std::size_t>(t.service)][static_cast<std::size_t>(t.endpoint)]);
      };
      for_each_step(s_.services[s].endpoints[e].steps, [&](const Step& st) {
        if (const auto t = st.kind->target(st)) add(*t);
      });
      g.names[static_cast<std::size_t>(g.base[s][e])] = {static_cast<int>(s), static_cast<int>(e)};
      if (s_.services[s].kind) s_.services[s].kind->edges(s_.services[s], static_cast<int>(e), add);
    }
  return g;
}

void ScenarioBuilder::warn_unreached_services(const CallGraph& g) {
  // From the endpoints the clients ask for, along every call, forward and kind's own hop.
  std::vector<bool> reached(static_cast<std::size_t>(g.total), false);
  std::vector<int> todo;
  for (const ClientSpec& c : s_.clients)
    for (const OperationSpec& op : c.operations)
      if (c.target >= 0 && op.endpoint >= 0) todo.push_back(g.base[static_cast<std::size_t>(c.target)][static_cast<std::size_t>(op.endpoint)]);
  while (!todo.empty()) {
    const int n = todo.back();
    todo.pop_back();
    if (reached[static_cast<std::size_t>(n)]) continue;
    reached[static_cast<std::size_t>(n)] = true;
    for (int m : g.edges[static_cast<std::size_t>(n)]) todo.push_back(m);
  }
  for (std::size_t s = 0; s < s_.services.size(); ++s) {
    const ServiceSpec& svc = s_.services[s];
    if (!svc.kind || g.base[s].empty()) continue;
    if (std::any_of(g.base[s].begin(), g.base[s].end(), [&](int n) { return reached[static_cast<std::size_t>(n)]; }))
      continue;
    warning(service_pointer(svc.name),
            std::string("no request reaches it (") +
                (svc.kind->reached_by() ? std::string("it is reached by ") + svc.kind->reached_by()
                                        : std::string("no client targets it and no step calls it")) +
                "): it serves nothing, and its hosts are billed");
  }
}

void ScenarioBuilder::exchange(int from, int to, double request_bytes, double response_bytes, double timeout_s,
                               const std::string& pointer) {
  if (to >= 0 && timeout_s > 0) exchanges_.push_back({from, to, request_bytes + response_bytes, timeout_s, pointer});
}

void ScenarioBuilder::warn_hopeless_exchanges() {
  const auto fastest_nic = [this](int service) {
    double best = 0;
    for (int h : s_.services[static_cast<std::size_t>(service)].replica_hosts)
      if (h >= 0 && static_cast<std::size_t>(h) < s_.hosts.size())
        best = std::max(best, s_.hosts[static_cast<std::size_t>(h)].nic_bytes_per_s);
    return best;
  };
  const auto share_a_host = [this](int a, int b) {
    const auto& ha = s_.services[static_cast<std::size_t>(a)].replica_hosts;
    const auto& hb = s_.services[static_cast<std::size_t>(b)].replica_hosts;
    return std::any_of(ha.begin(), ha.end(), [&hb](int h) { return std::find(hb.begin(), hb.end(), h) != hb.end(); });
  };
  for (const Exchange& x : exchanges_) {
    if (x.from >= 0 && share_a_host(x.from, x.to)) continue;  // may go through the loopback, not a NIC
    const double from = x.from < 0 ? s_.platform.network.client_bytes_per_s : fastest_nic(x.from);
    const double rate = std::min(from, fastest_nic(x.to));
    if (!(rate > 0) || x.bytes / rate <= x.timeout_s) continue;
    const auto ms = [](double s) { return count_text(std::ceil(1000.0 * s)); };
    warning(x.pointer, "its " + count_text(std::ceil(x.bytes / kKiB)) + " KiB (request and reply) take " +
                           ms(x.bytes / rate) + " ms through the NICs at best, longer than its timeout (" +
                           ms(x.timeout_s) + " ms): every one times out");
  }
}

void ScenarioBuilder::check_call_cycles(const CallGraph& graph) {
  // A cycle would recurse forever.
  const auto& edges = graph.edges;
  const auto& names = graph.names;
  const int total = graph.total;
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
        // At the steps of an endpoint of the cycle the file holds (a consumer's are its
        // steps; a broker's publish endpoints are not written anywhere): the one changed
        // last, else the first.
        std::string blamed = service_pointer(svc.name);
        std::string file = doc_.changed_last(blamed);
        bool found = false;
        for (auto it = start; it != stack.end(); ++it) {
          const auto [ns, ne] = names[static_cast<std::size_t>(*it)];
          const ServiceSpec& member = s_.services[static_cast<std::size_t>(ns)];
          const std::string own = service_pointer(member.name);
          for (const std::string& at : {own + "/endpoints" + pointer_token(member.endpoints[static_cast<std::size_t>(ne)].name),
                                        own + "/steps"}) {
            if (!doc_.json().contains(json::json_pointer(at))) continue;
            // Changed anywhere inside (a --set of one step closing the cycle) counts.
            if (!found || doc_.applied_after(doc_.changed_last(at), file)) {
              blamed = at;
              file = doc_.changed_last(at);
            }
            found = true;
            break;
          }
        }
        problems_.push_back({file, blamed, "calls form a cycle: " + path, ""});
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

void ScenarioBuilder::build_clients() {
  std::map<std::string, std::string> operation_owner;
  std::vector<std::pair<std::string, Node>> clients;
  part([&] { clients = root_.at("clients").members(); });
  for (const auto& member : clients) {
    part([&] {
      const std::string& name = member.first;
      const Node& v = member.second;
      ClientSpec c;
      c.name = name;
      c.model = v.at("model").is("closed")   ? ClientModel::Closed
                : v.at("model").is("replay") ? ClientModel::Replay
                                             : ClientModel::Open;
      c.timeout_s = v.at("timeout_ms").number() / 1000.0;
      c.target = service_named(v.at("target"));
      if (c.target >= 0) {
        const ServiceSpec& svc = s_.services[static_cast<std::size_t>(c.target)];
        if (svc.kind && svc.kind->reached_by()) {
          problem(v.at("target"), "service " + svc.name + " (kind " + svc.kind->name() +
                                      ") takes no client requests: it is reached by " + svc.kind->reached_by());
          c.target = -1;
        }
      }
      for (const auto& [op_name, o] : v.at("operations").members()) {
        OperationSpec op;
        op.name = op_name;
        if (c.model == ClientModel::Replay) {
          if (o.has("weight"))
            problem(o.at("weight"), "not used when replaying a log: the log says which operation each request is");
        } else if (!o.has("weight")) {
          problem(o.pointer() + "/weight", "required key is missing");
        } else {
          op.weight = o.at("weight").number();
        }
        op.request_bytes = o.at("request_kb").number() * kKiB;
        op.response_bytes = o.at("response_kb").number() * kKiB;
        if (c.target >= 0) {
          op.endpoint = endpoint_named(c.target, o.at("endpoint"), v.at("target"));
          // A replayed request's size comes from its log line.
          if (c.model != ClientModel::Replay)
            exchange(-1, c.target, op.request_bytes, op.response_bytes, c.timeout_s, o.pointer());
        }
        auto [owner, inserted] = operation_owner.emplace(op.name, c.name);
        if (!inserted)
          problem(o.pointer(), "operation names must be unique across clients; " + owner->second + " has one too");
        c.operations.push_back(op);
      }
      c.region = v.has("region") ? std::max(0, region_named(v.at("region"))) : s_.platform.home_region;
      c.keys.count = v.at("keys").at("count").unsigned_integer();
      c.keys.zipf_s = v.at("keys").at("zipf_s").number();
      c.keys.first = v.at("keys").at("first").unsigned_integer();
      const Node sessions = v.at("sessions");
      c.sessions.mean_requests = sessions.at("mean_requests").number();
      c.sessions.active = sessions.at("active").unsigned_integer();
      if (c.model == ClientModel::Closed && written(sessions.at("active")))
        problem(sessions.pointer() + "/active", "closed-loop clients have one session per user");
      if (v.has("retry")) {
        const Node r = v.at("retry");
        RetrySpec spec;
        spec.max_attempts = r.at("max_attempts").integer();
        spec.backoff_s = r.at("backoff_ms").number() / 1000.0;
        spec.multiplier = r.at("multiplier").number();
        spec.max_backoff_s = r.at("max_backoff_ms").number() / 1000.0;
        const std::string& jitter = r.at("jitter").string();
        spec.jitter = jitter == "none" ? Jitter::None : jitter == "equal" ? Jitter::Equal : Jitter::Full;
        if (r.has("budget_ratio")) spec.budget_ratio = r.at("budget_ratio").number();
        spec.budget_reserve = r.at("budget_reserve").number();
        for (const auto& cause : r.at("on").strings())
          if (const auto o = outcome_from_string(cause)) spec.retry_on[static_cast<std::size_t>(*o)] = true;
        c.retry = spec;
      }
      if (c.model == ClientModel::Replay) {
        read_access_log(c, v);
      } else if (c.model == ClientModel::Open) {
        c.rate_rps = v.at("rate_rps").number();
        c.linear_schedule = v.at("schedule_shape").is("linear");
        if (written(v.at("schedule_shape")) && !v.has("schedule"))
          problem(v.pointer() + "/schedule_shape", "only used with a schedule");
        if (v.has("schedule")) {
          double last = -1;
          for (const Node& p : v.at("schedule").elements()) {
            const RatePoint point{p.at("at_s").number(), p.at("rate_rps").number()};
            if (point.at_s <= last)
              problem(p.at("at_s"), "schedule times must increase (previous point is at " + json(last).dump() + " s)");
            last = point.at_s;
            c.schedule.push_back(point);
          }
        }
      } else {
        c.users = v.at("users").integer();
        c.think_ms = distribution(v.at("think_ms"));
      }
      s_.clients.push_back(std::move(c));
    });
  }
}

void ScenarioBuilder::read_access_log(ClientSpec& c, const Node& v) {
  ReplaySpec r;
  r.loop = v.at("loop").boolean();
  r.speed = v.at("speed").number();
  const Node log = v.at("log");
  // Relative to the file that named the log; from --set, to the current directory.
  const std::string origin = doc_.origin(log.pointer());
  const fs::path base = origin.rfind("--set", 0) == 0 ? fs::path() : fs::path(origin).parent_path();
  r.path = (base / log.string()).lexically_normal().string();
  std::error_code error;
  if (fs::is_directory(r.path, error)) {
    problem(log, "access log is a folder, not a file: " + r.path);
    return;
  }
  // A device or a pipe would be read for ever (/dev/zero), or block (a named pipe).
  if (fs::exists(r.path, error) && !fs::is_regular_file(r.path, error)) {
    problem(log, "access log is not a regular file (a device or a pipe): " + r.path);
    return;
  }
  std::ifstream in(r.path);
  if (!in) {
    problem(log, (fs::exists(r.path, error) ? "access log cannot be read: " : "access log not found: ") + r.path);
    return;
  }
  std::map<std::string, std::size_t> operations;
  for (std::size_t o = 0; o < c.operations.size(); ++o) operations.emplace(c.operations[o].name, o);
  std::vector<double> counts(c.operations.size(), 0.0);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // a UTF-8 byte order mark, as spreadsheets write
  const auto header = split_csv_line(line);
  const bool sized = header.size() == 4 && header[3] == "size_kb";
  if (header.size() < 3 || header[0] != "time_s" || header[1] != "operation" || header[2] != "key" ||
      (header.size() == 4 && !sized) || header.size() > 4) {
    problem(log.pointer(), "expected the header time_s,operation,key or time_s,operation,key,size_kb (" + r.path +
                               " line 1)");
    return;
  }
  int errors = 0;
  double last = -std::numeric_limits<double>::infinity();
  for (std::uint64_t number = 2; std::getline(in, line) && errors < 5; ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto fields = split_csv_line(line);
    const std::string where = " (" + r.path + " line " + std::to_string(number) + ")";
    // A whole field that is a finite number.
    const auto parse = [](const std::string& text, double& value) {
      char* end = nullptr;
      value = std::strtod(text.c_str(), &end);
      return !text.empty() && *end == '\0' && std::isfinite(value);
    };
    std::string rule;
    double time = 0, size = 0;
    if (fields.size() != header.size()) {
      rule = "expected " + std::to_string(header.size()) + " fields";
    } else if (!parse(fields[0], time)) {
      rule = "time_s is not a number";
    } else if (time < last) {
      rule = "times must not decrease";
    } else if (!operations.count(fields[1])) {
      rule = "no operation " + fields[1] + " in clients." + c.name + ".operations";
    } else if (fields[2].empty() || fields[2].find_first_not_of("0123456789") != std::string::npos ||
               fields[2].size() > 19) {
      rule = "key is not a whole number";
    } else if (sized && !fields[3].empty() && (!parse(fields[3], size) || size < 0)) {
      rule = "size_kb is not a number >= 0";
    } else if (const auto beyond = scenario_validator().validate(size, "/$defs/operation/properties/response_kb");
               !beyond.empty()) {
      rule = "size_kb " + beyond.front().rule + ", as response_kb (got " + fields[3] + ")";
    }
    if (!rule.empty()) {
      problem(log.pointer(), rule + where);
      ++errors;
      continue;
    }
    if (r.lines == 0) r.first_time_s = time;
    last = time;
    ++r.lines;
    counts[operations[fields[1]]] += 1;
  }
  if (errors) return;
  if (r.lines == 0) {
    problem(log.pointer(), "no requests in " + r.path);
    return;
  }
  r.span_s = last - r.first_time_s;
  // The mean rate, and each operation's share of the log: what the utilisation law uses.
  c.rate_rps = static_cast<double>(r.lines) / (r.period_s() / r.speed);
  // Looped, the log repeats for the whole run: at most the rate an open client may have (a
  // gap of 1e-300 s would repeat it without end at one instant).
  if (r.loop && !scenario_validator().validate(json(c.rate_rps), "/$defs/client/oneOf/0/properties/rate_rps").empty()) {
    problem(log.pointer(), "looped, its " + std::to_string(r.lines) + " requests every " + json(r.period_s()).dump() +
                               " s (at speed " + json(r.speed).dump() +
                               ") come faster than an open client's rate_rps may be (10,000,000 per second): "
                               "spread its times, or lower speed (" + r.path + ")");
    return;
  }
  // A loop of lines that share one time has no span to repeat over: it repeats every second.
  if (r.loop && !(r.span_s > 0))
    warning(log.pointer(), "its " + std::string(r.lines == 1 ? "line has" : "lines share") +
                               " one time: looped, it repeats every 1 s of log time (" +
                               json(1.0 / r.speed).dump() + " s at speed " + json(r.speed).dump() + ") (" + r.path + ")");
  for (std::size_t o = 0; o < c.operations.size(); ++o) c.operations[o].weight = counts[o];
  c.replay = r;
}

// ---- the timeline and random faults ------------------------------------------------

std::string ScenarioBuilder::service_pointer(const std::string& name) {
  return (json::json_pointer("/services") / name).to_string();
}

bool ScenarioBuilder::broken(const std::string& pointer) const {
  for (const std::string& p : pruned_)
    if (under(pointer, p) || under(p, pointer)) return true;
  return false;
}

bool ScenarioBuilder::replicas_known(const std::string& service) const {
  const std::string spec = service_pointer(service);
  if (broken(spec + "/replicas") || broken(spec + "/max_replicas") || broken(spec + "/host") ||
      broken(spec + "/kind") || unplaced_.count(service))
    return false;
  const int index = s_.service_index(service);
  return index < 0 || s_.services[static_cast<std::size_t>(index)].kind != nullptr;  // untyped: not known
}

bool ScenarioBuilder::endpoints_known(int index) const {
  // A chain of balancers is at most as long as the list of services (a loop is an error).
  for (std::size_t hops = 0; index >= 0 && hops <= s_.services.size(); ++hops) {
    const ServiceSpec& svc = s_.services[static_cast<std::size_t>(index)];
    if (tolerant_ && (!svc.kind || broken(service_pointer(svc.name) + "/endpoints"))) return false;
    const auto from = endpoints_from_.find(index);
    if (from == endpoints_from_.end()) return true;
    index = from->second.source;
  }
  return false;
}

void ScenarioBuilder::endpoints_follow(int index, int source, const std::string& by) {
  endpoints_from_[index] = Follow{source, by};
}

void ScenarioBuilder::copy_followed_endpoints() {
  enum class Mark { Unseen, Copying, Done };
  std::vector<Mark> mark(s_.services.size(), Mark::Unseen);
  // Copies the endpoints of the chain behind `index` from its end; false if it loops.
  std::function<bool(int)> copy = [&](int index) {
    Mark& m = mark[static_cast<std::size_t>(index)];
    if (m == Mark::Done) return true;
    const auto from = endpoints_from_.find(index);
    if (from == endpoints_from_.end() || from->second.source < 0) {
      m = Mark::Done;
      return true;
    }
    if (m == Mark::Copying) return false;
    m = Mark::Copying;
    const int source = from->second.source;
    if (!copy(source)) return false;
    ServiceSpec& svc = s_.services[static_cast<std::size_t>(index)];
    svc.endpoints.clear();
    for (const auto& e : s_.services[static_cast<std::size_t>(source)].endpoints)
      svc.endpoints.push_back({e.name, {}, false});
    m = Mark::Done;
    return true;
  };
  for (std::size_t i = 0; i < s_.services.size(); ++i) {
    if (copy(static_cast<int>(i))) continue;
    // A loop: reported once, at the service of it that comes first, and each service of it
    // (or leading to it) has endpoints that are not known from here on.
    std::vector<int> loop;
    int at = static_cast<int>(i);
    while (std::find(loop.begin(), loop.end(), at) == loop.end()) {
      loop.push_back(at);
      at = endpoints_from_.at(at).source;
    }
    loop.erase(loop.begin(), std::find(loop.begin(), loop.end(), at));
    const int first = *std::min_element(loop.begin(), loop.end());
    std::rotate(loop.begin(), std::find(loop.begin(), loop.end(), first), loop.end());
    std::string path;
    for (int member : loop) path += s_.services[static_cast<std::size_t>(member)].name + " -> ";
    problem(endpoints_from_.at(first).by,
            "forms a loop: " + path +
                s_.services[static_cast<std::size_t>(first)].name + " (each service takes its endpoints from the next)");
    for (std::size_t j = 0; j < s_.services.size(); ++j)
      if (mark[j] == Mark::Copying) mark[j] = Mark::Done;
    for (int member : loop) endpoints_from_.at(member).source = -1;
  }
}

int ScenarioBuilder::endpoint_named(int service, const Node& node, const Node& named_by) {
  const ServiceSpec& target = s_.services[static_cast<std::size_t>(service)];
  const int endpoint = target.endpoint_index(node.string());
  if (endpoint < 0 && endpoints_known(service)) {
    std::vector<std::string> names;
    for (const auto& e : target.endpoints) names.push_back(e.name);
    const std::string known = suggestion(node.string(), names);
    const std::string key = node.pointer().substr(node.pointer().rfind('/') + 1);
    problem_between(node, "service " + target.name + " has no such endpoint" + known, named_by,
                    "service " + target.name + " has no endpoint " + json(node.string()).dump() + " (" + key + ")" + known);
  }
  return endpoint;
}

std::optional<Target> ScenarioBuilder::target(const Node& v) {
  Target t;
  if (v.has("host")) {
    t.kind = Target::Kind::Host;
    t.name = v.at("host").string();
    t.index = host_named(v.at("host"));
    if (t.index < 0) return std::nullopt;
    return t;
  }
  if (v.has("service")) {
    t.kind = Target::Kind::Service;
    t.name = v.at("service").string();
    t.index = service_named(v.at("service"));
    if (t.index < 0) return std::nullopt;
    return t;
  }
  t.kind = Target::Kind::Replica;
  const Node replica = v.at("replica");
  t.name = replica.string();
  const std::string service = service_of_replica(t.name);
  t.index = s_.service_index(service);
  // The schema's pattern makes it digits; too many of them name no replica either.
  const std::string number = t.name.substr(service.size() + 1);
  t.replica = number.size() > 9 ? std::numeric_limits<int>::max() : std::stoi(number) - 1;
  if (!replicas_known(service)) return std::nullopt;  // its entry is wrong already (and said)
  if (t.index < 0 || t.replica >= s_.services[static_cast<std::size_t>(t.index)].max_replicas) {
    std::vector<std::string> known;
    for (const auto& x : s_.services)
      for (int r = 0; r < x.max_replicas && known.size() < 12; ++r) known.push_back(x.replica_name(r));
    problem(replica, missing("no such replica", service_pointer(service), t.name, known));
    return std::nullopt;
  }
  return t;
}

void ScenarioBuilder::require_power_state(int host, double cpu_factor, double disk_factor) {
  HostSpec& h = s_.hosts[static_cast<std::size_t>(host)];
  if (std::find(h.cpu_factors.begin(), h.cpu_factors.end(), cpu_factor) == h.cpu_factors.end())
    h.cpu_factors.push_back(cpu_factor);
  if (std::find(h.disk_factors.begin(), h.disk_factors.end(), disk_factor) == h.disk_factors.end())
    h.disk_factors.push_back(disk_factor);
}

void ScenarioBuilder::build_timeline() {
  if (!root_.has("faults") || !root_.at("faults").has("events")) return;
  for (const Node& e : root_.at("faults").at("events").elements()) {
    part([&] {
      ActionSpec action;
      action.kind = catalog_.action_kind_of(e);
      if (!action.kind) throw SchemaGap("event at " + e.pointer() + " has no kind in the catalog (see the schema)");
      action.pointer = e.pointer();
      action.at_s = e.at("at_s").number();
      if (e.has("duration_s")) {
        action.duration_s = e.at("duration_s").number();
        // Its end would fall on its start: it would never be undone.
        if (*action.duration_s > 0 && action.at_s + *action.duration_s == action.at_s)
          problem(e.at("duration_s"), "too short to end after it starts at " + json(action.at_s).dump() +
                                          " s: the two times are the same number of seconds");
      }
      action.kind->parse(action, e.at(action.kind->key()), *this);
      if (duration_known_ && action.at_s >= s_.duration_s) {
        const std::string at = e.pointer() + "/at_s";
        warning(at, "comes at or after the end of the run (" + json(s_.duration_s).dump() + " s): it does not happen");
      }
      s_.actions.push_back(std::move(action));
    });
  }
  std::stable_sort(s_.actions.begin(), s_.actions.end(),
                   [](const ActionSpec& a, const ActionSpec& b) { return a.at_s < b.at_s; });
  // An action that undoes what nothing holds then (a recover of a host that is up) does
  // nothing: most likely a time or a name is wrong.
  if (!duration_known_ || !problems_.empty()) return;  // (errors first: a broken part may be half built)
  ActionTrace trace{s_, {}};
  for (const TimedAction& step : schedule_of(s_.actions)) {
    if (step.at >= s_.duration_s) break;
    const std::string why = step.action->kind->follow(*step.action, step.undo, trace);
    if (!why.empty())
      warning(step.action->pointer,
              std::string(step.action->kind->key()) + " at " + json(step.at).dump() + " s does nothing: " + why);
  }
}

void ScenarioBuilder::build_random_faults() {
  if (!root_.has("faults") || !root_.at("faults").has("random")) return;
  constexpr double kMaxExpectedFailures = 1e6;
  double expected_failures = 0;
  for (const Node& r : root_.at("faults").at("random").elements()) {
    part([&] {
      const std::string p = r.pointer();
      const int targets = static_cast<int>(r.has("host")) + r.has("service") + r.has("replica");
      if (targets != 1) {
        problem(p, "needs exactly one of host, replica or service");
        return;
      }
      const int failure = static_cast<int>(r.has("mtbf_s")) + r.has("availability") + r.has("time_to_failure_s");
      const int repair = static_cast<int>(r.has("mttr_s")) + r.has("time_to_repair_s");
      if (failure != 1) problem(p, "needs exactly one of mtbf_s, availability or time_to_failure_s");
      if (repair != 1) problem(p, "needs exactly one of mttr_s or time_to_repair_s");
      if (r.has("availability") && !r.has("mttr_s"))
        problem(p + "/availability", "needs mttr_s (then mtbf = availability / (1 - availability) * mttr)");
      auto t = target(r);
      if (!t || failure != 1 || repair != 1 || (r.has("availability") && !r.has("mttr_s"))) return;
      RandomFault rf;
      rf.pointer = p;
      rf.target = *t;
      rf.time_to_repair_s =
          r.has("mttr_s") ? Distribution::exponential(r.at("mttr_s").number()) : distribution(r.at("time_to_repair_s"));
      if (r.has("mtbf_s")) {
        rf.time_to_failure_s = Distribution::exponential(r.at("mtbf_s").number());
      } else if (r.has("availability")) {
        const double a = r.at("availability").number();
        rf.time_to_failure_s = Distribution::exponential(a / (1.0 - a) * r.at("mttr_s").number());
      } else {
        rf.time_to_failure_s = distribution(r.at("time_to_failure_s"));
      }
      const double up = rf.time_to_failure_s.mean(), down = rf.time_to_repair_s.mean();
      if (up <= 0) {
        problem(p, "time to failure must have a positive mean");
        return;
      }
      if (down <= 0) {
        problem(p, "time to repair must have a positive mean");
        return;
      }
      rf.configured_availability = up / (up + down);
      // Each failure is simulated (and listed in events.csv): a failure every few
      // microseconds would never end. The run's limit counts the failures expected of
      // every random fault so far.
      expected_failures += s_.duration_s / (up + down);
      if (duration_known_ && expected_failures > kMaxExpectedFailures) {
        problem(p, "the random faults would fail about " + count_text(expected_failures) +
                       " times in " + json(s_.duration_s).dump() + " s (mean time to failure " + json(up).dump() +
                       " s, to repair " + json(down).dump() + " s); the limit is " +
                       count_text(kMaxExpectedFailures) +
                       ": lengthen the times to failure or repair");
        return;
      }
      s_.random_faults.push_back(rf);
    });
  }
}

void ScenarioBuilder::build_metrics() {
  const Node m = root_.at("metrics");
  s_.metrics.window_s = m.at("window_s").number();
  if (duration_known_ && !duration_blamed_ && s_.metrics.window_s > s_.duration_s)
    problem_between(m.at("window_s"), "must not exceed duration_s (" + json(s_.duration_s).dump() + ")",
                    root_.at("duration_s"),
                    "must be at least metrics.window_s (" + json(s_.metrics.window_s).dump() + ")");
  s_.metrics.slo.success_ratio = m.at("slo").at("success_ratio").number();
  if (m.at("slo").has("latency_ms")) s_.metrics.slo.latency_s = m.at("slo").at("latency_ms").number() / 1000.0;
}

// ---- cost --------------------------------------------------------------------------

void ScenarioBuilder::build_cost() {
  if (profile_.is_null()) return;
  const Node prices = profile().at("prices");
  CostSpec& c = s_.cost;
  c.mode = root_.at("cost").at("mode").is("on_premises") ? CostSpec::Mode::OnPremises : CostSpec::Mode::Cloud;
  c.hours_per_month = prices.at("hours_per_month").number();
  for (const auto& [cores, price] : prices.at("host_per_hour").members())
    c.host_per_hour.emplace_back(std::stoi(cores), price.number());
  std::sort(c.host_per_hour.begin(), c.host_per_hour.end());
  c.origin_to_cdn_per_gb = prices.at("origin_to_cdn_per_gb").number();
  c.cdn_per_10k_requests = prices.at("cdn_per_10k_requests").number();
  c.storage_per_gb_month = prices.at("storage_per_gb_month").number();
  const Node op = prices.at("on_premises");
  c.on_premises = {op.at("server_base").number(),    op.at("server_per_core").number(),
                   op.at("amortisation_years").number(), op.at("watts_base").number(),
                   op.at("watts_per_core").number(),  op.at("pue").number(),
                   op.at("power_per_kwh").number(),   op.at("rack_per_server_month").number(),
                   op.at("transit_per_gb").number()};
  c.assumptions = prices.at("assumptions").strings();
  // Each region's price tier, which both egress tables must price.
  const Node platform = root_.at("platform");
  for (const std::string& region : s_.platform.regions) {
    const bool named = platform.has("regions") && platform.at("regions").has(region) &&
                       platform.at("regions").at(region).has("price_tier");
    const std::string tier = named ? platform.at("regions").at(region).at("price_tier").string() : "us_europe";
    c.price_tiers.push_back(tier);
    for (const char* table : {"origin_egress_per_gb", "cdn_egress_per_gb"}) {
      const Node tiers = prices.at(table);
      auto& by_region = table[0] == 'o' ? c.origin_egress_per_gb : c.cdn_egress_per_gb;
      by_region.push_back(tiers.has(tier) ? tiers.at(tier).number() : 0.0);
      if (tiers.has(tier)) continue;
      std::vector<std::string> known;
      for (const auto& [name, price] : tiers.members()) known.push_back(name);
      if (named)
        problem(platform.at("regions").at(region).at("price_tier"),
                std::string("no such price tier in prices.") + table + suggestion(tier, known));
      else
        problem(tiers.pointer(), "has no price for tier us_europe, the tier of regions that name none");
    }
  }
}

// ---- limits ------------------------------------------------------------------------
// What the engine can hold: refuse a scenario that would exhaust SimGrid's threads or
// memory with a message about the limit, rather than abort deep inside a run. Parked
// capacity counts only as far as the timeline brings it into service.

std::vector<int> ScenarioBuilder::peak_replicas() const {
  std::vector<int> peak(s_.services.size());
  for (std::size_t i = 0; i < s_.services.size(); ++i) peak[i] = s_.services[i].replicas;
  for (const ActionSpec& a : s_.actions) a.kind->peak_replicas(a, peak);
  return peak;
}

void ScenarioBuilder::mark_hosts_that_may_run() {
  // A parked host may run when a replica placed on it comes into service at some point.
  const std::vector<int> peak = peak_replicas();
  for (HostSpec& h : s_.hosts) h.may_run = !h.parked;
  for (std::size_t i = 0; i < s_.services.size(); ++i)
    for (int r = 0; r < peak[i]; ++r)
      s_.hosts[static_cast<std::size_t>(s_.services[i].replica_hosts[static_cast<std::size_t>(r)])].may_run = true;
  // A fault on a replica (or its own host) that never comes into service does nothing.
  const auto never_in_service = [&](const Target& t) {
    if (t.kind == Target::Kind::Host) return !s_.hosts[static_cast<std::size_t>(t.index)].may_run;
    return t.kind == Target::Kind::Replica && t.replica >= peak[static_cast<std::size_t>(t.index)];
  };
  const auto warn = [&](const std::string& pointer, const Target& t, const std::string& what) {
    warning(pointer, t.name + " never comes into service (parked beyond the replicas in service, and no scale "
                              "brings it in): " + what + " nothing");
  };
  for (const ActionSpec& a : s_.actions)
    if (a.target && never_in_service(*a.target)) warn(a.pointer, *a.target, std::string("its ") + a.kind->key() + " does");
  for (const RandomFault& f : s_.random_faults)
    if (never_in_service(f.target)) warn(f.pointer, f.target, "its random failures do");
  // A host of the hosts section that no service runs on only adds to the cost.
  std::vector<bool> used(s_.hosts.size(), false);
  for (const ServiceSpec& svc : s_.services)
    for (int h : svc.replica_hosts) used[static_cast<std::size_t>(h)] = true;
  for (std::size_t h = 0; h < s_.hosts.size(); ++h) {
    const std::string pointer = (json::json_pointer("/hosts") / s_.hosts[h].name).to_string();
    if (!used[h] && doc_.json().contains(json::json_pointer(pointer)))
      warning(pointer, "no service runs on it: it is billed (cost) and does nothing");
  }
}

void ScenarioBuilder::check_resource_limits() {
  // The threads every replica holds, whatever the load: workers, connections and helpers
  // start on demand and are checked against the same limit while the run goes on.
  const double max_threads = static_cast<double>(simulated_thread_limit());
  const std::vector<int> peak = peak_replicas();
  double threads = static_cast<double>(s_.clients.size()) + 16;
  double biggest = -1;
  std::string biggest_service;
  for (std::size_t i = 0; i < s_.services.size(); ++i) {
    const ServiceSpec& svc = s_.services[i];
    const double total = svc.kind->resident_threads_per_replica(svc) * peak[i];
    threads += total;
    if (total > biggest) {
      biggest = total;
      biggest_service = svc.name;
    }
  }
  // Blamed on the count that sets the peak: replicas, or the parked capacity a scale brings
  // in; or the kind's own setting (a consumer's concurrency) when that changed last.
  const std::string service = service_pointer(biggest_service);
  std::string blamed = service, lower = "replicas";
  if (threads > max_threads && !biggest_service.empty()) {
    const ServiceSpec& svc = s_.services[static_cast<std::size_t>(s_.service_index(biggest_service))];
    const std::string key = peak[static_cast<std::size_t>(s_.service_index(biggest_service))] > svc.replicas
                                ? "/max_replicas"
                                : "/replicas";
    if (doc_.json().contains(json::json_pointer(service + key))) blamed = service + key;
    const std::string own = svc.kind->resident_threads_setting(svc);
    if (!own.empty()) {
      lower = "replicas or " + own.substr(1);
      if (doc_.json().contains(json::json_pointer(service + own)) &&
          (blamed == service || doc_.applied_after(doc_.origin(service + own), doc_.origin(blamed))))
        blamed = service + own;
    }
  }
  if (threads > max_threads)
    problem(blamed, "the replicas alone hold " + count_text(threads) +
                        " simulated threads (an acceptor, a supervisor and a few of the kind's own each, before any "
                        "worker); the limit is " + count_text(max_threads) + " (from vm.max_map_count): lower " + lower);

  std::size_t sampled_hosts = 0;
  for (const HostSpec& h : s_.hosts) sampled_hosts += h.may_run;
  const double windows = std::ceil(s_.duration_s / s_.metrics.window_s);
  const double window_bytes = windows * (160.0 + 16.0 * static_cast<double>(sampled_hosts));
  if (window_bytes > 512.0 * kMiB)
    problem(doc_.json().contains("metrics") && doc_.json()["metrics"].contains("window_s") ? "/metrics/window_s"
                                                                                           : "/duration_s",
            "the run would keep " + count_text(windows) + " windows for " +
                std::to_string(sampled_hosts) + (sampled_hosts == 1 ? " host" : " hosts") + ", about " +
                count_text(window_bytes / kMiB) +
                " MB; the limit is 512 MB: use a longer metrics.window_s");

  double per_key = 0, largest = 0;
  std::string per_key_services, setting;  // setting: of the service keeping the most
  for (const ServiceSpec& svc : s_.services) {
    const double bytes = svc.kind->key_state_bytes_per_key(svc);
    per_key += bytes;
    if (bytes > 0) per_key_services += (per_key_services.empty() ? "" : ", ") + svc.name;
    if (bytes > largest && !svc.kind->key_state_setting(svc).empty()) {
      largest = bytes;
      setting = service_pointer(svc.name) + svc.kind->key_state_setting(svc);
    }
  }
  if (per_key <= 0) return;
  // Blamed on what changed last: each client's keys, or (once, for all the clients it
  // overflows with) the setting that keeps state for each key.
  std::string over_setting;
  double most = 0;
  for (const ClientSpec& c : s_.clients) {
    const double bytes = static_cast<double>(c.keys.count) * per_key;
    if (bytes <= 2048.0 * kMiB) continue;
    const std::string keys = "/clients/" + c.name + "/keys/count";
    if (!setting.empty() && doc_.json().contains(json::json_pointer(setting)) &&
        doc_.applied_after(doc_.origin(setting), doc_.origin(keys))) {
      over_setting += (over_setting.empty() ? "" : ", ") + c.name + " (" + std::to_string(c.keys.count) + " keys)";
      most = std::max(most, bytes);
      continue;
    }
    problem(keys, "state kept per key by " + per_key_services + ": " + std::to_string(c.keys.count) +
                      " keys could take " + count_text(bytes / kMiB) + " MB (" + count_text(per_key) +
                      " bytes a key); the limit is 2048 MB: use fewer keys");
  }
  if (!over_setting.empty())
    problem(setting, "state kept per key by " + per_key_services + ": the keys of " + over_setting +
                         " could take up to " + count_text(most / kMiB) + " MB a client (" + count_text(per_key) +
                         " bytes a key, most of it kept for this setting); the limit is 2048 MB: lower this");
}

// ---- entry points -----------------------------------------------------------------

namespace {

// Removes the value at `pointer` (an array element becomes null, so the others keep their
// indices).
void prune(json& document, const std::string& pointer) {
  if (pointer.empty()) return;
  const auto slash = pointer.rfind('/');
  json::json_pointer parent_pointer(pointer.substr(0, slash));
  if (!document.contains(parent_pointer)) return;
  json& parent = document.at(parent_pointer);
  const std::string token = json::json_pointer(pointer).back();
  if (parent.is_object())
    parent.erase(token);
  else if (parent.is_array() && token.find_first_not_of("0123456789") == std::string::npos &&
           std::stoul(token) < parent.size())
    parent[std::stoul(token)] = nullptr;
}

}  // namespace

Scenario build_scenario(const Document& document, const Catalog& catalog) {
  auto errors = document.attribute(scenario_validator().validate(document.json()));
  if (errors.empty()) return ScenarioBuilder(document, catalog).build();
  // Every problem at once: the schema's, and those of references and values the schema
  // cannot see, found in what remains once the values breaking the schema are taken out.
  if (document.json().is_object()) {
    Document pruned = document;
    std::vector<std::string> pointers;
    for (const auto& e : errors) {
      prune(pruned.json(), e.pointer);
      pointers.push_back(e.pointer);
    }
    try {
      ScenarioBuilder(pruned, catalog, /*tolerant=*/true, std::move(pointers)).build();
    } catch (const InputError& more) {
      for (const auto& d : more.diagnostics()) {
        const bool known = std::any_of(errors.begin(), errors.end(),
                                       [&](const Diagnostic& e) { return under(d.pointer, e.pointer); });
        if (!known) errors.push_back(d);
      }
    }
  }
  throw InputError(errors);
}

void check_setting_path(const Document& document, const std::string& path, const std::string& option) {
  const auto problem = scenario_validator().check_path(document.json(), Document::tokens(path, option));
  if (problem) throw InputError(option, problem->first, problem->second);
}

Scenario load_scenario(const std::string& path, const LoadOptions& options, const Catalog& catalog) {
  Document doc = Document::load(path);
  std::vector<std::pair<std::string, std::vector<std::string>>> earlier;  // the overrides so far, with their keys
  for (const auto& [key, value] : options.overrides) {
    check_setting_path(doc, key, "--set " + key);
    // The seed and the duration have options of their own, which would silently win.
    const auto tokens = Document::tokens(key, "--set " + key);
    // One that replaces an earlier one (the same setting, or a section holding it) would
    // make it do nothing.
    for (const auto& [other, other_tokens] : earlier)
      if (other_tokens.size() >= tokens.size() && std::equal(tokens.begin(), tokens.end(), other_tokens.begin()))
        throw InputError("--set " + key, "",
                         "replaces " + other + ", given before it, which would then do nothing: give one of them");
    earlier.emplace_back(key, tokens);
    // The parent is read with the file, before any option: a new one here would do nothing.
    if (!tokens.empty() && tokens[0] == "extends")
      throw InputError("--set " + key, "/extends", "cannot be set from the command line: the file's extends is read "
                                                  "with it; write the parent in the file");
    if (tokens.size() == 1 && ((tokens[0] == "seed" && options.seed) || (tokens[0] == "duration_s" && options.duration_s)))
      throw InputError("--set " + key, "/" + tokens[0],
                       std::string("given twice: ") + (tokens[0] == "seed" ? "--seed" : "--duration-s") +
                           " sets it too; give one of them");
    doc.set(key, value);
  }
  if (options.duration_s && !(std::isfinite(*options.duration_s) && *options.duration_s > 0))
    throw InputError("--duration-s", "", "must be a number of seconds > 0", json(*options.duration_s).dump());
  if (options.seed) doc.set("/seed", std::to_string(*options.seed), "--seed");
  if (options.duration_s) doc.set("/duration_s", json(*options.duration_s).dump(), "--duration-s");
  return build_scenario(doc, catalog);
}

}  // namespace archsim
