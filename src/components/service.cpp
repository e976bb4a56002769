#include "components/service.hpp"

#include "components/service_replica.hpp"
#include "engine/simulation.hpp"

namespace archsim {

Service::Service(Simulation& sim, const ServiceSpec& spec, int index)
    : sim_(sim), spec_(spec), index_(index), rng_(sim.scenario().seed, "service/" + spec.name) {
  for (int r = 0; r < spec.replicas; ++r) {
    const int host = spec.replica_hosts[static_cast<std::size_t>(r)];
    replicas_.push_back(std::make_unique<ServiceReplica>(*this, r, sim.platform().machine(host), sim.storage(host)));
  }
}

Service::~Service() = default;

void Service::start() {
  for (auto& r : replicas_) r->start();
}

ServiceReplica* Service::pick_replica() {
  if (replicas_.empty()) return nullptr;
  ServiceReplica* r = replicas_[next_replica_].get();
  next_replica_ = (next_replica_ + 1) % replicas_.size();
  return r;
}

}  // namespace archsim
