#pragma once
// The typed, validated form of a scenario: what the engine builds and runs. Every field is
// in SI units (seconds, bytes, bytes per second) whatever unit the JSON used, and every
// cross reference (host, service, endpoint) is resolved to an index. Plain data: nothing
// here knows the engine. What a service kind, a step kind or a timed action adds of its
// own hangs off the generic structures as options the kind defines (see catalog.hpp).
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/distribution.hpp"
#include "core/outcome.hpp"

namespace archsim {

class Catalog;
class ServiceKind;
class StepKind;
class ActionKind;

struct DiskSpec {
  std::string type;  // profile disk name, or "custom"
  double read_bytes_per_s = 0;
  double write_bytes_per_s = 0;
  double seek_s = 0;
  int parallelism = 0;
};

struct HostSpec {
  std::string name;
  int cores = 0;
  double core_speed = 0;  // relative to the reference core of cpu_ms values
  DiskSpec disk;
  double nic_bytes_per_s = 0;
  // Slow-down factors the timeline will apply to the CPU and the disk (1 first): the
  // platform gives the host one power state per factor.
  std::vector<double> cpu_factors{1.0};
  std::vector<double> disk_factors{1.0};
  int region = 0;  // index into PlatformSpec::regions
  // A dedicated host of a parked replica: created switched off, turned on with its replica.
  bool parked = false;
  // Whether it may run at all: false for a parked host that no action of the timeline
  // brings into service (it then costs nothing: no utilisation columns).
  bool may_run = true;
};

struct NetworkSpec {
  double datacenter_rtt_s = 0;
  double nic_bytes_per_s = 0;
  double loopback_rtt_s = 0;
  double client_rtt_s = 0;
  double client_bytes_per_s = 0;
};

struct PlatformSpec {
  std::string profile;
  NetworkSpec network;
  // Named regions (one, "home", when the scenario names none): hosts and clients each sit
  // in one; a message between two regions crosses the WAN, half of the pair's round trip.
  std::vector<std::string> regions{"home"};
  std::vector<double> region_rtt_s{0.0};  // regions x regions, row-major
  int home_region = 0;                     // where hosts and clients that name none sit
  double region_rtt(int a, int b) const {
    return region_rtt_s[static_cast<std::size_t>(a) * regions.size() + static_cast<std::size_t>(b)];
  }
  double memory_read_bytes_per_s = 0;
  std::map<std::string, DiskSpec> disks;
  HostSpec host_defaults;
};

// What a step kind keeps of its own (a CPU demand, a call's target...).
struct StepOptions {
  virtual ~StepOptions() = default;
};

// One step of an endpoint's call graph. Its kind says what it does (see catalog.hpp).
struct Step {
  const StepKind* kind = nullptr;
  double probability = 1.0;
  std::vector<Step> children;  // group steps (parallel, sequence, choice)
  std::shared_ptr<const StepOptions> options;

  template <typename T>
  const T& options_as() const { return static_cast<const T&>(*options); }
};

struct EndpointSpec {
  std::string name;
  std::vector<Step> steps;
  bool write = false;  // "access": "write": a write (kinds with access modes: the primary)
};

struct PoolSpec {
  int target = -1;  // service index
  int size = 0;
  double timeout_s = 0;
};

struct HealthCheckSpec {
  double interval_s = 0;
  double timeout_s = 0;
  int unhealthy_threshold = 0;
  int healthy_threshold = 0;
};

// What a service kind keeps of its own (a balancer's policy, a database's replication...).
struct KindOptions {
  virtual ~KindOptions() = default;
};

struct ServiceSpec {
  std::string name;
  const ServiceKind* kind = nullptr;
  int replicas = 0;                // running from the start
  int max_replicas = 0;            // replicas created; those beyond `replicas` start parked
  std::vector<int> replica_hosts;  // host index of each replica (max_replicas of them)
  bool dedicated_hosts = false;    // one host of its own per replica (SERVICE-N)
  int workers = 0;                 // requests served at once: worker threads, connections
  int queue_limit = 0;
  double buffer_cache_hit_ratio = 0;
  double startup_s = 0;
  std::vector<EndpointSpec> endpoints;
  std::vector<PoolSpec> pools;
  std::optional<HealthCheckSpec> health_check;
  std::shared_ptr<const KindOptions> options;  // null for kinds without options

