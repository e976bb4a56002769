#include "scenario/actions.hpp"

#include <algorithm>
#include <memory>
#include <set>
#include <string>

#include "scenario/builder.hpp"

namespace archsim {

namespace {

// What a trace holds of a target: its host's holders, its replica's, or each replica's of
// its service, as [first, last) of one table. As the timeline (components/timeline.cpp):
// an action holds until the end of its own duration, or until an action that undoes it.
struct Held {
  std::vector<ActionTrace::Holders>* table;
  std::size_t first, last;
};

Held held_down(const Target& t, ActionTrace& trace) {
  const Scenario& s = trace.scenario;
  if (t.kind == Target::Kind::Host) {
    auto& hosts = trace.table("down/host", s.hosts.size());
    return {&hosts, static_cast<std::size_t>(t.index), static_cast<std::size_t>(t.index) + 1};
  }
  const ServiceSpec& service = s.services[static_cast<std::size_t>(t.index)];
  auto& replicas = trace.table("down/replica/" + service.name, static_cast<std::size_t>(service.max_replicas));
  if (t.kind == Target::Kind::Replica)
    return {&replicas, static_cast<std::size_t>(t.replica), static_cast<std::size_t>(t.replica) + 1};
  return {&replicas, 0, replicas.size()};
}

// A host's holders in table `name` (cut, slow).
Held of_host(const char* name, int host, ActionTrace& trace) {
  auto& hosts = trace.table(name, trace.scenario.hosts.size());
  return {&hosts, static_cast<std::size_t>(host), static_cast<std::size_t>(host) + 1};
}

Held partition_held(ActionTrace& trace) { return {&trace.table("partition", 1), 0, 1}; }

// `action` begins holding each, or (`undo`) the end of its duration ends its own hold.
void follow_hold(const Held& h, const ActionSpec* action, bool undo) {
  for (std::size_t i = h.first; i < h.last; ++i) {
    auto& holders = (*h.table)[i];
    if (!undo) {
      holders.push_back(action);
    } else if (const auto it = std::find(holders.begin(), holders.end(), action); it != holders.end()) {
      holders.erase(it);
    }
  }
}

// Ends every hold; returns whether there was one.
bool clear(const Held& h) {
  bool held = false;
  for (std::size_t i = h.first; i < h.last; ++i) {
    held = held || !(*h.table)[i].empty();
    (*h.table)[i].clear();
  }
  return held;
}

// Whether anything holds it.
bool held(const Held& h) {
  for (std::size_t i = h.first; i < h.last; ++i)
    if (!(*h.table)[i].empty()) return true;
  return false;
}

// An action on a target: a host, a replica or a service (crash, recover), or a host only
// (cut, reconnect, restore: the schema allows nothing else).
class TargetedAction : public ActionKind {
 public:
  enum class Role { Crash, Recover, Cut, Reconnect, Restore };
  TargetedAction(const char* key, Role role) : key_(key), role_(role) {}
  const char* key() const override { return key_; }
  void parse(ActionSpec& action, const Node& body, ScenarioBuilder& builder) const override {
    action.target = builder.target(body);
  }
  std::string follow(const ActionSpec& action, bool undo, ActionTrace& trace) const override {
    if (!action.target) return "";
    const Target& t = *action.target;
    switch (role_) {
      case Role::Crash:
        follow_hold(held_down(t, trace), &action, undo);
        return "";
      case Role::Cut:
        follow_hold(of_host("cut", t.index, trace), &action, undo);
        return "";
      case Role::Recover: {
        if (clear(held_down(t, trace))) return "";
        // A replica's own host (named like it) may be what is down.
        const auto& hosts = trace.scenario.services[static_cast<std::size_t>(t.index)].replica_hosts;
        const int host = t.kind == Target::Kind::Replica && static_cast<std::size_t>(t.replica) < hosts.size()
                             ? hosts[static_cast<std::size_t>(t.replica)]
                             : -1;
        if (host >= 0 && held(held_down(Target{Target::Kind::Host, host, -1, ""}, trace)))
          return "the host of " + t.name + " is down, not its process: recover the host";
        return (t.kind == Target::Kind::Service ? "no replica of " + t.name + " is down" : t.name + " is not down") +
               " then (no crash of it holds): nothing to recover";
      }
      case Role::Reconnect:
        return clear(of_host("cut", t.index, trace)) ? "" : t.name + "'s link is not cut then: nothing to reconnect";
      case Role::Restore:
        return clear(of_host("slow", t.index, trace)) ? "" : t.name + " is not degraded then: nothing to restore";
    }
    return "";
  }

