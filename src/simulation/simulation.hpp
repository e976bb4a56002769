#pragma once
// The composition root: one run of a scenario. Builds the SimGrid engine and platform, the
// hosts' run-time state, the services (each with its kind's run-time side from the
// runtime catalog), the client populations and the timeline; runs to the scenario's
// duration while sampling the gauges window by window; and keeps what was measured.
// Components get a RunContext, never this class. SimGrid allows one engine per process,
// so a process runs one simulation.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <simgrid/s4u.hpp>

#include "analysis/cost_model.hpp"
#include "platform/platform.hpp"
#include "recording/recorder.hpp"
#include "recording/tracer.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class Hosts;
class RunContext;
class RuntimeCatalog;
class Service;
class ClientPopulation;
class Timeline;

struct SimulationOptions {
  std::uint64_t trace_sample = 0;  // trace every N-th client request (0: no trace)
  // Every request in a worker actor, even where its steps could run without one (for a
  // test that compares the two).
  bool threaded_steps = false;
  // Called as soon as Ctrl-C is seen, with the simulated time; it should end the process
  // (an overloaded run holds transfers that would take long to wind down). Without it,
  // the run stops cleanly at its next check and interrupted() says so.
  std::function<void(double)> on_interrupt;
};

class Simulation {
 public:
  Simulation(const Scenario& scenario, const RuntimeCatalog& runtime, SimulationOptions options = {});
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Runs until the scenario's duration. With `progress`, a run that lasts more than about
  // two seconds of wall time shows a progress line on stderr.
  void run(bool progress = false);

  const Scenario& scenario() const { return scenario_; }
  const Recorder& recorder() const { return recorder_; }
  const Tracer& tracer() const { return tracer_; }

  // Results, after run(). The measured period ends at end_time(); the requests in flight
  // then drained for drain_s().
  double end_time() const { return end_time_; }
  double drain_s() const { return drain_s_; }
  // The most simulated threads (SimGrid actors) alive at once during the run.
  std::uint64_t peak_threads() const { return peak_threads_; }
  double wall_seconds() const { return wall_seconds_; }
  // Whether the run stopped early on Ctrl-C; then nothing it measured is complete.
  bool interrupted() const { return interrupted_; }
  double interrupted_at() const { return interrupted_at_; }
  const std::vector<ResourceUse>& utilization() const { return utilization_; }
  // Requests sent after the warm-up and still unresolved at the end, per operation.
  std::vector<std::uint64_t> in_flight_by_operation() const;
  std::uint64_t requests_simulated() const;
  // Per-service figures beyond the common ones (the kinds' own, replicas up).
  nlohmann::ordered_json service_reports() const;
  // The bytes, requests and storage the measured period billed (see analysis/cost_model.hpp).
  CostUsage cost_usage() const;
  // Per client population: attempts, retries, retries refused by the budget.
  nlohmann::ordered_json client_reports() const;

 private:
  void sampler_loop();
  // Looks at the wall clock as simulated time advances: the progress line (with
  // `progress`) is drawn by wall time, so a run that crawls shows it too.
  void start_actors(bool progress);
  // Stops the run as bad input: spawning `actor` would pass the actor budget.
  [[noreturn]] void stop_at_thread_limit(const std::string& actor) const;
  void watch_wall_clock(bool progress);
  void draw_progress(double elapsed) const;
  void interrupt_watch();
  // An upper bound on the drain: the longest a request can still take at the end.
  double drain_bound() const;

  const Scenario& scenario_;
  std::vector<std::string> engine_args_;
  std::vector<char*> engine_argv_;
  std::unique_ptr<sg4::Engine> engine_;
  std::unique_ptr<Platform> platform_;
  Recorder recorder_;
  Tracer tracer_;
  std::unique_ptr<Hosts> hosts_;
  std::unique_ptr<RunContext> run_;
  std::vector<std::unique_ptr<Service>> services_;
  std::vector<std::unique_ptr<ClientPopulation>> clients_;
  std::unique_ptr<Timeline> timeline_;
  std::vector<ResourceUse> utilization_;
  double end_time_ = 0;
  double drain_s_ = 0;
  std::uint64_t peak_threads_ = 0;
  std::size_t clients_running_ = 0;
  bool progress_drawn_ = false;
  SimulationOptions options_;
  double wall_seconds_ = 0;
  bool interrupted_ = false;
  double interrupted_at_ = 0;
};

}  // namespace archsim
