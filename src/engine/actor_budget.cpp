#include "engine/actor_budget.hpp"

#include <algorithm>

#include <simgrid/s4u.hpp>

#include "core/thread_limit.hpp"

namespace archsim {

namespace {
std::string g_reached;
double g_reached_at = 0;
std::size_t g_peak = 0;
}  // namespace

void ensure_room_for_actor(const std::string& name) {
  namespace sg4 = simgrid::s4u;
  const std::size_t alive = sg4::Engine::get_instance()->get_actor_count();
  if (g_reached.empty() && alive < simulated_thread_limit()) {
    g_peak = std::max(g_peak, alive + 1);
    return;
  }
  if (g_reached.empty()) {
    g_reached = name;
    g_reached_at = sg4::Engine::get_clock();
  }
  if (sg4::this_actor::is_maestro()) throw ActorLimitReached(name);
  sg4::Actor::kill_all();
  sg4::this_actor::exit();
}

const std::string& actor_limit_reached() { return g_reached; }

double actor_limit_reached_at() { return g_reached_at; }

std::size_t peak_actors() { return g_peak; }

void reset_actor_budget() {
  g_reached.clear();
  g_peak = 0;
}

}  // namespace archsim
