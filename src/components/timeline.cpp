#include "components/timeline.hpp"

#include <algorithm>
#include <sstream>

#include <simgrid/s4u.hpp>
#include <spdlog/spdlog.h>

#include "components/hosts.hpp"
#include "components/run_context.hpp"
#include "components/runtime_catalog.hpp"
#include "components/service.hpp"
#include "components/service_replica.hpp"
#include "engine/daemon.hpp"
#include "engine/host_data.hpp"
#include "scenario/actions.hpp"

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

Timeline::Timeline(RunContext& run) : run_(run), appliers_(run.runtime().action_table(*run.scenario().catalog)) {
  const Scenario& s = run.scenario();
  host_holds_.resize(s.hosts.size());
  link_holds_.resize(s.hosts.size());
  slowdowns_.resize(s.hosts.size());
  for (const auto& svc : s.services) replica_holds_.emplace_back(static_cast<std::size_t>(svc.max_replicas));
}

void Timeline::start() {
  const Scenario& s = run_.scenario();
  if (!s.actions.empty()) spawn_daemon("faults/schedule", run_.control_host(), [this] { run_schedule(); });
  for (const RandomFault& fault : s.random_faults) {
    if (fault.target.kind == Target::Kind::Service) {
      // Each replica of the service fails on its own.
      const ServiceSpec& svc = s.services[static_cast<std::size_t>(fault.target.index)];
      for (int r = 0; r < svc.max_replicas; ++r) {
        Target t{Target::Kind::Replica, fault.target.index, r, svc.replica_name(r)};
        spawn_daemon("faults/random/" + t.name, run_.control_host(), [this, &fault, t] { run_random(fault, t); });
      }
    } else {
      spawn_daemon("faults/random/" + fault.target.name, run_.control_host(),
                   [this, &fault] { run_random(fault, fault.target); });
    }
  }
}

void Timeline::run_schedule() {
  for (const TimedAction& step : schedule_of(run_.scenario().actions)) {
    if (step.at >= run_.scenario().duration_s) break;
    sg4::this_actor::sleep_until(step.at);
    appliers_[static_cast<std::size_t>(step.action->kind->id())]->apply(*step.action, step.undo, *this);
  }
}

void Timeline::run_random(const RandomFault& fault, Target target) {
  RandomStream rng = run_.random_stream("fault/" + target.name);
  while (true) {
    sg4::this_actor::sleep_for(fault.time_to_failure_s.sample(rng));
    hold(target, nullptr, +1);
    sg4::this_actor::sleep_for(fault.time_to_repair_s.sample(rng));
    hold(target, nullptr, -1);
  }
}

bool Timeline::Hold::change(const ActionSpec* action, int delta) {
  const bool before = down();
  if (!action && delta != 0) {
    random = std::max(0, random + delta);
  } else if (delta > 0) {
    scheduled.push_back(action);
  } else if (delta < 0) {
    // The end of an action's duration ends its own hold only: not one a recover ended, nor
    // a later action's.
    const auto it = std::find(scheduled.begin(), scheduled.end(), action);
    if (it != scheduled.end()) scheduled.erase(it);
  } else {
    scheduled.clear();
  }
  return down() != before;
}

void Timeline::hold(const Target& target, const ActionSpec* action, int delta) {
  switch (target.kind) {
    case Target::Kind::Host: {
      Hold& h = host_holds_[static_cast<std::size_t>(target.index)];
      if (h.change(action, delta)) set_host(target.index, !h.down());
      break;
    }
    case Target::Kind::Replica: {
      Hold& h = replica_holds_[static_cast<std::size_t>(target.index)][static_cast<std::size_t>(target.replica)];
      if (h.change(action, delta)) set_replica(target.index, target.replica, !h.down());
      break;
    }
    case Target::Kind::Service:
      for (std::size_t r = 0; r < replica_holds_[static_cast<std::size_t>(target.index)].size(); ++r) {
        Hold& h = replica_holds_[static_cast<std::size_t>(target.index)][r];
        if (h.change(action, delta)) set_replica(target.index, static_cast<int>(r), !h.down());
      }
      break;
  }
}

