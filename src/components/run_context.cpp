#include "components/run_context.hpp"

#include "components/runtime_catalog.hpp"
#include "components/service.hpp"

namespace archsim {

RunContext::RunContext(const Scenario& scenario, const Platform& platform, Recorder& recorder, Tracer& tracer,
                       Hosts& hosts, const RuntimeCatalog& runtime)
    : scenario_(scenario),
      platform_(platform),
      recorder_(recorder),
      tracer_(tracer),
      hosts_(hosts),
      runtime_(runtime),
      executors_(runtime.step_table(*scenario.catalog)) {}

std::vector<ServiceReplica*> RunContext::replicas_on(int host) const {
  std::vector<ServiceReplica*> out;
  for (const Service* s : services_)
    for (const auto& r : s->replicas())
      if (r->machine().index == host) out.push_back(r.get());
  return out;
}

}  // namespace archsim
