#pragma once
// Work done by one simulated host, counted where it is caused: CPU flops when an
// execution completes, bytes through the NIC when a message leaves or reaches the host
// (messages between two processes of one host use the loopback and are not counted).
// Attached to the SimGrid host as its user data; read by the utilisation sampler.
#include <simgrid/s4u/Host.hpp>

namespace archsim {

struct HostMeter {
  double cpu_flops = 0;
  double nic_out_bytes = 0;
  double nic_in_bytes = 0;

  static HostMeter* of(const simgrid::s4u::Host* host) { return host->get_data<HostMeter>(); }
};

}  // namespace archsim
