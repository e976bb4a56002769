#pragma once
// Background actors (acceptors, supervisors, workers, monitors, fault schedules) are
// SimGrid daemons: the engine stops them once the last client actor is done.
//
// The actor daemonizes itself as its first action. Daemonizing it from the creator after
// Actor::create is unsafe: the new actor may run and die first (its host failed in the
// same instant), and SimGrid would keep a dangling entry in its daemon list.
#include <functional>
#include <string>
#include <utility>

#include <simgrid/s4u.hpp>

#include "engine/actor_budget.hpp"

namespace archsim {

// Within the actor budget (see actor_budget.hpp).
inline simgrid::s4u::ActorPtr spawn_daemon(const std::string& name, simgrid::s4u::Host* host,
                                           std::function<void()> body) {
  ensure_room_for_actor(name);
  return simgrid::s4u::Actor::create(name, host, [body = std::move(body)] {
    simgrid::s4u::Actor::self()->daemonize();
    body();
  });
}

}  // namespace archsim
