// Executions nobody waits for (engine/exec_watch.hpp): one started from an actor (created
// ahead by an actor that outlives it) is reported at exactly its end; ones started in the
// engine's context share a core as processor sharing says and are reported in their order
// of ending; one cancelled before its deferred start never runs and takes no CPU; one
// cancelled while it runs is not reported and gives its share back; one on a host turned
// off is not reported, and the host computes again once it is back. Executions made ahead
// by an actor of their own host (make_on_own_host) leave no callback on
// Host::on_state_change, run and are reported like the others, and are cancelled with
// their maker when the host is turned off.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>

#include "engine/exec_watch.hpp"

namespace sg4 = simgrid::s4u;

namespace {
constexpr double kSpeed = 1e9;  // flops per second per core
int failures = 0;

void expect_near(const std::string& what, double got, double want, double tolerance = 1e-9) {
  const bool ok = std::fabs(got - want) <= tolerance;
  std::printf("%s %s: %.9f s (expected %.9f s)\n", ok ? "ok  " : "FAIL", what.c_str(), got, want);
  failures += ok ? 0 : 1;
}

void expect(const std::string& what, bool ok) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  failures += ok ? 0 : 1;
}

// Notes when each token's execution was reported.
class Recorder : public archsim::ExecWatcher {
 public:
  void exec_finished(std::uint64_t token) override { ends.emplace_back(token, sg4::Engine::get_clock()); }
  double end_of(std::uint64_t token) const {
    for (const auto& [t, at] : ends)
      if (t == token) return at;
    return -1;
  }
  int reports_of(std::uint64_t token) const {
    int n = 0;
    for (const auto& e : ends) n += e.first == token ? 1 : 0;
    return n;
  }
  std::vector<std::pair<std::uint64_t, double>> ends;
};

}  // namespace

int main(int argc, char** argv) {
  sg4::Engine engine(&argc, argv);
  auto* zone = sg4::create_full_zone("zone");
  sg4::Host* a = zone->create_host("a", kSpeed);
  sg4::Host* b = zone->create_host("b", kSpeed)->set_core_count(2);
  sg4::Host* c = zone->create_host("c", kSpeed);
  zone->seal();

  Recorder recorder;
  std::vector<sg4::ExecPtr> handles(16);

  // 1. From an actor, with an execution it created ahead: 1 s of work, reported at 1 s.
  // 3. At 4 s, from an actor: one started and cancelled at once (its start was deferred)
  //    never runs: the other, alone on the core, ends 1 s later.
  // 4. At 6 s: two share host a; one is cancelled at 6.5 s (0.25 s of work done), the
  //    other then has the core to itself: 1 - 0.25 = 0.75 s left, it ends at 7.25 s.
  sg4::Actor::create("owner", a, [&] {
    handles[1] = sg4::Exec::init();
    archsim::exec_watch::start(handles[1], a, 1 * kSpeed, &recorder, 1);
    sg4::this_actor::sleep_until(4);
    archsim::exec_watch::start(handles[3], a, 1 * kSpeed, &recorder, 3);
    archsim::exec_watch::start(handles[4], a, 1 * kSpeed, &recorder, 4);
    archsim::exec_watch::cancel(handles[3]);
    expect("a cancelled handle is left null", handles[3] == nullptr);
    sg4::this_actor::sleep_until(6);
    archsim::exec_watch::start(handles[5], a, 1 * kSpeed, &recorder, 5);
    archsim::exec_watch::start(handles[6], a, 1 * kSpeed, &recorder, 6);
    sg4::this_actor::sleep_until(6.5);
    archsim::exec_watch::cancel(handles[5]);
    // 5. At 8 s on host b: one runs, the host goes down at 8.5 s (not reported); it is
    //    back at 9 s and computes 1 s of work by 10 s.
    sg4::this_actor::sleep_until(8);
    archsim::exec_watch::start(handles[7], b, 1 * kSpeed, &recorder, 7);
    sg4::this_actor::sleep_until(8.5);
    b->turn_off();
    sg4::this_actor::sleep_until(9);
    b->turn_on();
    archsim::exec_watch::start(handles[8], b, 1 * kSpeed, &recorder, 8);
    sg4::this_actor::sleep_until(12);
  });
  // 2. In the engine's context at 2 s: 0.5 s and 1 s of work on host a's one core. They
  //    share it until the first is done (at 3 s), then the second has it alone (3.5 s).
  simgrid::kernel::timer::Timer::set(2, [&] {
    archsim::exec_watch::start(handles[2], a, 0.5 * kSpeed, &recorder, 20);
    archsim::exec_watch::start(handles[9], a, 1 * kSpeed, &recorder, 21);
    expect("the engine's context starts at once", handles[2] != nullptr && handles[9] != nullptr);
  });

  // 6. On host c, executions made ahead by its own actor: three (two added to one), and
  //    no callback left behind. The first, started at 13 s, is reported at 14 s; the
  //    second, started at 14.5 s, is cancelled with its maker when c goes down at 15 s
  //    (not reported). Back at 15.5 s, c computes 1 s of work by 16.5 s.
  std::vector<sg4::ExecPtr> spares;
  sg4::Actor::create("maker", c, [&] {
    auto& signal = sg4::Host::on_state_change;
    const int callbacks = signal.get_slot_count();
    archsim::exec_watch::make_on_own_host(spares, 1);
    archsim::exec_watch::make_on_own_host(spares, 3);
    expect("made ahead up to the target", spares.size() == 3);
    expect("no callback left on Host::on_state_change", signal.get_slot_count() == callbacks);
    archsim::exec_watch::make_on_own_host(spares, 3);
    expect("none made once at the target", spares.size() == 3);
    sg4::this_actor::sleep_until(13);
    archsim::exec_watch::start(spares[0], c, 1 * kSpeed, &recorder, 9);
    sg4::this_actor::sleep_until(14.5);
    archsim::exec_watch::start(spares[1], c, 1 * kSpeed, &recorder, 10);
    sg4::this_actor::sleep_until(20);
  });
  sg4::Actor::create("operator", a, [&] {
    sg4::this_actor::sleep_until(15);
    c->turn_off();
    sg4::this_actor::sleep_until(15.5);
    c->turn_on();
    archsim::exec_watch::start(handles[10], c, 1 * kSpeed, &recorder, 11);
  });

  engine.run();

  expect_near("1 s of work started from an actor", recorder.end_of(1), 1.0);
  expect_near("two sharing a core: the shorter", recorder.end_of(20), 3.0);
  expect_near("two sharing a core: the longer", recorder.end_of(21), 3.5);
  expect("cancelled before its start: never reported", recorder.reports_of(3) == 0);
  expect_near("... and it took no CPU", recorder.end_of(4), 5.0);
  expect("cancelled while running: not reported", recorder.reports_of(5) == 0);
  expect_near("... and its share came back", recorder.end_of(6), 7.25);
  expect("on a host turned off: not reported", recorder.reports_of(7) == 0);
  expect_near("the host computes again once back", recorder.end_of(8), 10.0);
  expect_near("made ahead on its own host: reported at its end", recorder.end_of(9), 14.0);
  expect("... cancelled with its maker when the host goes down", recorder.reports_of(10) == 0);
  expect_near("... and the host computes again once back", recorder.end_of(11), 16.5);
  expect("each reported once", recorder.ends.size() == 8);

  archsim::exec_watch::stop_all();
  archsim::exec_watch::release_all();
  handles.clear();
  spares.clear();
  if (failures) std::printf("%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