void Timeline::hold_link(int host, const ActionSpec* action, int delta) {
  Hold& link = link_holds_[static_cast<std::size_t>(host)];
  if (link.change(action, delta)) set_link(host, !link.down());
}

void Timeline::set_host(int host, bool up) {
  const Platform::Machine& m = run_.platform().machine(host);
  spdlog::info("host {} {}", m.spec->name, up ? "recovers" : "crashes");
  Hosts& hosts = run_.hosts();
  if (hosts.parked(host)) return;  // switched off anyway: the hold applies when it comes into service
  if (up) {
    m.host->turn_on();
    HostData::of(m.host)->alive = true;
    hosts.state_changed(host, true);
    for (ServiceReplica* r : run_.replicas_on(host)) r->host_came_up();
  } else {
    HostData::of(m.host)->alive = false;
    hosts.lose_traffic(host);
    m.host->turn_off();
    hosts.storage(host).reset();
    hosts.state_changed(host, false);
    for (ServiceReplica* r : run_.replicas_on(host)) r->host_went_down();
  }
}

void Timeline::set_replica(int service, int replica, bool up) {
  ServiceReplica& r = *run_.service(service).replicas()[static_cast<std::size_t>(replica)];
  spdlog::info("{} {}", r.name(), up ? "restarts" : "crashes");
  r.hold_down(!up);
}

void Timeline::set_link(int host, bool up) {
  const Platform::Machine& m = run_.platform().machine(host);
  HostData::of(m.host)->connected = up;
  if (up) {
    m.nic_up->turn_on();
    m.nic_down->turn_on();
  } else {
    run_.hosts().lose_traffic(host);
    m.nic_up->turn_off();
    m.nic_down->turn_off();
  }
  run_.recorder().timeline(now(), m.spec->name, up ? "reconnected" : "cut");
}

void Timeline::partition_by(const ActionSpec* action, bool end) {
  if (!end) {
    partitioned_by_ = action;
    partition(action->options_as<PartitionAction>().groups);
  } else if (!action || action == partitioned_by_) {
    // A heal, or the end of the partition in force (not of one a later one replaced).
    partitioned_by_ = nullptr;
    partition({});
  }
}

void Timeline::partition(const std::vector<std::vector<int>>& groups) {
  std::string detail;
  for (const auto& m : run_.platform().machines()) HostData::of(m.host)->partition_group = -1;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    detail += g ? " | " : "";
    for (std::size_t k = 0; k < groups[g].size(); ++k) {
      HostData::of(run_.platform().machine(groups[g][k]).host)->partition_group = static_cast<int>(g);
      detail += (k ? " " : "") + run_.scenario().hosts[static_cast<std::size_t>(groups[g][k])].name;
    }
  }
  run_.recorder().timeline(now(), "network", groups.empty() ? "healed" : "partitioned", detail);
}

void Timeline::set_speed(int host, double cpu_factor, double disk_factor) {
  const Platform& platform = run_.platform();
  const Platform::Machine& m = platform.machine(host);
  m.host->set_pstate(platform.cpu_pstate(host, cpu_factor));
  m.disk->set_pstate(platform.disk_pstate(host, disk_factor));
  run_.hosts().capacity_changed(host);
  const bool restored = cpu_factor == 1.0 && disk_factor == 1.0;
  run_.recorder().timeline(now(), m.spec->name, restored ? "restored" : "degraded",
                           restored ? "" : factor_text(cpu_factor, disk_factor));
}

void Timeline::degrade_begin(int host, const ActionSpec* action, double cpu_factor, double disk_factor) {
  slowdowns_[static_cast<std::size_t>(host)].push_back({action, cpu_factor, disk_factor});
  apply_slowdowns(host);
}

void Timeline::degrade_end(int host, const ActionSpec* action) {
  auto& list = slowdowns_[static_cast<std::size_t>(host)];
  const auto it = std::find_if(list.begin(), list.end(), [action](const Slowdown& d) { return d.action == action; });
  if (it == list.end()) return;  // a restore ended it already
  const bool in_force = it + 1 == list.end();
  list.erase(it);
  if (in_force) apply_slowdowns(host);  // else the speed stays the later one's
}

