#include "faults/fault_injector.hpp"

#include <algorithm>
#include <sstream>

#include <simgrid/s4u.hpp>
#include <spdlog/spdlog.h>

#include "components/service.hpp"
#include "components/service_replica.hpp"
#include "components/storage.hpp"
#include "engine/daemon.hpp"
#include "engine/host_data.hpp"
#include "engine/simulation.hpp"

namespace archsim {

namespace sg4 = simgrid::s4u;

namespace {
double now() { return sg4::Engine::get_clock(); }

std::string factor_text(double cpu, double disk) {
  std::ostringstream out;
  if (cpu != 1.0) out << "cpu x" << cpu << " slower";
  if (disk != 1.0) out << (cpu != 1.0 ? ", " : "") << "disk x" << disk << " slower";
  return out.str();
}
}  // namespace

FaultInjector::FaultInjector(Simulation& sim) : sim_(sim) {
  const Scenario& s = sim.scenario();
  host_holds_.resize(s.hosts.size());
  link_holds_.resize(s.hosts.size());
  for (const auto& svc : s.services) replica_holds_.emplace_back(static_cast<std::size_t>(svc.replicas));
}

void FaultInjector::start() {
  const Scenario& s = sim_.scenario();
  if (!s.fault_events.empty())
    spawn_daemon("faults/schedule", sim_.control_host(), [this] { run_schedule(); });
  for (const RandomFault& fault : s.random_faults) {
    if (fault.target.kind == FaultTarget::Kind::Service) {
      // Each replica of the service fails on its own.
      for (int r = 0; r < s.services[static_cast<std::size_t>(fault.target.index)].replicas; ++r) {
        FaultTarget t{FaultTarget::Kind::Replica, fault.target.index, r,
                      s.services[static_cast<std::size_t>(fault.target.index)].replica_name(r)};
        spawn_daemon("faults/random/" + t.name, sim_.control_host(), [this, &fault, t] { run_random(fault, t); });
      }
    } else {
      spawn_daemon("faults/random/" + fault.target.name, sim_.control_host(),
                   [this, &fault] { run_random(fault, fault.target); });
    }
  }
}

void FaultInjector::run_schedule() {
  // Every event and the undoing of those with a duration, in time order (an undo before a
  // new event at the same time).
  struct Timed {
    double at;
    int order;
    const FaultEvent* event;
    bool undo;
  };
  std::vector<Timed> steps;
  int order = 0;
  for (const FaultEvent& e : sim_.scenario().fault_events) {
    steps.push_back({e.at_s, order++, &e, false});
    if (e.duration_s) steps.push_back({e.at_s + *e.duration_s, -1, &e, true});
  }
  std::stable_sort(steps.begin(), steps.end(), [](const Timed& a, const Timed& b) {
    return a.at < b.at || (a.at == b.at && a.undo && !b.undo);
  });
  for (const Timed& step : steps) {
    if (step.at >= sim_.scenario().duration_s) break;
    sg4::this_actor::sleep_until(step.at);
    apply(*step.event, step.undo);
  }
}

void FaultInjector::run_random(const RandomFault& fault, FaultTarget target) {
  RandomStream rng(sim_.scenario().seed, "fault/" + target.name);
  while (true) {
    sg4::this_actor::sleep_for(fault.time_to_failure_s.sample(rng));
    hold(target, +1, true);
    sg4::this_actor::sleep_for(fault.time_to_repair_s.sample(rng));
    hold(target, -1, true);
  }
}

void FaultInjector::apply(const FaultEvent& e, bool undo) {
  switch (e.action) {
    case FaultAction::Crash:
      hold(e.target, undo ? -1 : +1, false);
      break;
    case FaultAction::Recover:
      hold(e.target, 0, false);
      break;
    case FaultAction::Cut:
    case FaultAction::Reconnect: {
      const int host = e.target.index;
      Hold& link = link_holds_[static_cast<std::size_t>(host)];
      if (link.change(e.action == FaultAction::Reconnect ? 0 : (undo ? -1 : +1), false)) set_link(host, !link.down());
      break;
    }
    case FaultAction::Partition:
    case FaultAction::Heal: {
      const bool heal = e.action == FaultAction::Heal || undo;
      std::string detail;
      for (const auto& m : sim_.platform().machines()) HostData::of(m.host)->partition_group = -1;
      if (!heal) {
        for (std::size_t g = 0; g < e.groups.size(); ++g) {
          detail += g ? " | " : "";
          for (std::size_t k = 0; k < e.groups[g].size(); ++k) {
            HostData::of(sim_.platform().machine(e.groups[g][k]).host)->partition_group = static_cast<int>(g);
            detail += (k ? " " : "") + sim_.scenario().hosts[static_cast<std::size_t>(e.groups[g][k])].name;
          }
        }
      }
      sim_.recorder().timeline(now(), "network", heal ? "healed" : "partitioned", detail);
      break;
    }
    case FaultAction::Degrade:
      if (undo)
        set_speed(e.target.index, 1.0, 1.0);
      else
        set_speed(e.target.index, e.cpu_factor, e.disk_factor);
      break;
    case FaultAction::Restore:
      set_speed(e.target.index, 1.0, 1.0);
      break;
  }
}

bool FaultInjector::Hold::change(int delta, bool from_random) {
  const bool before = down();
  if (from_random)
    random = std::max(0, random + delta);
  else
    scheduled = delta == 0 ? 0 : std::max(0, scheduled + delta);
  return down() != before;
}

void FaultInjector::hold(const FaultTarget& target, int delta, bool random) {
  switch (target.kind) {
    case FaultTarget::Kind::Host: {
      Hold& h = host_holds_[static_cast<std::size_t>(target.index)];
      if (h.change(delta, random)) set_host(target.index, !h.down());
      break;
    }
    case FaultTarget::Kind::Replica: {
      Hold& h = replica_holds_[static_cast<std::size_t>(target.index)][static_cast<std::size_t>(target.replica)];
      if (h.change(delta, random)) set_replica(target.index, target.replica, !h.down());
      break;
    }
    case FaultTarget::Kind::Service:
      for (std::size_t r = 0; r < replica_holds_[static_cast<std::size_t>(target.index)].size(); ++r) {
        Hold& h = replica_holds_[static_cast<std::size_t>(target.index)][r];
        if (h.change(delta, random)) set_replica(target.index, static_cast<int>(r), !h.down());
      }
      break;
  }
}

void FaultInjector::set_host(int host, bool up) {
  const Platform::Machine& m = sim_.platform().machine(host);
  const std::string& name = m.spec->name;
  spdlog::info("host {} {}", name, up ? "recovers" : "crashes");
  if (up) {
    m.host->turn_on();
    HostData::of(m.host)->alive = true;
    sim_.host_state_changed(host, true);
    for (ServiceReplica* r : sim_.replicas_on(host)) r->host_came_up();
  } else {
    HostData::of(m.host)->alive = false;
    m.host->turn_off();
    sim_.storage(host).reset();
    sim_.host_state_changed(host, false);
    for (ServiceReplica* r : sim_.replicas_on(host)) r->host_went_down();
  }
}

void FaultInjector::set_replica(int service, int replica, bool up) {
  ServiceReplica& r = *sim_.service(service).replicas()[static_cast<std::size_t>(replica)];
  spdlog::info("{} {}", r.name(), up ? "restarts" : "crashes");
  r.hold_down(!up);
}

void FaultInjector::set_link(int host, bool up) {
  const Platform::Machine& m = sim_.platform().machine(host);
  if (up) {
    m.nic_up->turn_on();
    m.nic_down->turn_on();
  } else {
    m.nic_up->turn_off();
    m.nic_down->turn_off();
  }
  sim_.recorder().timeline(now(), m.spec->name, up ? "reconnected" : "cut");
}

void FaultInjector::set_speed(int host, double cpu_factor, double disk_factor) {
  const Platform& platform = sim_.platform();
  const Platform::Machine& m = platform.machine(host);
  m.host->set_pstate(platform.cpu_pstate(host, cpu_factor));
  m.disk->set_pstate(platform.disk_pstate(host, disk_factor));
  sim_.host_capacity_changed(host);
  const bool restored = cpu_factor == 1.0 && disk_factor == 1.0;
  sim_.recorder().timeline(now(), m.spec->name, restored ? "restored" : "degraded",
                           restored ? "" : factor_text(cpu_factor, disk_factor));
}

}  // namespace archsim
