#pragma once
// The generic timed actions of the timeline (scenario side), the "events" of the faults
// section: crash and recover a host, a replica or a service; cut and reconnect a host's
// link; partition and heal the network; degrade and restore a host's speed; scale a
// service within its parked capacity. What they do at run time is in
// components/timeline.cpp.
#include <vector>

#include "scenario/catalog.hpp"

namespace archsim {

struct PartitionAction : ActionOptions {
  std::vector<std::vector<int>> groups;  // host indices
};

struct DegradeAction : ActionOptions {
  double cpu_factor = 1.0;  // 1: that part is not slowed
  double disk_factor = 1.0;
};

struct ScaleAction : ActionOptions {
  int replicas = 0;  // the service's replicas in service after the action
};

// One moment of the schedule: an action, or the undoing of one at the end of its duration.
struct TimedAction {
  double at;
  const ActionSpec* action;
  bool undo;
};

// The schedule of `actions` (in time order, as the scenario keeps them) in the order the
// run applies it: by time, an undo before a new action at the same time.
std::vector<TimedAction> schedule_of(const std::vector<ActionSpec>& actions);

// Adds the generic action kinds to `catalog`.
void add_generic_actions(Catalog& catalog);

}  // namespace archsim
