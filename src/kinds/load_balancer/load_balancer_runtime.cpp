#include "kinds/load_balancer/load_balancer_runtime.hpp"

#include "components/run_context.hpp"
#include "components/runtime_catalog.hpp"
#include "components/service.hpp"
#include "components/service_replica.hpp"
#include "engine/daemon.hpp"

namespace archsim::kinds::load_balancer {

BalancerGroup::BalancerGroup(RunContext& run, Service& service, const LoadBalancerOptions& spec)
    : run_(run),
      service_(service),
      spec_(spec),
      policy_(make_policy(spec.policy, run.scenario().services[static_cast<std::size_t>(spec.backend)].max_replicas)),
      routed_(static_cast<std::size_t>(run.scenario().services[static_cast<std::size_t>(spec.backend)].max_replicas), 0) {}

Service& BalancerGroup::backend() { return run_.service(spec_.backend); }

ServiceReplica* BalancerGroup::route(Service& service, const Message& request, bool write, int avoid) {
  if (spec_.active_passive) return service.replicas()[static_cast<std::size_t>(active_)].get();
  return ServiceRuntime::route(service, request, write, avoid);
}

std::unique_ptr<ReplicaBehavior> BalancerGroup::make_behavior(ServiceReplica&) {
  return std::make_unique<LoadBalancerBehavior>(*this);
}

int BalancerGroup::choose(const RoutingRequest& request, const BackendView& view) {
  return policy_->choose(request, view, service_.rng());
}

void BalancerGroup::routed(int backend, bool session_ends, std::uint64_t session) {
  if (run_.recorder().measured(sg4::Engine::get_clock())) routed_[static_cast<std::size_t>(backend)]++;
  if (session_ends) policy_->end_session(session);
}

void BalancerGroup::replica_state_changed(ServiceReplica&) {
  // Whenever the active replica is down (it just failed, or another one just came up while
  // it is down), the watch starts, unless it is already running.
  if (!spec_.active_passive || failover_pending_) return;
  if (service_.replicas()[static_cast<std::size_t>(active_)]->up()) return;
  failover_pending_ = true;
  spawn_daemon(service_.name() + "/vip", run_.control_host(), [this] { failover_watch(); });
}

void BalancerGroup::failover_watch() {
  // A standby notices the missing heartbeats failover_s later, then takes the address if it
  // is up. If none is, the next replica to come up starts a new watch.
  const auto& replicas = service_.replicas();
  sg4::this_actor::sleep_for(spec_.failover_s);
  failover_pending_ = false;
  if (replicas[static_cast<std::size_t>(active_)]->up()) return;
  for (std::size_t r = 0; r < replicas.size(); ++r) {
    if (static_cast<int>(r) != active_ && replicas[r]->up()) {
      run_.recorder().timeline(sg4::Engine::get_clock(), service_.name(), "failover",
                               "traffic moves from " + replicas[static_cast<std::size_t>(active_)]->name() + " to " +
                                   replicas[r]->name());
      active_ = static_cast<int>(r);
      ++failovers_;
      return;
    }
  }
}

nlohmann::ordered_json BalancerGroup::report(double) const {
  nlohmann::ordered_json j;
  j["policy"] = to_string(spec_.policy.kind);
  j["mode"] = spec_.active_passive ? "active_passive" : "active_active";
  std::uint64_t total = 0;
  for (auto n : routed_) total += n;
  nlohmann::ordered_json share = nlohmann::ordered_json::object();
  const auto& backends = const_cast<BalancerGroup*>(this)->backend().replicas();
  for (std::size_t b = 0; b < routed_.size(); ++b)
    share[backends[b]->name()] = total ? static_cast<double>(routed_[b]) / static_cast<double>(total) : 0.0;
  j["backend_share"] = share;
  if (auto* ring = dynamic_cast<const ConsistentHashPolicy*>(policy_.get())) {
    nlohmann::ordered_json keys = nlohmann::ordered_json::object();
    const auto shares = ring->ring().shares();
    for (std::size_t b = 0; b < shares.size(); ++b) keys[backends[b]->name()] = shares[b];
    j["ring_key_share"] = keys;
  }
  j["lost_sessions"] = policy_->lost_sessions();
  j["failovers"] = failovers_;
  return j;
}

LoadBalancerBehavior::LoadBalancerBehavior(BalancerGroup& group) : group_(group) {}

void LoadBalancerBehavior::on_start(ServiceReplica& replica) {
  Service& backend = group_.backend();
  view_.connections.assign(backend.replicas().size(), 0);
  checker_version_ = membership_version_ = UINT64_MAX;  // a new checker: derive the view afresh
  RunContext& run = replica.service().run();
  checker_ = std::make_unique<HealthChecker>(
      run, replica.name() + "/health", *replica.service().spec().health_check, backend,
      [&run, &replica, &backend](int r, bool healthy) {
        run.recorder().timeline(sg4::Engine::get_clock(), replica.name(), healthy ? "marks_up" : "marks_down",
                                backend.replicas()[static_cast<std::size_t>(r)]->name());
      });
  HealthChecker* checker = checker_.get();
  replica.spawn_auxiliary("health", [checker] { checker->run(); });
}

Outcome LoadBalancerBehavior::serve(StepContext& context) {
  const LoadBalancerOptions& spec = group_.spec();
  run_cpu(context, spec.cpu_ms);
  Message& request = context.request;
  // Backends its checks find healthy, among those in service (a backend leaving service is
  // deregistered at once); recomputed only when either changes.
  const Service& backend_service = group_.backend();
  if (checker_->version() != checker_version_ || backend_service.membership_version() != membership_version_) {
    checker_version_ = checker_->version();
    membership_version_ = backend_service.membership_version();
    const auto& healthy = checker_->healthy();
    const auto& member = backend_service.in_service_mask();
    view_.healthy.resize(healthy.size());
    for (std::size_t r = 0; r < healthy.size(); ++r) view_.healthy[r] = healthy[r] && member[r];
    view_.index_health();
  }
  const int backend = group_.choose({request.session, request.key}, view_);
  const int endpoint = request.endpoint;
  const int hop = spec.hops[static_cast<std::size_t>(endpoint)];
  if (backend < 0)  // no backend to call: the hop fails at once
    return call_replica(context, nullptr, endpoint, request.request_bytes, request.response_bytes, spec.timeout_s, hop);
  group_.routed(backend, request.session_ends, request.session);
  ++view_.connections[static_cast<std::size_t>(backend)];
  ServiceReplica* target = group_.backend().replicas()[static_cast<std::size_t>(backend)].get();
  // An event-driven proxy: the worker is free while the call is out (see relay_call).
  const Outcome outcome = relay_call(context, target, endpoint, request.request_bytes, request.response_bytes,
                                     spec.timeout_s, hop, backend);
  return context.relayed ? outcome : relayed_call_ended(backend, outcome);
}

Outcome LoadBalancerBehavior::relayed_call_ended(int backend, Outcome outcome) {
  --view_.connections[static_cast<std::size_t>(backend)];
  return outcome;
}

void add_to(RuntimeCatalog& catalog) {
  catalog.add_service("load_balancer", [](Service& service, RunContext& run) -> std::unique_ptr<ServiceRuntime> {
    return std::make_unique<BalancerGroup>(run, service, service.spec().options_as<LoadBalancerOptions>());
  });
}

}  // namespace archsim::kinds::load_balancer
