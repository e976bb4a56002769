#include "platform/platform.hpp"

#include <algorithm>

namespace archsim {

std::vector<std::string> Platform::engine_arguments() {
  std::vector<std::string> args{"--log=root.thresh:warning", "--log=xbt_cfg.thresh:warning",
                                "--cfg=network/model:CM02", "--cfg=network/crosstraffic:0",
                                // Actors run archsim's step interpreter; 128 KiB is ample and only
                                // touched pages cost memory.
                                "--cfg=contexts/stack-size:128"};
  return args;
}

Platform::Platform(const Scenario& scenario) {
  const NetworkSpec& net = scenario.platform.network;
  auto* zone = sg4::create_star_zone("datacenter");
  const double nic_latency = net.datacenter_rtt_s / 4.0;  // a one-way trip crosses two NICs

  auto speeds = [](double peak, const std::vector<double>& factors) {
    std::vector<double> v;
    for (double f : factors) v.push_back(peak / f);
    return v;
  };

  machines_.reserve(scenario.hosts.size());
  for (const HostSpec& spec : scenario.hosts) {
    Machine m;
    m.index = static_cast<int>(machines_.size());
    m.spec = &spec;
    m.host = zone->create_host(spec.name, speeds(spec.core_speed * kReferenceFlops, spec.cpu_factors))
                 ->set_core_count(spec.cores);
    auto* nic = zone->create_split_duplex_link(spec.name + "-nic", spec.nic_bytes_per_s);
    zone->add_route(m.host->get_netpoint(), nullptr, nullptr, nullptr,
                    {{nic, sg4::LinkInRoute::Direction::UP}}, true);
    auto* loopback = zone->create_link(spec.name + "-loopback", scenario.platform.memory_read_bytes_per_s)
                         ->set_sharing_policy(sg4::Link::SharingPolicy::FATPIPE);
    zone->add_route(m.host->get_netpoint(), m.host->get_netpoint(), nullptr, nullptr,
                    {{loopback, sg4::LinkInRoute::Direction::NONE}}, false);
    m.disk = zone->create_host(spec.name + "-disk", speeds(kDiskUnitsPerSecond, spec.disk_factors))->set_core_count(1);
    m.nic_up = sg4::Link::by_name(spec.name + "-nic_UP");
    m.nic_down = sg4::Link::by_name(spec.name + "-nic_DOWN");
    machines_.push_back(m);
    latencies_.push_back({m.host, nic_latency, net.loopback_rtt_s / 2.0, spec.region});
  }

  control_host_ = zone->create_host("control-plane", kReferenceFlops);
  auto* control_nic = zone->create_split_duplex_link("control-plane-nic", net.nic_bytes_per_s);
  zone->add_route(control_host_->get_netpoint(), nullptr, nullptr, nullptr,
                  {{control_nic, sg4::LinkInRoute::Direction::UP}}, true);
  latencies_.push_back({control_host_, nic_latency, net.loopback_rtt_s / 2.0, scenario.platform.home_region});

  // Client populations: the access link carries the rest of the client round trip.
  const double access_latency = std::max(0.0, net.client_rtt_s / 2.0 - nic_latency);
  for (const ClientSpec& client : scenario.clients) {
    auto* host = zone->create_host("clients-" + client.name, kReferenceFlops)->set_core_count(1);
    auto* link = zone->create_split_duplex_link("clients-" + client.name + "-access", net.client_bytes_per_s);
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, {{link, sg4::LinkInRoute::Direction::UP}}, true);
    client_hosts_.push_back(host);
    latencies_.push_back({host, access_latency, net.loopback_rtt_s / 2.0, client.region});
  }
  zone->seal();
}

int Platform::cpu_pstate(int host_index, double factor) const {
  const auto& f = machine(host_index).spec->cpu_factors;
  return static_cast<int>(std::find(f.begin(), f.end(), factor) - f.begin());
}

int Platform::disk_pstate(int host_index, double factor) const {
  const auto& f = machine(host_index).spec->disk_factors;
  return static_cast<int>(std::find(f.begin(), f.end(), factor) - f.begin());
}

}  // namespace archsim
