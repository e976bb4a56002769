#include "components/service.hpp"

#include "components/hosts.hpp"
#include "components/runtime_catalog.hpp"

namespace archsim {

Outcome StepsBehavior::serve(StepContext& context) {
  const ServiceSpec& spec = context.replica.service().spec();
  return run_steps(context, spec.endpoints[static_cast<std::size_t>(context.request.endpoint)].steps);
}

ServiceReplica* ServiceRuntime::route(Service& service, const Message&, bool, int avoid) {
  return service.next_in_turn(avoid);
}

Service::Service(RunContext& run, const ServiceSpec& spec, int index)
    : run_(run),
      spec_(spec),
      index_(index),
      rng_(run.random_stream("service/" + spec.name)),
      open_calls_(static_cast<std::size_t>(spec.replicas), 0),
      up_count_(spec.replicas + 1, spec.replicas, run.scenario().warmup_s) {
  // The kind's side first: replicas ask it for their behaviour as they are created.
  runtime_ = run.runtime().service(spec.kind->name())(*this, run);
  for (int r = 0; r < spec.replicas; ++r) {
    const int host = spec.replica_hosts[static_cast<std::size_t>(r)];
    replicas_.push_back(
        std::make_unique<ServiceReplica>(*this, r, run.platform().machine(host), run.hosts().storage(host)));
    components_.push_back(run.recorder().add_component(spec.replica_name(r), "replica",
                                                       configured_availability_of_replica(run.scenario(), index, r)));
  }
}

Service::~Service() = default;

void Service::start() {
  for (auto& r : replicas_) r->start();
  runtime_->start();
}

int Service::replicas_up() const {
  int n = 0;
  for (const auto& r : replicas_) n += r->up();
  return n;
}

void Service::replica_state_changed(ServiceReplica& replica, ReplicaState before, ReplicaState after) {
  const double now = RunContext::now();
  const bool was_up = before == ReplicaState::Up;
  const bool is_up = after == ReplicaState::Up;
  // A host failure is on the timeline already, as the host's event.
  if (after != ReplicaState::HostDown) run_.recorder().timeline(now, replica.name(), to_string(after));
  if (was_up == is_up) return;
  run_.recorder().component_changed(components_[static_cast<std::size_t>(replica.index())], is_up, now);
  up_count_.change(now, replicas_up());
  runtime_->replica_state_changed(replica);
}

ServiceReplica* Service::next_in_turn(int avoid) {
  if (replicas_.empty()) return nullptr;
  ServiceReplica* r = replicas_[next_replica_].get();
  next_replica_ = (next_replica_ + 1) % replicas_.size();
  if (r->index() == avoid && replicas_.size() > 1) {
    r = replicas_[next_replica_].get();
    next_replica_ = (next_replica_ + 1) % replicas_.size();
  }
  return r;
}

}  // namespace archsim
