#pragma once
// A tier of the architecture (the "web" app servers, the "db" database...): its replicas
// and how callers pick one of them. Without a load balancer in front, callers balance on
// their side, round robin over the replicas (as a driver given several hosts does).
#include <memory>
#include <vector>

#include "core/rng.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class Simulation;
class ServiceReplica;

class Service {
 public:
  Service(Simulation& sim, const ServiceSpec& spec, int index);
  ~Service();

  void start();
  // The replica the next call goes to, or nullptr when there is none to call.
  ServiceReplica* pick_replica();

  const ServiceSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  int index() const { return index_; }
  Simulation& sim() { return sim_; }
  RandomStream& rng() { return rng_; }
  const std::vector<std::unique_ptr<ServiceReplica>>& replicas() const { return replicas_; }

 private:
  Simulation& sim_;
  const ServiceSpec& spec_;
  int index_;
  RandomStream rng_;
  std::vector<std::unique_ptr<ServiceReplica>> replicas_;
  std::size_t next_replica_ = 0;
};

}  // namespace archsim
