#include "kinds/load_balancer/load_balancer_kind.hpp"

#include <algorithm>
#include <memory>

#include "scenario/builder.hpp"
#include "scenario/catalog.hpp"

namespace archsim::kinds::load_balancer {

namespace {

class LoadBalancerKind : public ServiceKind {
 public:
  const char* name() const override { return "load_balancer"; }
  const char* report_section() const override { return "balancer"; }

  void parse(ServiceSpec& service, const Node& node, ScenarioBuilder&) const override {
    service.workers = node.at("max_connections").integer();
  }

  // Its endpoints are its backend's (the builder copies them once every service is
  // resolved), so that calls to the balancer resolve.
  void resolve(ServiceSpec& service, const Node& v, ScenarioBuilder& builder) const override {
    auto lb = std::make_shared<LoadBalancerOptions>();
    service.options = lb;
    const int self = builder.scenario().service_index(service.name);
    builder.endpoints_follow(self, -1);  // until its backend is named
    const Node backend = v.at("backend");
    lb->backend = builder.service_named(backend);
    if (lb->backend >= 0 && lb->backend == self) {
      builder.problem(backend, "a load balancer cannot be its own backend");
      lb->backend = -1;
    }
    const ServiceSpec* target =
        lb->backend >= 0 ? &builder.scenario().services[static_cast<std::size_t>(lb->backend)] : nullptr;
    if (target && target->kind && target->kind->reached_by()) {
      builder.problem(backend, std::string("service ") + target->name + " (kind " + target->kind->name() +
                                   ") cannot be a balancer's backend: it is reached by " + target->kind->reached_by());
      lb->backend = -1;
      target = nullptr;
    }
    if (target && target->kind && !target->kind->serves_services()) {
      builder.problem(backend, std::string("service ") + target->name + " (kind " + target->kind->name() +
                                   ") serves clients only: it cannot be a balancer's backend");
      lb->backend = -1;
      target = nullptr;
    }
    builder.endpoints_follow(self, target ? lb->backend : -1, backend.pointer());
    lb->policy.kind = policy_from_string(v.at("policy").string());
    lb->policy.virtual_nodes = v.at("virtual_nodes").integer();
    lb->policy.hash_on = v.at("hash_on").is("key") ? HashOn::Key : HashOn::Session;
    lb->policy.choices = v.at("policy").is("power_of_d") ? v.at("choices").integer() : 2;
    if (builder.written(v.at("choices")) && !v.at("policy").is("power_of_d"))
      builder.problem(v.pointer() + "/choices", "only used by the power_of_d policy");
    const bool hashing = lb->policy.kind == PolicyKind::Hash || lb->policy.kind == PolicyKind::ConsistentHash;
    if (builder.written(v.at("virtual_nodes")) && lb->policy.kind != PolicyKind::ConsistentHash)
      builder.problem(v.pointer() + "/virtual_nodes", "only used by the consistent_hash policy");
    if (builder.written(v.at("hash_on")) && !hashing)
      builder.problem(v.pointer() + "/hash_on", "only used by the hash and consistent_hash policies");
    if (v.has("weights")) {
      const Node weights = v.at("weights");
      if (lb->policy.kind != PolicyKind::WeightedRoundRobin)
        builder.problem(weights.pointer(), "only used by the weighted_round_robin policy");
      lb->policy.weights = weights.numbers();
      if (std::none_of(lb->policy.weights.begin(), lb->policy.weights.end(), [](double w) { return w > 0; }))
        builder.problem(weights, "at least one weight must be above 0: with none, no replica would be chosen");
      if (target && lb->policy.weights.size() != static_cast<std::size_t>(target->max_replicas))
        builder.problem(weights, "needs one weight per replica of " + target->name + " (" +
                                     std::to_string(target->max_replicas) + ")");
    }
    lb->active_passive = v.at("mode").is("active_passive");
    if (lb->active_passive && (service.replicas != 2 || service.max_replicas != 2))
      builder.problem(v.at("mode"), "active_passive needs exactly 2 replicas of the load balancer");
    if (builder.written(v.at("failover_s")) && !lb->active_passive)
      builder.problem(v.pointer() + "/failover_s", "only used in active_passive mode");
    lb->failover_s = v.at("failover_s").number();
    lb->cpu_ms = builder.distribution(v.at("cpu_ms"));
    lb->timeout_s = v.at("timeout_ms").number() / 1000.0;
  }

  void finish(ServiceSpec& service, const Node& node, ScenarioBuilder& builder) const override {
    auto lb = std::make_shared<LoadBalancerOptions>(service.options_as<LoadBalancerOptions>());
    if (lb->backend >= 0) {
      const int self = builder.scenario().service_index(service.name);
      for (std::size_t e = 0; e < service.endpoints.size(); ++e)
        lb->hops.push_back(builder.hop(self, lb->backend, static_cast<int>(e)));
      // A service that routes its reads and writes itself (a replicated database sends
      // writes to its primary) loses that behind a balancer, which spreads them over all.
      const ServiceSpec& backend = builder.scenario().services[static_cast<std::size_t>(lb->backend)];
      if (backend.kind && backend.kind->has_access_modes() && backend.max_replicas > 1)
        builder.warning(node.pointer() + "/backend",
                        "service " + backend.name + " routes writes to its primary itself: this balancer spreads "
                        "them over its " + std::to_string(backend.max_replicas) +
                            " replicas, where writes fail; let callers reach " + backend.name + " directly");
    }
    service.options = lb;
  }

  bool needs_health_check(const ServiceSpec&) const override { return true; }

  void edges(const ServiceSpec& service, int endpoint, const std::function<void(CallTarget)>& edge) const override {
    const auto& lb = service.options_as<LoadBalancerOptions>();
    if (lb.backend >= 0) edge({lb.backend, endpoint});
  }

  void demand(const ServiceSpec& service, int endpoint, double weight, DemandContext& context) const override {
    const auto& lb = service.options_as<LoadBalancerOptions>();
    // The active one of a pair does all the proxying; active/active replicas share it.
    const std::size_t proxies = lb.active_passive ? 1 : static_cast<std::size_t>(service.replicas);
    for (std::size_t r = 0; r < proxies; ++r) {
      const int host = service.replica_hosts[r];
      const double core_speed = context.scenario().hosts[static_cast<std::size_t>(host)].core_speed;
      context.cpu(host, weight / static_cast<double>(proxies) * lb.cpu_ms.mean() / 1000.0 / core_speed);
    }
    if (lb.backend >= 0) context.visit(lb.backend, endpoint, weight);
  }
};

}  // namespace

void add_to(Catalog& catalog) {
  static const LoadBalancerKind kind;
  catalog.add(kind);
}

}  // namespace archsim::kinds::load_balancer
