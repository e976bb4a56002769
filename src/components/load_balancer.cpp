#include "components/load_balancer.hpp"

#include "components/service.hpp"
#include "components/service_replica.hpp"
#include "engine/daemon.hpp"
#include "engine/host_data.hpp"
#include "engine/simulation.hpp"

namespace archsim {

BalancerGroup::BalancerGroup(Simulation& sim, Service& service, const LoadBalancerSpec& spec)
    : sim_(sim),
      service_(service),
      spec_(spec),
      policy_(make_policy(spec.policy, sim.scenario().services[static_cast<std::size_t>(spec.backend)].replicas)),
      routed_(static_cast<std::size_t>(sim.scenario().services[static_cast<std::size_t>(spec.backend)].replicas), 0) {}

Service& BalancerGroup::backend() { return sim_.service(spec_.backend); }

std::unique_ptr<ReplicaBehavior> BalancerGroup::make_behavior(ServiceReplica&) {
  return std::make_unique<LoadBalancerBehavior>(*this);
}

int BalancerGroup::choose(const RoutingRequest& request, const BackendView& view) {
  return policy_->choose(request, view, service_.rng());
}

void BalancerGroup::routed(int backend, bool session_ends, std::uint64_t session) {
  if (sim_.recorder().measured(sg4::Engine::get_clock())) routed_[static_cast<std::size_t>(backend)]++;
  if (session_ends) policy_->end_session(session);
}

void BalancerGroup::replica_state_changed(ServiceReplica&) {
  // Whenever the active replica is down (it just failed, or another one just came up while
  // it is down), the watch starts, unless it is already running.
  if (!spec_.active_passive || failover_pending_) return;
  if (service_.replicas()[static_cast<std::size_t>(active_)]->up()) return;
  failover_pending_ = true;
  spawn_daemon(service_.name() + "/vip", sim_.control_host(), [this] { failover_watch(); });
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
      sim_.recorder().timeline(sg4::Engine::get_clock(), service_.name(), "failover",
                               "traffic moves from " + replicas[static_cast<std::size_t>(active_)]->name() + " to " +
                                   replicas[r]->name());
      active_ = static_cast<int>(r);
      ++failovers_;
      return;
    }
  }
}

nlohmann::ordered_json BalancerGroup::report() const {
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
  Simulation& sim = replica.service().sim();
  checker_ = std::make_unique<HealthChecker>(
      sim, replica.name() + "/health", *replica.service().spec().health_check, backend,
      [&sim, &replica, &backend](int r, bool healthy) {
        sim.recorder().timeline(sg4::Engine::get_clock(), replica.name(), healthy ? "marks_up" : "marks_down",
                                backend.replicas()[static_cast<std::size_t>(r)]->name());
      });
  HealthChecker* checker = checker_.get();
  replica.spawn_auxiliary("health", [checker] { checker->run(); });
}

Outcome LoadBalancerBehavior::serve(StepContext& context) {
  const LoadBalancerSpec& spec = group_.spec();
  run_cpu(context, spec.cpu_ms);
  Message& request = context.request;
  view_.healthy = checker_->healthy();  // same size each time: no allocation
  const int backend = group_.choose({request.session, request.key}, view_);
  const int endpoint = request.endpoint;
  const int hop = spec.hops[static_cast<std::size_t>(endpoint)];
  if (backend < 0)  // no backend to call: the hop fails at once
    return call_replica(context, nullptr, endpoint, request.request_bytes, request.response_bytes, spec.timeout_s, hop);
  group_.routed(backend, request.session_ends, request.session);
  ++view_.connections[static_cast<std::size_t>(backend)];
  ServiceReplica* target = group_.backend().replicas()[static_cast<std::size_t>(backend)].get();
  const Outcome outcome =
      call_replica(context, target, endpoint, request.request_bytes, request.response_bytes, spec.timeout_s, hop);
  --view_.connections[static_cast<std::size_t>(backend)];
  return outcome;
}

}  // namespace archsim
