#pragma once
// One run of a scenario: builds the SimGrid engine and platform, the services, client
// populations and fault injector, runs to the scenario's duration and keeps what was
// measured. SimGrid allows one engine per process, so a process runs one simulation.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "engine/host_data.hpp"
#include "metrics/recorder.hpp"
#include "metrics/trace.hpp"
#include "platform/platform.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class Service;
class ServiceReplica;
class Storage;
class ClientPopulation;
class FaultInjector;

struct SimulationOptions {
  std::uint64_t trace_sample = 0;  // trace every N-th client request (0: no trace)
};

class Simulation {
 public:
  explicit Simulation(const Scenario& scenario, const SimulationOptions& options = {});
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Runs until the scenario's duration. With `progress`, a run that lasts more than about
  // two seconds of wall time shows a progress line on stderr.
  void run(bool progress = false);

  const Scenario& scenario() const { return scenario_; }
  const Platform& platform() const { return *platform_; }
  sg4::Host* control_host() const { return platform_->control_host(); }
  Recorder& recorder() { return recorder_; }
  Tracer& tracer() { return tracer_; }
  const Tracer& tracer() const { return tracer_; }
  const Recorder& recorder() const { return recorder_; }
  Service& service(int index) { return *services_[static_cast<std::size_t>(index)]; }
  const Service& service(int index) const { return *services_[static_cast<std::size_t>(index)]; }
  Storage& storage(int host_index) { return *storages_[static_cast<std::size_t>(host_index)]; }
  std::uint64_t next_call_id() { return ++last_call_id_; }

  // For the fault injector.
  std::vector<ServiceReplica*> replicas_on(int host_index) const;
  void host_state_changed(int host_index, bool up);
  void host_capacity_changed(int host_index);
  // Availability that random faults aim at for a component, if they target it directly.
  std::optional<double> configured_availability_of_replica(int service, int replica) const;
  std::optional<double> configured_availability_of_host(int host) const;

  // Results, after run().
  double end_time() const { return end_time_; }
  double wall_seconds() const { return wall_seconds_; }
  // Whether the run stopped early on Ctrl-C; then nothing it measured is complete.
  bool interrupted() const { return interrupted_; }
  double interrupted_at() const { return interrupted_at_; }
  const std::vector<ResourceUse>& utilization() const { return utilization_; }
  // Requests sent after the warm-up and still unresolved at the end, per operation.
  std::vector<std::uint64_t> in_flight_by_operation() const;
  std::uint64_t requests_simulated() const { return last_call_id_; }
  // Per-service figures beyond the common ones (replication, balancing, replicas up).
  nlohmann::ordered_json service_reports() const;
  // Per client population: attempts, retries, retries refused by the budget.
  nlohmann::ordered_json client_reports() const;

 private:
  std::vector<double> read_counters() const;
  std::vector<double> read_capacities() const;
  void sampler_loop();
  void progress_loop();
  void interrupt_watch();

  const Scenario& scenario_;
  std::vector<std::string> engine_args_;
  std::vector<char*> engine_argv_;
  std::unique_ptr<sg4::Engine> engine_;
  std::unique_ptr<Platform> platform_;
  Recorder recorder_;
  Tracer tracer_;
  std::vector<std::unique_ptr<HostData>> host_data_;
  std::vector<int> host_components_;
  std::vector<std::unique_ptr<Storage>> storages_;
  std::vector<std::unique_ptr<Service>> services_;
  std::vector<std::unique_ptr<ClientPopulation>> clients_;
  std::unique_ptr<FaultInjector> faults_;
  std::vector<ResourceUse> utilization_;
  std::vector<double> warmup_counters_;
  std::vector<double> warmup_capacities_;
  std::uint64_t last_call_id_ = 0;
  double end_time_ = 0;
  double wall_seconds_ = 0;
  bool interrupted_ = false;
  double interrupted_at_ = 0;
};

}  // namespace archsim
