#pragma once
// Injects the scenario's faults in simulated time, from actors on the control host:
//  - scheduled events (crash/recover a host, a replica or a whole service; cut/reconnect a
//    host's network link; partition/heal; degrade/restore a host's CPU and disk), each
//    optionally undone after its duration;
//  - random failures: one actor per failing component alternates up and down periods
//    drawn from the component's own random stream (its time to failure and time to repair
//    distributions), for the whole run.
// A component is down while any source holds it down. What a failure does is left to
// SimGrid and the components (see ServiceReplica): the injector only turns hosts and links
// off and on, stops and restarts processes, and changes speeds.
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace archsim {

class Simulation;

class FaultInjector {
 public:
  explicit FaultInjector(Simulation& sim);
  void start();

 private:
  struct Hold {
    int scheduled = 0;
    int random = 0;
    bool down() const { return scheduled > 0 || random > 0; }
    // Adds `delta` to the scheduled or the random count (a scheduled 0 clears it); true
    // when that turns the component down or up.
    bool change(int delta, bool from_random);
  };

  void run_schedule();
  void run_random(const RandomFault& fault, FaultTarget target);
  void apply(const FaultEvent& event, bool undo);
  // Adds (delta > 0) or removes a hold on a target; acts when its state flips.
  void hold(const FaultTarget& target, int delta, bool random);
  void set_host(int host, bool up);
  void set_replica(int service, int replica, bool up);
  void set_link(int host, bool up);
  void set_speed(int host, double cpu_factor, double disk_factor);

  Simulation& sim_;
  std::vector<Hold> host_holds_;
  std::vector<std::vector<Hold>> replica_holds_;
  std::vector<Hold> link_holds_;  // scheduled cuts only
};

}  // namespace archsim
