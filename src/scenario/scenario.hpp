#pragma once
// The typed, validated form of a scenario: what the engine builds and runs. Every field
// is in SI units (seconds, bytes, bytes per second) whatever unit the JSON used, and every
// cross reference (host, service, endpoint) is resolved to an index.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "components/balancing_policy.hpp"
#include "components/retry_policy.hpp"
#include "core/distribution.hpp"

namespace archsim {

constexpr double kKiB = 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

struct DiskSpec {
  std::string type;  // profile disk name, or "custom"
  double read_bytes_per_s = 0;
  double write_bytes_per_s = 0;
  double seek_s = 0;
  int parallelism = 1;
};

struct HostSpec {
  std::string name;
  int cores = 1;
  double core_speed = 1.0;  // relative to the reference core of cpu_ms values
  DiskSpec disk;
  double nic_bytes_per_s = 0;
};

struct NetworkSpec {
  double datacenter_rtt_s = 0;
  double nic_bytes_per_s = 0;
  double loopback_rtt_s = 0;
  double client_rtt_s = 0;
  double client_bytes_per_s = 0;
  double cross_region_rtt_s = 0;
  double wan_bytes_per_s = 0;
};

struct PlatformSpec {
  std::string profile;
  NetworkSpec network;
  double memory_read_bytes_per_s = 0;
  std::map<std::string, DiskSpec> disks;
  HostSpec host_defaults;
};

enum class StepKind { Cpu, Read, Write, Call, Forward, Parallel, Sequence };
enum class OnError { Fail, Continue };

struct Step {
  StepKind kind = StepKind::Cpu;
  double probability = 1.0;
  Distribution cpu_ms;         // Cpu: demand in ms on a reference core
  double bytes = 0;            // Read, Write
  int service = -1;            // Call, Forward: target service
  int endpoint = -1;           // Call, Forward: endpoint of the target
  double request_bytes = 0;    // Call, Forward
  double response_bytes = 0;   // Call
  double timeout_s = 0;        // Call
  OnError on_error = OnError::Fail;
  int hop = -1;                // Call, Forward: index into Scenario::hops
  std::vector<Step> children;  // Parallel, Sequence
};

struct EndpointSpec {
  std::string name;
  std::vector<Step> steps;
  bool write = false;  // databases: runs on the primary and is replicated
};

struct PoolSpec {
  int target = -1;  // service index
  int size = 1;
  double timeout_s = 1.0;
};

enum class ServiceKind { AppServer, Database, LoadBalancer };
const char* to_string(ServiceKind kind);

struct HealthCheckSpec {
  double interval_s = 2.0;
  double timeout_s = 0.5;
  int unhealthy_threshold = 3;
  int healthy_threshold = 2;
};

struct LoadBalancerSpec {
  int backend = -1;  // service index
  PolicyConfig policy;
  bool active_passive = false;
  double failover_s = 3.0;
  Distribution cpu_ms = Distribution::constant(0.05);
  double timeout_s = 5.0;
  std::vector<int> hops;  // per endpoint: the hop to the backend
};

struct ReplicationSpec {
  bool semi_sync = false;
  bool read_from_primary = false;  // read_from "any"
  PolicyKind read_policy = PolicyKind::RoundRobin;
  double stream_bytes = kKiB;
  std::vector<Step> apply_steps;
  double semi_sync_timeout_s = 1.0;
  double promotion_s = 5.0;
};

struct ServiceSpec {
  std::string name;
  ServiceKind kind = ServiceKind::AppServer;
  int replicas = 1;
  std::vector<int> replica_hosts;  // host index of each replica
  int workers = 1;                 // worker threads, database connections, balancer connections
  int queue_limit = 0;
  double buffer_cache_hit_ratio = 0;
  double startup_s = 0;
  std::vector<EndpointSpec> endpoints;  // a load balancer mirrors its backend's (without steps)
  std::vector<PoolSpec> pools;
  std::optional<HealthCheckSpec> health_check;
  std::optional<LoadBalancerSpec> balancer;
  std::optional<ReplicationSpec> replication;  // databases with replicas > 1

  int endpoint_index(const std::string& endpoint) const;
  std::string replica_name(int replica) const { return name + "-" + std::to_string(replica + 1); }
};

struct OperationSpec {
  std::string name;
  double weight = 1;
  int endpoint = -1;  // endpoint of the client's target service
  double request_bytes = 0;
  double response_bytes = 0;
};

struct RatePoint {
  double at_s = 0;
  double rate_rps = 0;
};

enum class ClientModel { Open, Closed };

struct KeySpec {
  std::uint64_t count = 100000;
  double zipf_s = 0;
};

struct SessionSpec {
  double mean_requests = 20;
  std::uint64_t active = 1000;  // open loop
};

struct ClientSpec {
  std::string name;
  ClientModel model = ClientModel::Open;
  int target = -1;  // service index
  double timeout_s = 2.0;
  std::vector<OperationSpec> operations;
  KeySpec keys;
  SessionSpec sessions;
  RetrySpec retry;
  // open loop
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

// What a fault acts on.
struct FaultTarget {
  enum class Kind { Host, Replica, Service };
  Kind kind = Kind::Host;
  int index = -1;    // host or service index
  int replica = -1;  // Replica: replica index within the service
  std::string name;  // as written, for reports
};

enum class FaultAction { Crash, Recover, Cut, Reconnect, Partition, Heal, Degrade, Restore };

struct FaultEvent {
  double at_s = 0;
  FaultAction action = FaultAction::Crash;
  std::optional<double> duration_s;  // Crash, Cut, Partition, Degrade: undone after this long
  FaultTarget target;                // Crash, Recover (any kind); Cut, Reconnect, Degrade, Restore (host)
  std::vector<std::vector<int>> groups;  // Partition: host indices
  double cpu_factor = 1.0;           // Degrade
  double disk_factor = 1.0;
};

struct RandomFault {
  FaultTarget target;
  Distribution time_to_failure_s;
  Distribution time_to_repair_s;
  std::optional<double> configured_availability;  // from the distributions' means
};

struct SloSpec {
  double success_ratio = 0.99;
  std::optional<double> latency_s;  // none: any successful reply within the timeout counts
};

struct MetricsSpec {
  double window_s = 1.0;
  SloSpec slo;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string file;
  std::uint64_t seed = 1;
  double duration_s = 0;
  double warmup_s = 0;
  PlatformSpec platform;
  std::vector<HostSpec> hosts;
  std::vector<ServiceSpec> services;
  std::vector<ClientSpec> clients;
  std::vector<HopSpec> hops;
  std::vector<FaultEvent> fault_events;
  std::vector<RandomFault> random_faults;
  MetricsSpec metrics;
  nlohmann::json document;  // the merged document, for provenance

  int service_index(const std::string& service) const;
  int host_index(const std::string& host) const;
};

struct LoadOptions {
  std::vector<std::pair<std::string, std::string>> overrides;  // --set path=value, in order
  std::optional<std::uint64_t> seed;
  std::optional<double> duration_s;
};

// Loads, merges, validates and types a scenario file. Throws InputError listing every
// problem found.
Scenario load_scenario(const std::string& path, const LoadOptions& options = {});

class Document;
// Validates and types an already merged document.
Scenario build_scenario(const Document& document);

}  // namespace archsim
