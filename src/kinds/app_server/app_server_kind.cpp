// The app_server kind, scenario side: a pool of worker threads in front of a bounded
// accept queue, running its endpoints' steps. Everything it has is generic.
#include "scenario/builder.hpp"
#include "scenario/catalog.hpp"

namespace archsim::kinds::app_server {

namespace {
class AppServerKind : public ServiceKind {
 public:
  const char* name() const override { return "app_server"; }
  void parse(ServiceSpec& service, const Node& node, ScenarioBuilder&) const override {
    service.workers = node.at("workers").integer();
  }
};
}  // namespace

void add_to(Catalog& catalog) {
  static const AppServerKind kind;
  catalog.add(kind);
}

}  // namespace archsim::kinds::app_server
