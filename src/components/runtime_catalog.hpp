#pragma once
// The run-time side of the catalog (scenario/catalog.hpp): for every service kind the
// factory of its ServiceRuntime, for every step kind its executor, for every timed action
// its applier, found by the same names. kinds/runtime_catalog.cpp builds the shipped one.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scenario/catalog.hpp"

namespace archsim {

class Service;
class RunContext;
class ServiceRuntime;
class StepExecutor;
class ActionApplier;

using ServiceRuntimeFactory = std::function<std::unique_ptr<ServiceRuntime>(Service&, RunContext&)>;

class RuntimeCatalog {
 public:
  void add_service(const std::string& kind, ServiceRuntimeFactory factory);
  void add_step(const std::string& key, const StepExecutor& executor);
  void add_action(const std::string& key, const ActionApplier& applier);

  // Throw std::logic_error when a kind of the scenario's catalog has no run-time side.
  const ServiceRuntimeFactory& service(const std::string& kind) const;
  // Indexed by the ids of `catalog`'s step kinds and action kinds.
  std::vector<const StepExecutor*> step_table(const Catalog& catalog) const;
  std::vector<const ActionApplier*> action_table(const Catalog& catalog) const;

 private:
  std::map<std::string, ServiceRuntimeFactory> services_;
  std::map<std::string, const StepExecutor*> steps_;
  std::map<std::string, const ActionApplier*> actions_;
};

// Adds the executors of the generic step kinds and the appliers of the generic actions.
void add_generic_runtime(RuntimeCatalog& catalog);

}  // namespace archsim
