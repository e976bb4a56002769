#pragma once
// The budget of simulated threads (SimGrid actors) alive at once (core/thread_limit.hpp
// says where it comes from). archsim spawns workers, balancer connections and helpers on demand, so what
// counts is how many are alive at once, not how many a scenario configures; the budget is
// checked at every spawn, and a run that reaches it stops with a message instead of
// crashing (the simulation reports it as bad input: fewer workers or connections, or a
// higher vm.max_map_count).
#include <cstddef>
#include <stdexcept>
#include <string>

namespace archsim {

// Thrown when the budget is spent outside any actor (while a run is being set up).
class ActorLimitReached : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Call before creating an actor named `name`. When the budget is spent, it records what
// was being spawned and ends the run: from an actor, every actor is killed and the caller
// exits (this function does not return); outside any actor, it throws ActorLimitReached.
void ensure_room_for_actor(const std::string& name);
// After a run: what reached the limit ("" if nothing did).
const std::string& actor_limit_reached();
// When it was reached (simulated seconds).
double actor_limit_reached_at();
// The most actors alive at once so far (counted when one is created).
std::size_t peak_actors();
void reset_actor_budget();

}  // namespace archsim
