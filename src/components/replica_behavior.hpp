#pragma once
// What a replica does with a request, by service kind: an app server runs the endpoint's
// steps; a database also commits and replicates writes and checks reads for staleness; a
// load balancer proxies to a backend. Behaviours may run actors of their own (a
// replication applier, a health checker): they start with the process and die with it.
#include "components/step_runner.hpp"
#include "engine/message.hpp"

namespace archsim {

class ServiceReplica;

class ReplicaBehavior {
 public:
  virtual ~ReplicaBehavior() = default;
  // Serves `context.request` (endpoint `context.request.endpoint`) in a worker actor.
  virtual Outcome serve(StepContext& context) = 0;
  // The process started (called from the replica's supervisor, on its host).
  virtual void on_start(ServiceReplica& /*replica*/) {}
  // The process stopped; its actors are already dead.
  virtual void on_stop(ServiceReplica& /*replica*/) {}
};

class AppServerBehavior : public ReplicaBehavior {
 public:
  Outcome serve(StepContext& context) override;
};

}  // namespace archsim