  template <typename T>
  const T& options_as() const { return static_cast<const T&>(*options); }
  int endpoint_index(const std::string& endpoint) const;
  std::string replica_name(int replica) const { return name + "-" + std::to_string(replica + 1); }
};

struct OperationSpec {
  std::string name;
  double weight = 0;
  int endpoint = -1;  // endpoint of the client's target service
  double request_bytes = 0;
  double response_bytes = 0;
};

struct RatePoint {
  double at_s = 0;
  double rate_rps = 0;
};

// Replay: the requests of a recorded access log (see ReplaySpec).
enum class ClientModel { Open, Closed, Replay };

// An access log to replay: a CSV file with a header line `time_s,operation,key` and an
// optional `size_kb` column (the response's size, else the operation's response_kb).
// Times are relative to the first line's, divided by `speed`; with `loop` the log starts
// over after its span and one mean gap between lines.
struct ReplaySpec {
  std::string path;
  bool loop = false;
  double speed = 1;
  std::uint64_t lines = 0;
  double first_time_s = 0;
  double span_s = 0;  // last time - first time, in the log's own seconds
  // Log seconds from one loop to the next: the span and one mean gap, or one second for a
  // log whose lines all have one time.
  double period_s() const {
    return lines > 1 && span_s > 0 ? span_s * static_cast<double>(lines) / static_cast<double>(lines - 1) : 1.0;
  }
};

struct KeySpec {
  std::uint64_t count = 0;
  double zipf_s = 0;
  std::uint64_t first = 0;  // keys are first .. first + count - 1, the most popular first
};

struct SessionSpec {
  double mean_requests = 0;
  std::uint64_t active = 0;  // open loop
};

enum class Jitter { None, Full, Equal };

struct RetrySpec {
  int max_attempts = 0;
  double backoff_s = 0;
  double multiplier = 1;
  double max_backoff_s = 0;
  Jitter jitter = Jitter::None;
  std::optional<double> budget_ratio;  // none: no budget
  double budget_reserve = 0;
  std::array<bool, kOutcomeCount> retry_on{};  // by Outcome
};

struct ClientSpec {
  std::string name;
  int region = 0;  // where its users are (PlatformSpec::regions)
  ClientModel model = ClientModel::Open;
  int target = -1;  // service index
  double timeout_s = 0;
  std::vector<OperationSpec> operations;
  KeySpec keys;
  SessionSpec sessions;
  std::optional<RetrySpec> retry;  // none: failed attempts are not retried
  std::optional<ReplaySpec> replay;
  // open loop (and a replayed log: its mean rate, for the utilisation law)
  double rate_rps = 0;
  std::vector<RatePoint> schedule;
  bool linear_schedule = false;
  // closed loop
  int users = 0;
  Distribution think_ms;
};

// A caller->callee edge of the call graph, measured as one hop.
struct HopSpec {
  std::string name;  // "web->db.select"
  int from_service = -1;
  int to_service = -1;
  int endpoint = -1;
};

// What an action or a random failure acts on.
struct Target {
  enum class Kind { Host, Replica, Service };
  Kind kind = Kind::Host;
  int index = -1;    // host or service index
  int replica = -1;  // Replica: replica index within the service
  std::string name;  // as written, for reports
};

// What an action kind keeps of its own (a partition's groups, a degradation's factors).
struct ActionOptions {
  virtual ~ActionOptions() = default;
};

// One timed action of the timeline (the faults section's events): a crash, a cut, a
// scaling... Its kind says what it does (see catalog.hpp).
struct ActionSpec {
  const ActionKind* kind = nullptr;
  std::string pointer;  // its event in the document ("/faults/events/2"), for reports
  double at_s = 0;
  std::optional<double> duration_s;  // undone after this long (kinds that can be undone)
  std::optional<Target> target;
  std::shared_ptr<const ActionOptions> options;

  template <typename T>
  const T& options_as() const { return static_cast<const T&>(*options); }
};

struct RandomFault {
  std::string pointer;  // its entry in the document ("/faults/random/0"), for reports
  Target target;
  Distribution time_to_failure_s;
  Distribution time_to_repair_s;
  std::optional<double> configured_availability;  // from the distributions' means
};

struct SloSpec {
  double success_ratio = 0;
  std::optional<double> latency_s;  // none: any successful reply within the timeout counts
};

struct MetricsSpec {
  double window_s = 0;
  SloSpec slo;
};

// Prices for the monthly cost (analysis/cost_model.hpp), from the hardware profile, in US
// dollars, resolved for this scenario's regions.
struct CostSpec {
  enum class Mode { Cloud, OnPremises };
  Mode mode = Mode::Cloud;
  double hours_per_month = 730;
  std::vector<std::pair<int, double>> host_per_hour;  // (cores, price), fewest cores first
  std::vector<double> origin_egress_per_gb;  // by region (its price tier)
  double origin_to_cdn_per_gb = 0;
  std::vector<double> cdn_egress_per_gb;     // by region
  std::vector<std::string> price_tiers;    // by region
  double cdn_per_10k_requests = 0;
  double storage_per_gb_month = 0;
  struct OnPremises {
    double server_base = 0;
    double server_per_core = 0;
    double amortisation_years = 0;
    double watts_base = 0;
    double watts_per_core = 0;
    double pue = 1;
    double power_per_kwh = 0;
    double rack_per_server_month = 0;
    double transit_per_gb = 0;
  } on_premises;
  std::vector<std::string> assumptions;  // prices no public source gave
};

struct Scenario {
  const Catalog* catalog = nullptr;  // the kinds the scenario was typed with
  // What is valid but will not happen as written (an event after the end of the run), as
  // "FILE: POINTER: text": the commands that load a scenario say them.
  std::vector<std::string> warnings;
  std::string name;
  std::string description;
  std::string file;
  std::uint64_t seed = 0;
  double duration_s = 0;
  double warmup_s = 0;
  bool warmup_auto = false;  // "warmup_s": "auto": the run picks it (MSER-5) before it starts
  PlatformSpec platform;
  std::vector<HostSpec> hosts;
  std::vector<ServiceSpec> services;
  std::vector<ClientSpec> clients;
  std::vector<HopSpec> hops;
  std::vector<ActionSpec> actions;  // the timeline, in time order
  std::vector<RandomFault> random_faults;
  MetricsSpec metrics;
  CostSpec cost;

  int service_index(const std::string& service) const;
  int host_index(const std::string& host) const;
};

}  // namespace archsim