 private:
  const char* key_;
  Role role_;
};

class DegradeKind : public ActionKind {
 public:
  const char* key() const override { return "degrade"; }
  void parse(ActionSpec& action, const Node& body, ScenarioBuilder& builder) const override {
    action.target = builder.target(body);
    auto options = std::make_shared<DegradeAction>();
    options->cpu_factor = body.at("cpu_factor").number();
    options->disk_factor = body.at("disk_factor").number();
    if (!builder.written(body.at("cpu_factor")) && !builder.written(body.at("disk_factor")))
      builder.problem(body.pointer(), "needs cpu_factor, disk_factor or both");
    if (action.target) builder.require_power_state(action.target->index, options->cpu_factor, options->disk_factor);
    action.options = options;
  }
  std::string follow(const ActionSpec& action, bool undo, ActionTrace& trace) const override {
    if (action.target) follow_hold(of_host("slow", action.target->index, trace), &action, undo);
    return "";
  }
};

class PartitionKind : public ActionKind {
 public:
  const char* key() const override { return "partition"; }
  void parse(ActionSpec& action, const Node& body, ScenarioBuilder& builder) const override {
    auto options = std::make_shared<PartitionAction>();
    std::set<int> seen;
    for (const Node& g : body.elements()) {
      std::vector<int> group;
      for (const Node& h : g.elements()) {
        const int host = builder.host_named(h);
        if (host < 0) continue;
        if (!seen.insert(host).second)
          builder.problem(h, "a host can be in only one group");
        else
          group.push_back(host);
      }
      options->groups.push_back(group);
    }
    action.options = options;
  }
  std::string follow(const ActionSpec& action, bool undo, ActionTrace& trace) const override {
    // A partition replaces the one in force; its end heals only if it is still in force.
    const Held h = partition_held(trace);
    auto& holders = (*h.table)[0];
    if (!undo)
      holders = {&action};
    else if (holders == ActionTrace::Holders{&action})
      holders.clear();
    return "";
  }
};

class HealKind : public ActionKind {
 public:
  const char* key() const override { return "heal"; }
  void parse(ActionSpec&, const Node&, ScenarioBuilder&) const override {}
  std::string follow(const ActionSpec&, bool, ActionTrace& trace) const override {
    return clear(partition_held(trace)) ? "" : "the network is not partitioned then: nothing to heal";
  }
};

class ScaleKind : public ActionKind {
 public:
  const char* key() const override { return "scale"; }
  void parse(ActionSpec& action, const Node& body, ScenarioBuilder& builder) const override {
    auto options = std::make_shared<ScaleAction>();
    options->replicas = body.at("replicas").integer();
    action.options = options;
    const int service = builder.service_named(body.at("service"));
    if (service < 0) return;
    const ServiceSpec& spec = builder.scenario().services[static_cast<std::size_t>(service)];
    if (spec.kind && spec.kind->fixed_membership()) {
      builder.problem(body.at("service"), std::string("service ") + spec.name + " (kind " + spec.kind->name() +
                                              ") cannot be scaled: " + spec.kind->fixed_membership());
      return;
    }
    if (options->replicas > spec.max_replicas)
      builder.problem(body.at("replicas"), "exceeds the service's max_replicas (" + std::to_string(spec.max_replicas) +
                                               "): only parked replicas can be brought into service");
    Target target;
    target.kind = Target::Kind::Service;
    target.index = service;
    target.name = spec.name;
    action.target = target;
  }
  void peak_replicas(const ActionSpec& action, std::vector<int>& replicas) const override {
    if (!action.target) return;
    int& peak = replicas[static_cast<std::size_t>(action.target->index)];
    peak = std::max(peak, action.options_as<ScaleAction>().replicas);
  }
};

}  // namespace

std::vector<TimedAction> schedule_of(const std::vector<ActionSpec>& actions) {
  std::vector<TimedAction> steps;
  for (const ActionSpec& a : actions) {
    steps.push_back({a.at_s, &a, false});
    if (a.duration_s) steps.push_back({a.at_s + *a.duration_s, &a, true});
  }
  std::stable_sort(steps.begin(), steps.end(), [](const TimedAction& a, const TimedAction& b) {
    return a.at < b.at || (a.at == b.at && a.undo && !b.undo);
  });
  return steps;
}

void add_generic_actions(Catalog& catalog) {
  using Role = TargetedAction::Role;
  static TargetedAction crash("crash", Role::Crash), recover("recover", Role::Recover), cut("cut", Role::Cut),
      reconnect("reconnect", Role::Reconnect), restore("restore", Role::Restore);
  static PartitionKind partition;
  static HealKind heal;
  static DegradeKind degrade;
  static ScaleKind scale;
  for (ActionKind* kind : std::initializer_list<ActionKind*>{&crash, &recover, &cut, &reconnect, &partition, &heal,
                                                             &degrade,
                                                             &restore, &scale})
    catalog.add(*kind);
}

}  // namespace archsim
