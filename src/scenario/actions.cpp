#include "scenario/actions.hpp"

#include <algorithm>
#include <memory>
#include <set>

#include "scenario/builder.hpp"

namespace archsim {

namespace {

// An action on a target: a host, a replica or a service (crash, recover), or a host only
// (cut, reconnect, restore: the schema allows nothing else).
class TargetedAction : public ActionKind {
 public:
  explicit TargetedAction(const char* key) : key_(key) {}
  const char* key() const override { return key_; }
  void parse(ActionSpec& action, const Node& body, ScenarioBuilder& builder) const override {
    action.target = builder.target(body);
  }

 private:
  const char* key_;
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
};

class HealKind : public ActionKind {
 public:
  const char* key() const override { return "heal"; }
  void parse(ActionSpec&, const Node&, ScenarioBuilder&) const override {}
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

void add_generic_actions(Catalog& catalog) {
  static TargetedAction crash("crash"), recover("recover"), cut("cut"), reconnect("reconnect"), restore("restore");
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
