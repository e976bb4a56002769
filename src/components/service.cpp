#include "components/service.hpp"

#include "components/hosts.hpp"
#include "components/runtime_catalog.hpp"
#include "engine/daemon.hpp"

namespace archsim {

StepsBehavior::StepsBehavior(ServiceReplica& replica) : spec_(replica.service().spec()) {
  const RunContext& run = replica.service().run();
  for (const EndpointSpec& endpoint : spec_.endpoints)
    threadless_.push_back(run.threadless_steps() && runs_threadless(run, endpoint.steps) ? &endpoint.steps : nullptr);
}

Outcome StepsBehavior::serve(StepContext& context) {
  return run_steps(context, spec_.endpoints[static_cast<std::size_t>(context.request.endpoint)].steps);
}

ServiceReplica* ServiceRuntime::route(Service& service, const Message&, bool, int avoid) {
  return service.next_in_turn(avoid);
}

Service::Service(RunContext& run, const ServiceSpec& spec, int index)
    : run_(run),
      spec_(spec),
      index_(index),
      rng_(run.random_stream("service/" + spec.name)),
      open_calls_(static_cast<std::size_t>(spec.max_replicas), 0),
      up_count_(spec.max_replicas + 1, spec.replicas, run.scenario().warmup_s, run.scenario().duration_s) {
  // The kind's side first: replicas ask it for their behaviour as they are created.
  runtime_ = run.runtime().service(spec.kind->name())(*this, run);
  for (int r = 0; r < spec.max_replicas; ++r) {
    const int host = spec.replica_hosts[static_cast<std::size_t>(r)];
    replicas_.push_back(
        std::make_unique<ServiceReplica>(*this, r, run.platform().machine(host), run.hosts().storage(host)));
    components_.push_back(run.recorder().add_component(
        spec.replica_name(r), "replica", configured_availability_of_replica(run.scenario(), index, r),
        r < spec.replicas ? ComponentState::Up : ComponentState::Parked));
  }
  if (spec.max_replicas > spec.replicas)
    run.recorder().gauges().level("replicas_up:" + spec.name, [this] { return static_cast<double>(replicas_up()); });
}

Service::~Service() = default;

void Service::start() {
  for (auto& r : replicas_) r->start();
  membership_changed();
  runtime_->start();
}

int Service::replicas_up() const {
  int n = 0;
  for (const auto& r : replicas_) n += r->up();
  return n;
}

void Service::membership_changed() {
  std::vector<bool> mask(replicas_.size());
  for (std::size_t r = 0; r < replicas_.size(); ++r) mask[r] = replicas_[r]->in_service();
  if (mask == in_service_mask_) return;
  in_service_mask_ = std::move(mask);
  ++membership_version_;
}

int Service::in_service() const {
  int n = 0;
  for (const auto& r : replicas_) n += r->in_service();
  return n;
}

void Service::replica_state_changed(ServiceReplica& replica, ReplicaState before, ReplicaState after) {
  const double now = RunContext::now();
  const bool was_up = before == ReplicaState::Up;
  const bool is_up = after == ReplicaState::Up;
  // A host failure is on the timeline already, as the host's event.
  if (after != ReplicaState::HostDown) run_.recorder().timeline(now, replica.name(), to_string(after));
  // Parked time, and the boot of a replica coming into service, are neither up nor down.
  const ComponentState state = is_up                                                         ? ComponentState::Up
                               : after == ReplicaState::Parked ||
                                         (replica.provisioning() && after == ReplicaState::Starting)
                                     ? ComponentState::Parked
                                                                                           : ComponentState::Down;
  run_.recorder().component_changed(components_[static_cast<std::size_t>(replica.index())], state, now);
  if (was_up == is_up) return;
  up_count_.change(now, replicas_up());
  runtime_->replica_state_changed(replica);
}

void Service::replica_parked(ServiceReplica& replica) {
  if (!spec_.dedicated_hosts) return;
  // From a control actor: switching the host off kills the actors on it, perhaps the
  // caller. The machine shuts down for a while first, so the last replies get out.
  ServiceReplica* r = &replica;
  Hosts* hosts = &run_.hosts();
  spawn_daemon(replica.name() + "/park-host", run_.control_host(), [r, hosts] {
    sg4::this_actor::sleep_for(kHostShutdownS);
    if (!r->parked()) return;  // back in service meanwhile
    r->host_parked();
    hosts->set_parked(r->machine().index, true);
  });
}

ServiceReplica* Service::next_in_turn(int avoid) {
  // The next replica in service, in turn.
  const auto next = [this]() -> ServiceReplica* {
    for (std::size_t tried = 0; tried < replicas_.size(); ++tried) {
      ServiceReplica* r = replicas_[next_replica_].get();
      next_replica_ = (next_replica_ + 1) % replicas_.size();
      if (r->in_service()) return r;
    }
    return nullptr;
  };
  ServiceReplica* r = next();
  if (r && r->index() == avoid && in_service() > 1) r = next();
  return r;
}

}  // namespace archsim
