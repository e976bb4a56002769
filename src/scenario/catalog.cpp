#include "scenario/catalog.hpp"

#include <algorithm>

namespace archsim {

void ServiceKind::demand(const ServiceSpec& service, int endpoint, double weight, DemandContext& context) const {
  const EndpointSpec& ep = service.endpoints[static_cast<std::size_t>(endpoint)];
  const auto running = static_cast<std::size_t>(service.replicas);
  for (std::size_t r = 0; r < running; ++r)
    context.steps(service, ep.steps, service.replica_hosts[r], weight / static_cast<double>(running));
}

double ServiceKind::resident_threads_per_replica(const ServiceSpec& /*service*/) const {
  // The acceptor, the supervisor and a few of the kind's own (a health checker, an applier).
  return 5;
}

void Catalog::add(StepKind& kind) {
  kind.id_ = static_cast<int>(steps_.size());
  steps_.push_back(&kind);
}

void Catalog::add(ActionKind& kind) {
  kind.id_ = static_cast<int>(actions_.size());
  actions_.push_back(&kind);
}

const ServiceKind* Catalog::service_kind(const std::string& name) const {
  for (const ServiceKind* k : services_)
    if (name == k->name()) return k;
  return nullptr;
}

const StepKind* Catalog::step_kind_of(const Node& node) const {
  for (const StepKind* k : steps_)
    if (node.has(k->key())) return k;
  return nullptr;
}

const ActionKind* Catalog::action_kind_of(const Node& node) const {
  for (const ActionKind* k : actions_)
    if (node.has(k->key())) return k;
  return nullptr;
}

void for_each_step(const std::vector<Step>& steps, const std::function<void(const Step&)>& visit) {
  for (const Step& step : steps) {
    visit(step);
    for_each_step(step.children, visit);
  }
}


}  // namespace archsim
