#include "engine/exec_watch.hpp"

#include <optional>
#include <utility>
#include <vector>

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/kernel/resource/Action.hpp>
#include <xbt/signal.hpp>

#include "core/flat_map.hpp"
#include "engine/host_data.hpp"

namespace simgrid::kernel::resource {
class CpuAction;
}

namespace archsim::detail {
using CpuActionStateSignal = simgrid::xbt::signal<void(const simgrid::kernel::resource::CpuAction&,
                                                       simgrid::kernel::resource::Action::State)>;
// CpuAction::on_state_change: defined and exported by libsimgrid 3.32 (CpuImpl.cpp), whose
// installed headers do not declare it. It fires whenever a CPU action (an execution or a
// sleep) changes state.
extern CpuActionStateSignal cpu_action_state_change __asm__("_ZN7simgrid6kernel8resource9CpuAction15on_state_changeE");
}  // namespace archsim::detail

namespace archsim::exec_watch {

namespace {

using simgrid::kernel::resource::Action;
namespace sg4 = simgrid::s4u;
using Timer = simgrid::kernel::timer::Timer;

struct Watch {
  ExecWatcher* watcher = nullptr;  // nullptr once forgotten or cancelled
  std::uint64_t token = 0;
  sg4::ExecPtr exec;
};
// A start or a cancel asked for from an actor, done by a timer at the same date.
struct Deferred {
  sg4::ExecPtr* handle;  // a start (nullptr: one cancelled or forgotten since)
  sg4::ExecPtr cancel;   // or the execution to cancel
  sg4::Host* host;
  double flops;
  ExecWatcher* watcher;
  std::uint64_t token;
};

struct State {
  FlatMap<const void*, Watch> watched;  // by the execution's kernel activity
  std::vector<Watch> finished;                     // to report
  Timer* report_timer = nullptr;
  // Executions let go of, kept until SimGrid is done with them: it handles the actions
  // that ended (finished, failed, cancelled) after the timers of their date, and an
  // execution made in the engine's context is handed to the observers of activities
  // then. Let go for good one update of the models later.
  std::vector<sg4::ExecPtr> let_go;
  std::vector<sg4::ExecPtr> handled;
  std::vector<Deferred> deferred;
  Timer* deferred_timer = nullptr;
  bool listening = false;
};
State& state() {
  static State s;
  return s;
}

void let_go(sg4::ExecPtr exec) { state().let_go.push_back(std::move(exec)); }

void report_finished() {
  // Taken out first: a watcher starts executions that may end at this same date.
  std::vector<Watch> list;
  list.swap(state().finished);
  for (Watch& w : list) {
    if (w.watcher) w.watcher->exec_finished(w.token);
    let_go(std::move(w.exec));
  }
}

void listen() {
  State& s = state();
  if (s.listening) return;
  s.listening = true;
  sg4::Engine::on_time_advance_cb([](double) {
    // The actions that ended before this update of the models have been handled.
    State& st = state();
    st.handled.clear();
    st.handled.swap(st.let_go);
  });
  detail::cpu_action_state_change.connect([](const simgrid::kernel::resource::CpuAction& cpu_action, Action::State) {
    // SimGrid 3.32 defines `class CpuAction : public Action`, its one, non-virtual base,
    // which the Itanium C++ ABI places at offset 0.
    const auto& action = reinterpret_cast<const Action&>(cpu_action);
    const Action::State now = action.get_state();
    if (now != Action::State::FINISHED && now != Action::State::FAILED) return;
    State& st = state();
    std::optional<Watch> taken = st.watched.take(action.get_activity());
    if (!taken) return;
    Watch watch = std::move(*taken);
    if (now == Action::State::FAILED) {
      let_go(std::move(watch.exec));
      return;
    }
    st.finished.push_back(std::move(watch));
    if (st.report_timer == nullptr)
      st.report_timer = Timer::set(sg4::Engine::get_clock(), [] {
        state().report_timer = nullptr;  // SimGrid frees a timer once it has fired
        report_finished();
      });
  });
}

// In the engine's context.
void start_now(sg4::ExecPtr& exec, sg4::Host* host, double flops, ExecWatcher* watcher, std::uint64_t token) {
  if (!up(host)) return;  // the host is (being) turned off: it is lost with it
  if (!exec) exec = sg4::Exec::init();
  listen();
  state().watched[exec->get_impl()] = Watch{watcher, token, exec};
  exec->set_flops_amount(flops);
  exec->set_host(host);
  exec->start();
}

void run_deferred() {
  std::vector<Deferred> list;
  list.swap(state().deferred);
  for (const Deferred& d : list) {
    if (d.handle)
      start_now(*d.handle, d.host, d.flops, d.watcher, d.token);
    else if (d.cancel) {
      if (d.cancel->get_state() == sg4::Activity::State::STARTED) d.cancel->cancel();
      let_go(d.cancel);
    }
  }
}

void defer(Deferred d) {
  State& s = state();
  s.deferred.push_back(std::move(d));
  if (s.deferred_timer == nullptr)
    s.deferred_timer = Timer::set(sg4::Engine::get_clock(), [] {
      state().deferred_timer = nullptr;  // SimGrid frees a timer once it has fired
      run_deferred();
    });
}

}  // namespace

void start(sg4::ExecPtr& exec, sg4::Host* host, double flops, ExecWatcher* watcher, std::uint64_t token) {
  if (sg4::Actor::is_maestro()) {
    start_now(exec, host, flops, watcher, token);
    return;
  }
  defer(Deferred{&exec, nullptr, host, flops, watcher, token});
}

void make_on_own_host(std::vector<sg4::ExecPtr>& spares, std::size_t target) {
  if (spares.size() >= target) return;
  auto& signal = sg4::Host::on_state_change;
  const auto noop = [](const sg4::Host&) {};
  const unsigned before = signal.connect(noop);
  signal.disconnect(before);
  const std::size_t made = target - spares.size();
  while (spares.size() < target) spares.push_back(sg4::Exec::init());
  const unsigned after = signal.connect(noop);
  signal.disconnect(after);
  // Callbacks are numbered in sequence and nothing else runs meanwhile: when Exec::init
  // connected exactly one per execution, they are the ones between.
  if (after - before == made + 1)
    for (unsigned id = before + 1; id < after; ++id) signal.disconnect(id);
}

void cancel(sg4::ExecPtr& exec) {
  State& s = state();
  for (Deferred& d : s.deferred)
    if (d.handle == &exec) d.handle = nullptr;  // not started yet: it never will be
  if (exec) {
    for (Watch& w : s.finished)
      if (w.exec == exec) w.watcher = nullptr;
    s.watched.erase(exec->get_impl());
    if (!sg4::Actor::is_maestro()) {
      defer(Deferred{nullptr, exec, nullptr, 0, nullptr, 0});
    } else {
      if (exec->get_state() == sg4::Activity::State::STARTED) exec->cancel();
      let_go(exec);
    }
  }
  exec = nullptr;
}

namespace {
// Nothing more is started or reported for the watchers `dropped` picks.
template <typename Pick>
void drop_watchers(Pick dropped) {
  State& s = state();
  s.watched.for_each([&dropped](const void*, Watch& w) {
    if (dropped(w.watcher)) w.watcher = nullptr;
  });
  for (Watch& w : s.finished)
    if (dropped(w.watcher)) w.watcher = nullptr;
  for (Deferred& d : s.deferred)
    if (dropped(d.watcher)) d.handle = nullptr;
}
}  // namespace

void forget(const ExecWatcher* watcher) {
  drop_watchers([watcher](const ExecWatcher* w) { return w == watcher; });
}

void stop_all() {
  drop_watchers([](const ExecWatcher*) { return true; });
}

void release_all() {
  State& s = state();
  s.watched.clear();
  s.finished.clear();
  s.let_go.clear();
  s.handled.clear();
  s.deferred.clear();
  if (s.report_timer) s.report_timer->remove();
  if (s.deferred_timer) s.deferred_timer->remove();
  s.report_timer = s.deferred_timer = nullptr;
}

}  // namespace archsim::exec_watch
