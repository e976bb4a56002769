#pragma once
// A load balancer in front of a service: a layer 7 proxy that takes each request, spends
// a little CPU on it, picks a backend replica with its balancing policy among those its
// own health checks consider up, forwards the request and relays the reply. Each balancer
// replica runs its own health checker (it starts and dies with the process) and counts its
// own open connections. Its workers do not wait for the backends' replies: the replica's
// relay does, as an event-driven proxy's event loop would. The policy's state (round-robin
// position, sticky sessions, the hash ring) is shared by the balancer replicas, as a cookie
// or a consistent configuration would make it.
//
// Two replicas can run active/passive: clients reach the active one (a virtual IP); when
// it fails, the passive takes the address failover_s later (the time VRRP-style
// heartbeats take to notice), if it is up.
#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "kinds/load_balancer/balancing_policy.hpp"
#include "kinds/load_balancer/health_checker.hpp"
#include "components/service_runtime.hpp"
#include "kinds/load_balancer/load_balancer_kind.hpp"

namespace archsim {
class RunContext;
class Service;
class ServiceReplica;
}  // namespace archsim

namespace archsim::kinds::load_balancer {

class BalancerGroup : public ServiceRuntime {
 public:
  BalancerGroup(RunContext& run, Service& service, const LoadBalancerOptions& spec);

  std::unique_ptr<ReplicaBehavior> make_behavior(ServiceReplica& replica) override;
  // Clients reach the active one of an active/passive pair; active/active replicas in turn.
  ServiceReplica* route(Service& service, const Message& request, bool write, int avoid) override;
  void replica_state_changed(ServiceReplica& replica) override;
  nlohmann::ordered_json report(double end) const override;

  // Called by the balancer replicas.
  int choose(const RoutingRequest& request, const BackendView& view);
  void routed(int backend, bool session_ends, std::uint64_t session);
  const LoadBalancerOptions& spec() const { return spec_; }
  Service& backend();
  Service& service() { return service_; }

 private:
  void failover_watch();

  RunContext& run_;
  Service& service_;
  LoadBalancerOptions spec_;
  std::unique_ptr<BalancingPolicy> policy_;
  int active_ = 0;
  bool failover_pending_ = false;
  std::vector<std::uint64_t> routed_;  // requests per backend replica (measured)
  std::uint64_t failovers_ = 0;
};

class LoadBalancerBehavior : public ReplicaBehavior {
 public:
  explicit LoadBalancerBehavior(BalancerGroup& group);
  Outcome serve(StepContext& context) override;
  void on_start(ServiceReplica& replica) override;
  Outcome relayed_call_ended(int backend, Outcome outcome) override;

 private:
  BalancerGroup& group_;
  std::unique_ptr<HealthChecker> checker_;
  BackendView view_;
  std::uint64_t checker_version_ = UINT64_MAX;  // what view_.healthy was derived from
  std::uint64_t membership_version_ = UINT64_MAX;  // its connections are the balancer's open connections per backend
};

}  // namespace archsim::kinds::load_balancer
