#pragma once
// What the components of a run may use, instead of the whole simulation: the scenario,
// the platform, the recorder and tracer, the hosts' run-time state, the simulated clock,
// random streams, call ids, the services by index and the executors of step kinds. The
// composition root (simulation/) owns everything and hands this out; no component
// includes it.
#include <cstdint>
#include <string_view>
#include <vector>

#include <simgrid/s4u/Engine.hpp>

#include "core/rng.hpp"
#include "platform/platform.hpp"
#include "recording/recorder.hpp"
#include "recording/tracer.hpp"
#include "scenario/catalog.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class Hosts;
class Service;
class ServiceReplica;
class StepExecutor;
class RuntimeCatalog;

class RunContext {
 public:
  RunContext(const Scenario& scenario, const Platform& platform, Recorder& recorder, Tracer& tracer, Hosts& hosts,
             const RuntimeCatalog& runtime);

  const Scenario& scenario() const { return scenario_; }
  const Platform& platform() const { return platform_; }
  Recorder& recorder() { return recorder_; }
  Tracer& tracer() { return tracer_; }
  Hosts& hosts() { return hosts_; }
  const RuntimeCatalog& runtime() const { return runtime_; }
  // Where the control plane runs (fault injection, monitors, the sampler).
  simgrid::s4u::Host* control_host() const { return platform_.control_host(); }

  static double now() { return simgrid::s4u::Engine::get_clock(); }
  // A component's own random stream, derived from the scenario seed and its name.
  RandomStream random_stream(std::string_view name) const { return RandomStream(scenario_.seed, name); }
  // Call ids are unique per simulation: a caller matches replies on them.
  std::uint64_t next_call_id() { return ++last_call_id_; }
  std::uint64_t calls_made() const { return last_call_id_; }

  // The services, registered by the composition root as it creates them.
  void add_service(Service& service) { services_.push_back(&service); }
  Service& service(int index) { return *services_[static_cast<std::size_t>(index)]; }
  const std::vector<Service*>& services() const { return services_; }
  // Every replica placed on `host`.
  std::vector<ServiceReplica*> replicas_on(int host) const;

  // What runs a step of that kind.
  const StepExecutor& executor(const Step& step) const { return *executors_[static_cast<std::size_t>(step.kind->id())]; }
  // Whether requests whose steps can run without a thread do (see ThreadlessRun); off, every
  // request runs in a worker actor, which a test compares against.
  bool threadless_steps() const { return threadless_steps_; }
  void set_threadless_steps(bool on) { threadless_steps_ = on; }

 private:
  const Scenario& scenario_;
  const Platform& platform_;
  Recorder& recorder_;
  Tracer& tracer_;
  Hosts& hosts_;
  const RuntimeCatalog& runtime_;
  std::vector<const StepExecutor*> executors_;
  std::vector<Service*> services_;
  std::uint64_t last_call_id_ = 0;
  bool threadless_steps_ = true;
};

}  // namespace archsim
