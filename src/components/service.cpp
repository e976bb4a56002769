#include "components/service.hpp"

#include "components/database.hpp"
#include "components/load_balancer.hpp"
#include "engine/simulation.hpp"

namespace archsim {

Outcome AppServerBehavior::serve(StepContext& context) {
  const ServiceSpec& spec = context.replica.service().spec();
  return run_steps(context, spec.endpoints[static_cast<std::size_t>(context.request.endpoint)].steps);
}

Service::Service(Simulation& sim, const ServiceSpec& spec, int index)
    : sim_(sim),
      spec_(spec),
      index_(index),
      rng_(sim.scenario().seed, "service/" + spec.name),
      open_calls_(static_cast<std::size_t>(spec.replicas), 0),
      up_count_(spec.replicas + 1, spec.replicas, sim.scenario().warmup_s) {
  if (spec.replication) database_ = std::make_unique<DatabaseCluster>(sim, *this, *spec.replication, *spec.health_check);
  if (spec.balancer) balancer_ = std::make_unique<BalancerGroup>(sim, *this, *spec.balancer);
  for (int r = 0; r < spec.replicas; ++r) {
    const int host = spec.replica_hosts[static_cast<std::size_t>(r)];
    replicas_.push_back(std::make_unique<ServiceReplica>(*this, r, sim.platform().machine(host), sim.storage(host)));
    components_.push_back(sim.recorder().add_component(spec.replica_name(r), "replica",
                                                       sim.configured_availability_of_replica(index, r)));
  }
}

Service::~Service() = default;

std::unique_ptr<ReplicaBehavior> Service::make_behavior(ServiceReplica& replica) {
  if (database_) return database_->make_behavior(replica);
  if (balancer_) return balancer_->make_behavior(replica);
  return std::make_unique<AppServerBehavior>();
}

void Service::start() {
  for (auto& r : replicas_) r->start();
  if (database_) database_->start();
}

int Service::replicas_up() const {
  int n = 0;
  for (const auto& r : replicas_) n += r->up();
  return n;
}

void Service::replica_state_changed(ServiceReplica& replica, ReplicaState before, ReplicaState after) {
  const double now = sg4::Engine::get_clock();
  const bool was_up = before == ReplicaState::Up;
  const bool is_up = after == ReplicaState::Up;
  // A host failure is on the timeline already, as the host's event.
  if (after != ReplicaState::HostDown) sim_.recorder().timeline(now, replica.name(), to_string(after));
  if (was_up == is_up) return;
  sim_.recorder().component_changed(components_[static_cast<std::size_t>(replica.index())], is_up, now);
  up_count_.change(now, replicas_up());
  if (balancer_) balancer_->replica_state_changed(replica);
}

ServiceReplica* Service::route(const Message& request, bool write, int avoid) {
  if (database_) return database_->route(request, write, avoid);
  if (balancer_ && balancer_->active_passive()) return replicas_[static_cast<std::size_t>(balancer_->active())].get();
  if (replicas_.empty()) return nullptr;
  ServiceReplica* r = replicas_[next_replica_].get();
  next_replica_ = (next_replica_ + 1) % replicas_.size();
  if (r->index() == avoid && replicas_.size() > 1) {
    r = replicas_[next_replica_].get();
    next_replica_ = (next_replica_ + 1) % replicas_.size();
  }
  return r;
}

nlohmann::ordered_json Service::report(double end) const {
  if (database_) return database_->report(end);
  if (balancer_) return balancer_->report();
  return nullptr;
}

}  // namespace archsim
