#pragma once
// The timeline of a run, played from actors on the control host:
//  - timed actions (the faults section's events), each optionally undone after its
//    duration, applied in time order (an undo before a new action at the same time) by the
//    applier of its kind (see RuntimeCatalog): crash and recover a host, a replica or a
//    service; cut and reconnect a host's network link; partition and heal; degrade and
//    restore a host's CPU and disk; and whatever actions the kinds add;
//  - random failures: one actor per failing component alternates up and down periods
//    drawn from the component's own random stream (its time to failure and time to repair
//    distributions), for the whole run.
// A component is down while any source holds it down. What a failure does is left to
// SimGrid and the components (see ServiceReplica): the timeline only turns hosts and links
// off and on, stops and restarts processes, and changes speeds.
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace archsim {

class RunContext;
class RuntimeCatalog;
class Timeline;

// What an action of one kind does (and how it is undone after its duration).
class ActionApplier {
 public:
  virtual ~ActionApplier() = default;
  virtual void apply(const ActionSpec& action, bool undo, Timeline& timeline) const = 0;
};

class Timeline {
 public:
  explicit Timeline(RunContext& run);
  void start();
  RunContext& run() { return run_; }

  // For the appliers. A hold keeps a target down: `action` (a crash) begins holding it
  // (`delta` +1) or, at the end of its duration, ends its own hold (-1); 0 (a recover)
  // ends every scheduled hold. Without an action, a random failure (+1) or repair (-1).
  void hold(const Target& target, const ActionSpec* action, int delta);
  // The same for a host's network link (scheduled cuts only).
  void hold_link(int host, const ActionSpec* action, int delta);
  // Hosts in different groups cannot talk (an empty list heals the network).
  void partition(const std::vector<std::vector<int>>& groups);
  // A partition action begins (replacing any in force) or its duration ends (healing only
  // if it is still the one in force); a heal (no action, `end`) ends whichever is.
  void partition_by(const ActionSpec* action, bool end);
  // Slows the host's CPU and disk by these factors (1, 1: full speed).
  void set_speed(int host, double cpu_factor, double disk_factor);
  // Degradations that overlap: the latest still in force sets the speed. `begin` adds
  // `action`'s factors, `end` (the end of its duration) takes them away, `clear` (a
  // restore) takes every one away.
  void degrade_begin(int host, const ActionSpec* action, double cpu_factor, double disk_factor);
  void degrade_end(int host, const ActionSpec* action);
  void degrade_clear(int host);
  // Brings parked replicas of `service` into service, or parks some, so that `replicas`
  // are in service: the lowest-numbered ones. A replica whose parked host is held down by
  // a crash cannot come into service and stays parked.
  void scale(int service, int replicas);

 private:
  struct Hold {
    std::vector<const ActionSpec*> scheduled;  // the scheduled actions holding it
    int random = 0;
    bool down() const { return !scheduled.empty() || random > 0; }
    // As hold() says; true when that turns the component down or up.
    bool change(const ActionSpec* action, int delta);
  };

  void run_schedule();
  void run_random(const RandomFault& fault, Target target);
  void set_host(int host, bool up);
  void set_replica(int service, int replica, bool up);
  void set_link(int host, bool up);

  RunContext& run_;
  std::vector<const ActionApplier*> appliers_;  // by action kind id
  std::vector<Hold> host_holds_;
  std::vector<std::vector<Hold>> replica_holds_;
  std::vector<Hold> link_holds_;  // scheduled cuts only
  struct Slowdown {
    const ActionSpec* action;
    double cpu_factor, disk_factor;
  };
  std::vector<std::vector<Slowdown>> slowdowns_;  // per host, in the order they began
  const ActionSpec* partitioned_by_ = nullptr;    // the partition in force
  void apply_slowdowns(int host);
};

// Adds the appliers of the generic actions (scenario/actions.hpp).
void add_generic_action_appliers(RuntimeCatalog& catalog);

}  // namespace archsim
