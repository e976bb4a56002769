#include "components/hosts.hpp"

#include <simgrid/s4u.hpp>

namespace archsim {

namespace sg4 = simgrid::s4u;

namespace {
const char* const kResourceKinds[] = {"cpu", "disk", "nic_up", "nic_down"};
}

std::optional<double> configured_availability_of_host(const Scenario& scenario, int host) {
  for (const RandomFault& f : scenario.random_faults)
    if (f.target.kind == Target::Kind::Host && f.target.index == host) return f.configured_availability;
  return std::nullopt;
}

std::optional<double> configured_availability_of_replica(const Scenario& scenario, int service, int replica) {
  for (const RandomFault& f : scenario.random_faults) {
    if (f.target.kind == Target::Kind::Host || f.target.index != service) continue;
    if (f.target.kind == Target::Kind::Service || f.target.replica == replica) return f.configured_availability;
  }
  return std::nullopt;
}

Hosts::Hosts(const Scenario& scenario, const Platform& platform, Recorder& recorder)
    : scenario_(scenario), platform_(platform), recorder_(recorder) {
  std::vector<double> one_way(scenario.platform.region_rtt_s);
  for (double& s : one_way) s /= 2.0;
  wire_.set_regions(scenario.platform.regions.size(), std::move(one_way));
  for (const auto& l : platform.latencies()) wire_.attach(l.host, l.edge_s, l.loopback_s, l.region);
  for (const auto& m : platform.machines()) {
    storages_.push_back(std::make_unique<Storage>(m.disk, m.spec->disk));
    auto data = std::make_unique<HostData>();
    data->cpu_capacity = RateIntegral(m.host->get_speed() * m.host->get_core_count());
    data->disk_capacity = RateIntegral(1.0);
    m.host->set_data(data.get());
    parked_.push_back(m.spec->parked);
    if (m.spec->parked) {
      // Created switched off (before any actor exists), until its replica comes into service.
      data->alive = false;
      data->cpu_capacity = RateIntegral(0.0);
      data->disk_capacity = RateIntegral(0.0);
      m.host->turn_off();
    }
    data_.push_back(std::move(data));
    components_.push_back(recorder.add_component(m.spec->name, "host",
                                                 configured_availability_of_host(scenario, m.index),
                                                 m.spec->parked ? ComponentState::Parked : ComponentState::Up));
  }
  // Utilisation: work done over capacity offered, per window and over the measured period.
  Gauges& gauges = recorder.gauges();
  for (const auto& m : platform.machines()) {
    if (!m.spec->may_run) {
      gauges_.push_back(-1);
      continue;
    }
    HostData* data = data_[static_cast<std::size_t>(m.index)].get();
    Storage* storage = storages_[static_cast<std::size_t>(m.index)].get();
    const std::string prefix = "util:" + m.spec->name + ".";
    const auto now = [] { return sg4::Engine::get_clock(); };
    sg4::Link* up = m.nic_up;
    sg4::Link* down = m.nic_down;
    gauges_.push_back(gauges.ratio(prefix + "cpu", [data] { return data->cpu_flops; },
                                   [data, now] { return data->cpu_capacity.at(now()); }));
    gauges.ratio(prefix + "disk", [storage, now] { return storage->busy_time(now()); },
                 [data, now] { return data->disk_capacity.at(now()); });
    gauges.ratio(prefix + "nic_up", [data] { return data->nic_out_bytes; },
                 [up, now] { return up->get_bandwidth() * now(); });
    gauges.ratio(prefix + "nic_down", [data] { return data->nic_in_bytes; },
                 [down, now] { return down->get_bandwidth() * now(); });
  }
}

Hosts::~Hosts() = default;

void Hosts::capacity_changed(int host) {
  const Platform::Machine& m = platform_.machine(host);
  HostData& d = data(host);
  const double now = sg4::Engine::get_clock();
  const bool on = m.host->is_on();
  d.cpu_capacity.set(now, on ? m.host->get_speed() * m.host->get_core_count() : 0.0);
  d.disk_capacity.set(now, on ? 1.0 : 0.0);
}

void Hosts::lose_traffic(int host) { wire_.lose_traffic_of(platform_.machine(host).host); }

void Hosts::state_changed(int host, bool up) {
  const double now = sg4::Engine::get_clock();
  capacity_changed(host);
  recorder_.component_changed(components_[static_cast<std::size_t>(host)],
                              up ? ComponentState::Up : ComponentState::Down, now);
  recorder_.timeline(now, platform_.machine(host).spec->name, up ? "host_up" : "host_down");
}

void Hosts::set_parked(int host, bool parked) {
  const Platform::Machine& m = platform_.machine(host);
  if (parked_[static_cast<std::size_t>(host)] == parked) return;
  parked_[static_cast<std::size_t>(host)] = parked;
  const double now = sg4::Engine::get_clock();
  HostData& d = data(host);
  if (parked) {
    d.alive = false;
    wire_.lose_traffic_of(m.host);
    if (m.host->is_on()) m.host->turn_off();
    storage(host).reset();
  } else {
    m.host->turn_on();
    d.alive = true;
  }
  capacity_changed(host);
  recorder_.component_changed(components_[static_cast<std::size_t>(host)],
                              parked ? ComponentState::Parked : ComponentState::Up, now);
  recorder_.timeline(now, m.spec->name, parked ? "host_parked" : "host_activated");
}

std::vector<ResourceUse> Hosts::utilization() const {
  std::vector<ResourceUse> out;
  const Gauges& gauges = recorder_.gauges();
  for (const auto& m : platform_.machines()) {
    if (gauges_[static_cast<std::size_t>(m.index)] < 0) continue;
    for (int k = 0; k < 4; ++k)
      out.push_back({m.spec->name + "." + kResourceKinds[k], m.spec->name, kResourceKinds[k],
                     gauges.measured(gauges_[static_cast<std::size_t>(m.index)] + k)});
  }
  return out;
}

}  // namespace archsim
