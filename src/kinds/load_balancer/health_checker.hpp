#pragma once
// Active health checks of a service's replicas, as a load balancer or a database
// monitor runs them: every interval a probe goes to each replica over the simulated
// network and must be answered within the timeout. Replicas out of service (parked or
// leaving) are not probed and count as unhealthy. A replica is marked down after
// `unhealthy_threshold` failed probes in a row and up after `healthy_threshold` good ones;
// until then, traffic keeps going to a dead replica, which is the detection gap.
//
// The counting is a plain class (HealthTracker, unit-tested); HealthChecker is the actor
// that feeds it probe results in simulated time.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "engine/inbox.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class Service;
class RunContext;

class HealthTracker {
 public:
  HealthTracker(int replicas, int unhealthy_threshold, int healthy_threshold);
  // Records one probe result; returns true when the replica's health flipped.
  bool record(int replica, bool ok);
  // Sets the flag without probes (a replica out of service is not checked, and starts
  // unhealthy when it comes back).
  void force(int replica, bool healthy);
  bool healthy(int replica) const { return healthy_[static_cast<std::size_t>(replica)]; }
  const std::vector<bool>& healthy() const { return healthy_; }
  // Grows whenever a flag changes (callers cache what they derive from the flags).
  std::uint64_t version() const { return version_; }

 private:
  std::uint64_t version_ = 0;
  int unhealthy_threshold_;
  int healthy_threshold_;
  std::vector<bool> healthy_;
  std::vector<int> streak_;  // consecutive results contradicting the current flag
};

class HealthChecker {
 public:
  // `on_change(replica, healthy)` is called from the checker's actor when a flag flips.
  HealthChecker(RunContext& run, std::string name, const HealthCheckSpec& spec, Service& target,
                std::function<void(int, bool)> on_change);

  // The actor's body: probes for ever (until killed with its process or host).
  void run();
  const std::vector<bool>& healthy() const { return tracker_.healthy(); }
  std::uint64_t version() const { return tracker_.version(); }
  bool healthy(int replica) const { return tracker_.healthy(replica); }
  const std::string& name() const { return name_; }

 private:
  RunContext& run_;
  std::string name_;
  HealthCheckSpec spec_;
  Service& target_;
  std::function<void(int, bool)> on_change_;
  HealthTracker tracker_;
  std::unique_ptr<Inbox> inbox_;
};

}  // namespace archsim