void Timeline::degrade_clear(int host) {
  slowdowns_[static_cast<std::size_t>(host)].clear();
  apply_slowdowns(host);
}

void Timeline::apply_slowdowns(int host) {
  const auto& list = slowdowns_[static_cast<std::size_t>(host)];
  if (list.empty())
    set_speed(host, 1.0, 1.0);
  else
    set_speed(host, list.back().cpu_factor, list.back().disk_factor);
}

void Timeline::scale(int service, int replicas) {
  Service& svc = run_.service(service);
  Hosts& hosts = run_.hosts();
  for (const auto& r : svc.replicas()) {
    const bool wanted = r->index() < replicas;
    if (!wanted) {
      if (r->in_service()) r->park();
      continue;
    }
    if (r->in_service()) continue;
    const int host = r->machine().index;
    if (hosts.parked(host)) {
      if (host_holds_[static_cast<std::size_t>(host)].down()) {
        run_.recorder().timeline(now(), r->name(), "not_activated", "its host is down");
        continue;
      }
      hosts.set_parked(host, false);
    }
    r->unpark();
  }
}

namespace {

class ScaleApplier : public ActionApplier {
 public:
  void apply(const ActionSpec& a, bool, Timeline& t) const override {
    t.scale(a.target->index, a.options_as<ScaleAction>().replicas);
  }
};

class CrashApplier : public ActionApplier {
 public:
  void apply(const ActionSpec& a, bool undo, Timeline& t) const override { t.hold(*a.target, &a, undo ? -1 : +1); }
};

class RecoverApplier : public ActionApplier {
 public:
  void apply(const ActionSpec& a, bool, Timeline& t) const override { t.hold(*a.target, &a, 0); }
};

class CutApplier : public ActionApplier {
 public:
  void apply(const ActionSpec& a, bool undo, Timeline& t) const override {
    t.hold_link(a.target->index, &a, undo ? -1 : +1);
  }
};

class ReconnectApplier : public ActionApplier {
 public:
  void apply(const ActionSpec& a, bool, Timeline& t) const override { t.hold_link(a.target->index, &a, 0); }
};

class PartitionApplier : public ActionApplier {
 public:
  void apply(const ActionSpec& a, bool undo, Timeline& t) const override {
    t.partition_by(&a, undo);
  }
};

class HealApplier : public ActionApplier {
 public:
  void apply(const ActionSpec&, bool, Timeline& t) const override { t.partition_by(nullptr, true); }
};

class DegradeApplier : public ActionApplier {
 public:
  void apply(const ActionSpec& a, bool undo, Timeline& t) const override {
    const auto& d = a.options_as<DegradeAction>();
    if (undo)
      t.degrade_end(a.target->index, &a);
    else
      t.degrade_begin(a.target->index, &a, d.cpu_factor, d.disk_factor);
  }
};

class RestoreApplier : public ActionApplier {
 public:
  void apply(const ActionSpec& a, bool, Timeline& t) const override { t.degrade_clear(a.target->index); }
};

}  // namespace

void add_generic_action_appliers(RuntimeCatalog& catalog) {
  static const CrashApplier crash;
  static const RecoverApplier recover;
  static const CutApplier cut;
  static const ReconnectApplier reconnect;
  static const PartitionApplier partition;
  static const HealApplier heal;
  static const DegradeApplier degrade;
  static const RestoreApplier restore;
  static const ScaleApplier scale;
  catalog.add_action("crash", crash);
  catalog.add_action("recover", recover);
  catalog.add_action("cut", cut);
  catalog.add_action("reconnect", reconnect);
  catalog.add_action("partition", partition);
  catalog.add_action("heal", heal);
  catalog.add_action("degrade", degrade);
  catalog.add_action("restore", restore);
  catalog.add_action("scale", scale);
}

}  // namespace archsim
