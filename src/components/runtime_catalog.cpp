#include "components/runtime_catalog.hpp"

#include <stdexcept>

#include "components/step_runner.hpp"
#include "components/timeline.hpp"

namespace archsim {

void RuntimeCatalog::add_service(const std::string& kind, ServiceRuntimeFactory factory) {
  services_[kind] = std::move(factory);
}

void RuntimeCatalog::add_step(const std::string& key, const StepExecutor& executor) { steps_[key] = &executor; }

void RuntimeCatalog::add_action(const std::string& key, const ActionApplier& applier) { actions_[key] = &applier; }

const ServiceRuntimeFactory& RuntimeCatalog::service(const std::string& kind) const {
  auto it = services_.find(kind);
  if (it == services_.end()) throw std::logic_error("service kind " + kind + " has no run-time side");
  return it->second;
}

std::vector<const StepExecutor*> RuntimeCatalog::step_table(const Catalog& catalog) const {
  std::vector<const StepExecutor*> table;
  for (const StepKind* kind : catalog.step_kinds()) {
    auto it = steps_.find(kind->key());
    if (it == steps_.end()) throw std::logic_error(std::string("step kind ") + kind->key() + " has no executor");
    table.push_back(it->second);
  }
  return table;
}

std::vector<const ActionApplier*> RuntimeCatalog::action_table(const Catalog& catalog) const {
  std::vector<const ActionApplier*> table;
  for (const ActionKind* kind : catalog.action_kinds()) {
    auto it = actions_.find(kind->key());
    if (it == actions_.end()) throw std::logic_error(std::string("action ") + kind->key() + " has no applier");
    table.push_back(it->second);
  }
  return table;
}

void add_generic_runtime(RuntimeCatalog& catalog) {
  add_generic_step_executors(catalog);
  add_generic_action_appliers(catalog);
}

}  // namespace archsim
