#pragma once
// Executions that no actor waits for. A request served without a thread (see
// ServiceReplica) computes on its host as an execution that the replica starts and is told
// the end of, in the engine's own context:
// - SimGrid reports every state change of a CPU action (CpuAction::on_state_change, a
//   signal libsimgrid exports without installing its header). The end of a watched
//   execution is noted while SimGrid updates its CPU model, where nothing may start, and
//   reported to its watcher by a kernel timer at the same date (what the actor waiting on
//   it would see: it runs at that date too).
// - Only executions that finished are reported. One that failed (its host was turned off)
//   or was cancelled is forgotten: whoever turned the host off or cancelled it settles
//   what it was for.
// - Starting or cancelling an execution is a simulation call, during which other actors
//   run. From an actor, both are therefore deferred to a kernel timer at the same date:
//   the caller's bookkeeping is never interleaved with other actors', and a crash cannot
//   come between the two. From the engine's context (a timer, a delivery), they happen at
//   once.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <simgrid/s4u.hpp>

namespace archsim {

class ExecWatcher {
 public:
  virtual ~ExecWatcher() = default;
  // The execution watched with `token` finished (from a kernel timer, at its end date).
  virtual void exec_finished(std::uint64_t token) = 0;
};

namespace exec_watch {

// Starts an execution of `flops` on one core of `host` and reports its end to `watcher`
// with `token`. `exec` is the caller's handle: an execution created ahead and not started
// (SimGrid files it under the actor that created it and cancels it if that actor dies, so
// that actor must outlive it), or null: then one is created in the engine's context, at
// once or when the start is done, and put there. Unless the host is turned off first: then
// it never starts.
void start(simgrid::s4u::ExecPtr& exec, simgrid::s4u::Host* host, double flops, ExecWatcher* watcher,
           std::uint64_t token);
// Executions for start(), made by the calling actor and added to `spares` until it holds
// `target`. That actor runs on the host they will compute on and outlives them (see
// start()). SimGrid 3.32's Exec::init connects one callback per execution to
// Host::on_state_change, to fail it if its host is turned off, and keeps it in one ordered
// map until the execution ends: with a fleet, that map holds every execution in flight and
// each end searches it, far from the processor's caches. An execution made by an actor of
// its own host needs no callback: turning the host off kills that actor before the
// callbacks run, which cancels the execution, and the callback then does nothing. So these
// callbacks are disconnected here.
void make_on_own_host(std::vector<simgrid::s4u::ExecPtr>& spares, std::size_t target);
// Stops watching the execution of handle `exec` and cancels it (a start still deferred
// does not happen). Its end is not reported, even if it finished already and its report is
// on its way. The handle is left null.
void cancel(simgrid::s4u::ExecPtr& exec);
// Drops what is pending for `watcher` (it is going away).
void forget(const ExecWatcher* watcher);
// The engine is going away: stop_all() before it runs for the last time (nothing is
// started or reported after it), release_all() once it has.
void stop_all();
void release_all();

}  // namespace exec_watch

}  // namespace archsim
