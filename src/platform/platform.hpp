#pragma once
// The simulated hardware, generated with SimGrid's S4U API from the scenario's hosts and
// hardware profile. One datacenter: a star zone where every host reaches the switch
// through a split-duplex NIC link, plus a loopback route for processes talking on the same
// host. Each client population gets a host of its own behind an access link.
//
// A host's disk is simulated as a companion single-core SimGrid host ("NAME-disk") whose
// speed is one unit of work per second of disk time: concurrent I/Os share it fairly, as
// SimGrid's own disk model shares bandwidth. SimGrid 3.32's disk activities cannot be
// used: each I/O stays in its actor's activity list for ever (IoImpl never removes
// itself), so memory grows with every I/O and every later activity of that actor costs
// time proportional to all its past I/Os.
//
// Links have no latency: archsim holds each message for its path's latency before its
// transfer starts (engine/wire.hpp says why). latencies() lists where each host stands:
// half the datacenter round trip is spent in the two NICs a packet crosses, a client's
// access link makes up the rest of the client round trip, and a message to the same host
// takes half the loopback round trip.
//
// Uses the CM02 network model: SimGrid's default (LV08) multiplies every latency by
// 13.01 to mimic TCP slow start, which would turn a 0.5 ms round trip into 6.5 ms.
//
// Create after the sg4::Engine and before any actor; the engine owns what it creates.
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "scenario/scenario.hpp"

namespace archsim {

namespace sg4 = simgrid::s4u;

class Platform {
 public:
  // Flops of the reference core that cpu_ms values are measured on.
  static constexpr double kReferenceFlops = 1e9;
  // Speed of a disk's companion host: work units per second of disk time.
  static constexpr double kDiskUnitsPerSecond = 1e9;

  // A host's one-way latency to the datacenter's switch, and to itself.
  struct HostLatency {
    sg4::Host* host = nullptr;
    double edge_s = 0;
    double loopback_s = 0;
    int region = 0;
  };

  struct Machine {
    int index = -1;  // host index in the scenario
    const HostSpec* spec = nullptr;
    sg4::Host* host = nullptr;
    sg4::Host* disk = nullptr;  // see above: one unit of work = one second of disk time
    sg4::Link* nic_up = nullptr;
    sg4::Link* nic_down = nullptr;
  };

  // SimGrid configuration that must be set before the engine builds anything.
  static std::vector<std::string> engine_arguments();

  explicit Platform(const Scenario& scenario);

  const Machine& machine(int host_index) const { return machines_.at(static_cast<std::size_t>(host_index)); }
  // Where the control plane runs (fault injection, database monitors, the load balancers'
  // failover watch, the utilisation sampler): a host of the datacenter that never fails.
  sg4::Host* control_host() const { return control_host_; }
  // The power state slowing a host's CPU (or disk) by `factor` (see degrade faults); 0 is
  // full speed.
  int cpu_pstate(int host_index, double factor) const;
  int disk_pstate(int host_index, double factor) const;
  const std::vector<Machine>& machines() const { return machines_; }
  // Every host that sends or receives messages (machines, control host, client hosts).
  const std::vector<HostLatency>& latencies() const { return latencies_; }
  sg4::Host* client_host(int client_index) const { return client_hosts_.at(static_cast<std::size_t>(client_index)); }

 private:
  std::vector<Machine> machines_;
  sg4::Host* control_host_ = nullptr;
  std::vector<sg4::Host*> client_hosts_;
  std::vector<HostLatency> latencies_;
};

}  // namespace archsim
