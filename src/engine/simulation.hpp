#pragma once
// One run of a scenario: builds the SimGrid engine and platform, the services and client
// populations, runs to the scenario's duration and keeps what was measured. SimGrid allows
// one engine per process, so a process runs one simulation.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "metrics/host_meter.hpp"
#include "metrics/recorder.hpp"
#include "platform/platform.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class Service;
class Storage;
class ClientPopulation;

class Simulation {
 public:
  explicit Simulation(const Scenario& scenario);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Runs until the scenario's duration.
  void run();

  const Scenario& scenario() const { return scenario_; }
  const Platform& platform() const { return *platform_; }
  Recorder& recorder() { return recorder_; }
  const Recorder& recorder() const { return recorder_; }
  Service& service(int index) { return *services_[static_cast<std::size_t>(index)]; }
  Storage& storage(int host_index) { return *storages_[static_cast<std::size_t>(host_index)]; }
  std::uint64_t next_call_id() { return ++last_call_id_; }

  // Results, after run().
  double end_time() const { return end_time_; }
  double wall_seconds() const { return wall_seconds_; }
  const std::vector<ResourceUse>& utilization() const { return utilization_; }
  // Requests sent after the warm-up and still unresolved at the end, per operation.
  std::vector<std::uint64_t> in_flight_by_operation() const;
  std::uint64_t requests_simulated() const { return last_call_id_; }

 private:
  std::vector<double> read_counters() const;
  std::vector<double> capacities() const;
  void sampler_loop();

  const Scenario& scenario_;
  std::vector<std::string> engine_args_;
  std::vector<char*> engine_argv_;
  std::unique_ptr<sg4::Engine> engine_;
  std::unique_ptr<Platform> platform_;
  Recorder recorder_;
  std::vector<std::unique_ptr<Storage>> storages_;
  std::vector<std::unique_ptr<HostMeter>> meters_;
  std::vector<std::unique_ptr<Service>> services_;
  std::vector<std::unique_ptr<ClientPopulation>> clients_;
  std::vector<ResourceUse> utilization_;
  std::vector<double> warmup_counters_;
  double warmup_snapshot_at_ = 0;
  std::uint64_t last_call_id_ = 0;
  double end_time_ = 0;
  double wall_seconds_ = 0;
};

}  // namespace archsim
