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
};

struct PoolSpec {
  int target = -1;  // service index
  int size = 1;
  double timeout_s = 1.0;
};

enum class ServiceKind { AppServer, Database };
const char* to_string(ServiceKind kind);

struct ServiceSpec {
  std::string name;
  ServiceKind kind = ServiceKind::AppServer;
  int replicas = 1;
  std::vector<int> replica_hosts;  // host index of each replica
  int workers = 1;                 // worker threads, or database connections
  int queue_limit = 0;
  double buffer_cache_hit_ratio = 0;
  std::vector<EndpointSpec> endpoints;
  std::vector<PoolSpec> pools;

  int endpoint_index(const std::string& endpoint) const;
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

struct ClientSpec {
  std::string name;
  ClientModel model = ClientModel::Open;
  int target = -1;  // service index
  double timeout_s = 2.0;
  std::vector<OperationSpec> operations;
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
