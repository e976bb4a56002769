#pragma once
// What the bare SimGrid programs of tests/bench share: the engine configured as archsim
// configures it, a host of a star-shaped datacenter behind a split-duplex NIC, and the
// random draws.
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

namespace bench {

namespace sg4 = simgrid::s4u;

constexpr double kFlops = 1e9;  // the reference core

// The engine with archsim's settings (CM02, no cross traffic, 128 KiB stacks).
inline std::unique_ptr<sg4::Engine> make_engine(char* program) {
  static std::vector<char*> args{program, const_cast<char*>("--log=root.thresh:warning"),
                                 const_cast<char*>("--cfg=network/model:CM02"),
                                 const_cast<char*>("--cfg=network/crosstraffic:0"),
                                 const_cast<char*>("--cfg=contexts/stack-size:128")};
  static int argc = static_cast<int>(args.size());
  return std::make_unique<sg4::Engine>(&argc, args.data());
}

// A host of `zone` (a star zone) reaching the switch through its own NIC.
inline sg4::Host* add_host(sg4::NetZone* zone, const std::string& name, int cores, double nic_latency,
                           double nic_bytes_per_s) {
  auto* h = zone->create_host(name, kFlops)->set_core_count(cores);
  auto* nic = zone->create_split_duplex_link(name + "-nic", nic_bytes_per_s)->set_latency(nic_latency);
  zone->add_route(h->get_netpoint(), nullptr, nullptr, nullptr, {{nic, sg4::LinkInRoute::Direction::UP}}, true);
  return h;
}

inline std::mt19937_64& rng() {
  static std::mt19937_64 generator(1);
  return generator;
}
inline double uniform() { return std::uniform_real_distribution<double>(0, 1)(rng()); }
inline double expo(double mean) { return -mean * std::log(1 - uniform()); }

}  // namespace bench
