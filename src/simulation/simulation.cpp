#include "simulation/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include <spdlog/spdlog.h>

#include "components/client_population.hpp"
#include "components/hosts.hpp"
#include "components/run_context.hpp"
#include "components/service.hpp"
#include "components/timeline.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/thread_limit.hpp"
#include "engine/actor_budget.hpp"
#include "engine/daemon.hpp"
#include "engine/exec_watch.hpp"
#include "scenario/catalog.hpp"
#include "scenario/diagnostics.hpp"

namespace archsim {

namespace {
double simulated_clock() { return sg4::Engine::has_instance() ? sg4::Engine::get_clock() : -1.0; }
}  // namespace

Simulation::Simulation(const Scenario& scenario, const RuntimeCatalog& runtime, SimulationOptions options)
    : scenario_(scenario), recorder_(scenario), tracer_(options.trace_sample), options_(std::move(options)) {
  engine_args_.push_back("archsim");
  for (auto& a : Platform::engine_arguments()) engine_args_.push_back(a);
  for (auto& a : engine_args_) engine_argv_.push_back(a.data());
  int argc = static_cast<int>(engine_argv_.size());
  engine_ = std::make_unique<sg4::Engine>(&argc, engine_argv_.data());
  install_interrupt_handler();  // SimGrid installs its own, which exits at once
  reset_actor_budget();
  set_log_clock(simulated_clock);
  platform_ = std::make_unique<Platform>(scenario);
  hosts_ = std::make_unique<Hosts>(scenario, *platform_, recorder_);
  run_ = std::make_unique<RunContext>(scenario, *platform_, recorder_, tracer_, *hosts_, runtime);
  run_->set_threadless_steps(!options_.threaded_steps);

  for (std::size_t i = 0; i < scenario.services.size(); ++i) {
    services_.push_back(std::make_unique<Service>(*run_, scenario.services[i], static_cast<int>(i)));
    run_->add_service(*services_.back());
  }
  int first_operation = 0;
  for (std::size_t i = 0; i < scenario.clients.size(); ++i) {
    clients_.push_back(std::make_unique<ClientPopulation>(*run_, scenario.clients[i], first_operation,
                                                          platform_->client_host(static_cast<int>(i))));
    first_operation += static_cast<int>(scenario.clients[i].operations.size());
  }
  timeline_ = std::make_unique<Timeline>(*run_);
}

Simulation::~Simulation() {
  // Executions nobody waits for are neither started nor reported any more.
  exec_watch::stop_all();
  // Actors still blocked on our semaphores and mailboxes must go before those do.
  if (engine_) {
    sg4::Actor::kill_all();
    engine_->run();  // lets the killed actors unwind
  }
  exec_watch::release_all();
  set_log_clock(nullptr);
  clients_.clear();
  services_.clear();
  hosts_.reset();
}

void Simulation::sampler_loop() {
  // Wakes at every window boundary (and once at the end of the warm-up) to sample the
  // gauges: per-window utilisation of every resource and whatever components registered.
  const double window = scenario_.metrics.window_s;
  Gauges& gauges = recorder_.gauges();
  gauges.start();
  bool warmup_taken = scenario_.warmup_s <= 0;
  for (std::size_t w = 0; w < recorder_.windows().size(); ++w) {
    const double boundary = std::min(static_cast<double>(w + 1) * window, scenario_.duration_s);
    if (!warmup_taken && scenario_.warmup_s <= boundary) {
      sg4::this_actor::sleep_until(scenario_.warmup_s);
      gauges.warmup_over();
      warmup_taken = true;
      spdlog::info("warm-up over, measuring until {} s", scenario_.duration_s);
    }
    sg4::this_actor::sleep_until(boundary);
    recorder_.sample_gauges(w);
  }
  // The measured period is over: its utilisation is what the summary reports.
  utilization_ = hosts_->utilization();
}

double Simulation::drain_bound() const {
  // The longest a request sent before the end can take: every attempt times out, with the
  // longest backoff between attempts.
  double bound = 0;
  for (const ClientSpec& c : scenario_.clients) {
    const int attempts = c.retry ? c.retry->max_attempts : 1;
    const double backoff = c.retry ? c.retry->max_backoff_s : 0.0;
    bound = std::max(bound, attempts * c.timeout_s + (attempts - 1) * backoff);
  }
  return bound + 1.0;
}

void Simulation::watch_wall_clock(bool progress) {
  // Every few hundred steps of simulated time, a look at the wall clock: a run that crawls
  // (an overloaded scenario simulates milliseconds per wall second) still shows progress.
  const auto start = std::chrono::steady_clock::now();
  sg4::Engine::on_time_advance_cb([this, progress, start, last_draw = start, ticks = 0u](double) mutable {
    if (++ticks % 256 != 0) return;
    if (archsim::interrupted() && options_.on_interrupt) {
      if (progress_drawn_) std::fprintf(stderr, "\r%100s\r", "");
      options_.on_interrupt(sg4::Engine::get_clock());
    }
    if (!progress) return;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (elapsed < 2.0 || std::chrono::duration<double>(now - last_draw).count() < 0.2) return;
    last_draw = now;
    progress_drawn_ = true;
    draw_progress(elapsed);
  });
}

void Simulation::draw_progress(double elapsed) const {
  const double t = sg4::Engine::get_clock();
  const double duration = scenario_.duration_s;
  const double fraction = std::min(1.0, t / duration);
  const int filled = static_cast<int>(fraction * 30);
  const double rate = static_cast<double>(recorder_.requests_started()) / elapsed;
  char eta[48];
  if (t >= duration)
    std::snprintf(eta, sizeof eta, "draining");
  else if (fraction > 0)
    std::snprintf(eta, sizeof eta, "ETA %.0f s", elapsed * (1.0 - fraction) / fraction);
  else
    std::snprintf(eta, sizeof eta, "ETA ?");
  std::fprintf(stderr, "\r[%s%s] %3.0f%%  t=%.4g/%.4g s  %.0f req/s  %s   ", std::string(filled, '#').c_str(),
               std::string(30 - filled, '.').c_str(), 100 * fraction, t, duration, rate, eta);
  std::fflush(stderr);
}

void Simulation::interrupt_watch() {
  // Looks for Ctrl-C a few thousand times per run; stopping means ending every actor. In
  // the drain after the end, which the longest timeouts and backoffs can make days long,
  // the looks grow apart with the time drained (1% of it): a few thousand again, however
  // long the drain, where a fixed step would cost more than the run itself.
  const double step = std::min(scenario_.metrics.window_s, scenario_.duration_s / 2000.0);
  while (true) {
    const double drained = sg4::Engine::get_clock() - scenario_.duration_s;
    sg4::this_actor::sleep_for(std::max(step, 0.01 * drained));
    if (archsim::interrupted()) {
      if (!interrupted_) {
        interrupted_ = true;
        interrupted_at_ = sg4::Engine::get_clock();
      }
      exec_watch::stop_all();  // nothing more is served
      sg4::Actor::kill_all();
      return;
    }
  }
}

void Simulation::stop_at_thread_limit(const std::string& actor) const {
  // Named after the service whose replica was spawning it, if any.
  std::string pointer;
  for (const auto& s : services_)
    for (const auto& r : s->replicas())
      if (actor.rfind(r->name() + "/", 0) == 0) pointer = "/services/" + s->spec().name;
  std::ostringstream rule;
  rule << "the run needed more than " << simulated_thread_limit() << " simulated threads alive at once (at t = "
       << actor_limit_reached_at() << " s, starting " << actor
       << "); each holds two of the memory mappings Linux allows a process (vm.max_map_count): lower workers, "
          "max_connections or the load, or raise vm.max_map_count";
  throw InputError(scenario_.file, pointer, rule.str());
}

void Simulation::run(bool progress) {
  const auto wall_start = std::chrono::steady_clock::now();
  try {
    start_actors(progress);
  } catch (const ActorLimitReached& e) {
    stop_at_thread_limit(e.what());
  }

  // The measured period, then the drain: requests still in flight settle (the clients stop
  // once their last one has; the bound is only a safety net).
  drain_s_ = drain_bound();  // unless the clients finish sooner
  engine_->run_until(scenario_.duration_s + drain_s_);
  if (progress_drawn_) std::fprintf(stderr, "\r%100s\r", "");
  if (!actor_limit_reached().empty()) stop_at_thread_limit(actor_limit_reached());
  peak_threads_ = peak_actors();
  end_time_ = scenario_.duration_s;
  if (interrupted_) return;
  spdlog::info("end of the run ({} s of drain after the measured period)", drain_s_);
  recorder_.finish(end_time_);
  wall_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
}

void Simulation::start_actors(bool progress) {
  for (auto& s : services_) s->start();
  // SimGrid keeps running daemons (monitors, the sampler) until the time limit: the last
  // population to finish its drain ends the run.
  clients_running_ = clients_.size();
  for (auto& c : clients_)
    c->start([this] {
      if (--clients_running_ > 0) return;
      if (archsim::interrupted()) {  // the clients stopped at Ctrl-C
        interrupted_ = true;
        interrupted_at_ = sg4::Engine::get_clock();
      } else {
        drain_s_ = std::max(0.0, sg4::Engine::get_clock() - scenario_.duration_s);
      }
      exec_watch::stop_all();  // nothing more is served
      sg4::Actor::kill_all();
    });
  timeline_->start();
  spawn_daemon("sampler", platform_->control_host(), [this] { sampler_loop(); });
  watch_wall_clock(progress);
  spawn_daemon("interrupt", platform_->control_host(), [this] { interrupt_watch(); });

  spdlog::info("{} hosts, {} services, {} client populations", platform_->machines().size(), services_.size(),
               clients_.size());
}

std::uint64_t Simulation::requests_simulated() const { return run_->calls_made(); }

std::vector<std::uint64_t> Simulation::in_flight_by_operation() const {
  std::vector<std::uint64_t> counts;
  for (const auto& c : clients_) {
    const auto per_op = c->in_flight_measured_by_operation();
    counts.insert(counts.end(), per_op.begin(), per_op.end());
  }
  return counts;
}

CostUsage Simulation::cost_usage() const {
  CostUsage usage(scenario_);
  for (const auto& c : clients_) {
    const ServiceSpec& target = scenario_.services[static_cast<std::size_t>(c->spec().target)];
    if (target.kind->bills_own_egress() || target.replica_hosts.empty()) continue;
    // Billed where the tier's first replica runs (a tier's replicas share a region).
    const int host = target.replica_hosts.front();
    usage.origin_egress_bytes[static_cast<std::size_t>(scenario_.hosts[static_cast<std::size_t>(host)].region)] +=
        c->reply_bytes();
  }
  for (const auto& s : services_) s->runtime().add_cost_usage(usage);
  return usage;
}

nlohmann::ordered_json Simulation::service_reports() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& s : services_) {
    nlohmann::ordered_json r;
    const auto durations = s->replicas_up_durations(end_time_);
    const double measured = end_time_ - scenario_.warmup_s;
    nlohmann::ordered_json up = nlohmann::ordered_json::array();
    for (double d : durations) up.push_back(measured > 0 ? d / measured : 0.0);
    r["replicas_up_fraction"] = up;  // [fraction of time with 0 up, 1 up, ..., n up]
    const char* section = s->spec().kind->report_section();
    const auto extra = s->report(end_time_);
    if (section && !extra.is_null()) r[section] = extra;
    j[s->name()] = r;
  }
  return j;
}

nlohmann::ordered_json Simulation::client_reports() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& c : clients_) j[c->spec().name] = c->report();
  return j;
}

}  // namespace archsim
