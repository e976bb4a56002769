// The app_server kind, run-time side: each replica runs the endpoint's steps; callers
// reach its replicas in turn.
#include "components/runtime_catalog.hpp"
#include "components/service.hpp"
#include "components/service_runtime.hpp"

namespace archsim::kinds::app_server {

namespace {
class AppServer : public ServiceRuntime {
 public:
  std::unique_ptr<ReplicaBehavior> make_behavior(ServiceReplica& replica) override {
    return std::make_unique<StepsBehavior>(replica);
  }
};
}  // namespace

void add_to(RuntimeCatalog& catalog) {
  catalog.add_service("app_server",
                      [](Service&, RunContext&) -> std::unique_ptr<ServiceRuntime> { return std::make_unique<AppServer>(); });
}

}  // namespace archsim::kinds::app_server
