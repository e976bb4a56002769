#pragma once
// The run-time state of the scenario's hosts: archsim's data attached to each SimGrid host
// (work counters, the capacity offered over time, liveness, partition side), its storage
// device, its component in the recorder (up, down and parked time) and the utilisation
// gauges of its CPU, disk and NIC (columns util:HOST.cpu, .disk, .nic_up, .nic_down), for
// every host that may run at all; and the wire that carries the network's latency
// (engine/wire.hpp), with every host that sends or receives messages attached.
//
// Capacity comes and goes with parked hosts: SimGrid seals the platform before the run,
// so every host a run may use exists from the start; a dedicated host of a parked replica
// is created switched off, offers no capacity and counts as parked, not down, until its
// replica comes into service.
#include <memory>
#include <optional>
#include <vector>

#include "components/storage.hpp"
#include "engine/host_data.hpp"
#include "engine/wire.hpp"
#include "platform/platform.hpp"
#include "recording/recorder.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class Hosts {
 public:
  // Create after the platform and before the services (their replicas use the storages).
  Hosts(const Scenario& scenario, const Platform& platform, Recorder& recorder);
  ~Hosts();

  HostData& data(int host) { return *data_[static_cast<std::size_t>(host)]; }
  Storage& storage(int host) { return *storages_[static_cast<std::size_t>(host)]; }

  // The fault timeline turned the host off or on (its capacity, component and timeline).
  void state_changed(int host, bool up);
  // Switches a parked host on (it comes into service) or a host off into parking.
  void set_parked(int host, bool parked);
  bool parked(int host) const { return parked_[static_cast<std::size_t>(host)]; }
  // Messages on their way to or from the host are lost (it went down or its NIC was cut).
  void lose_traffic(int host);
  // Its speed changed (degraded or restored).
  void capacity_changed(int host);
  // Utilisation of every resource over the measured period, in platform order.
  std::vector<ResourceUse> utilization() const;

 private:
  const Scenario& scenario_;
  const Platform& platform_;
  Recorder& recorder_;
  std::vector<std::unique_ptr<HostData>> data_;
  std::vector<std::unique_ptr<Storage>> storages_;
  std::vector<int> components_;
  std::vector<int> gauges_;  // per host: the id of its cpu gauge (disk, nic_up, nic_down follow), or -1
  std::vector<bool> parked_;
  Wire wire_;
};

// Availability that random faults aim at for a host or a replica, if they target it.
std::optional<double> configured_availability_of_host(const Scenario& scenario, int host);
std::optional<double> configured_availability_of_replica(const Scenario& scenario, int service, int replica);

}  // namespace archsim
