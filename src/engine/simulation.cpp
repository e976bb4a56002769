#include "engine/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "components/client_population.hpp"
#include "core/interrupt.hpp"
#include "components/service.hpp"
#include "components/storage.hpp"
#include "engine/daemon.hpp"
#include "faults/fault_injector.hpp"

namespace archsim {

namespace {
const char* const kResourceKinds[] = {"cpu", "disk", "nic_up", "nic_down"};
}  // namespace

Simulation::Simulation(const Scenario& scenario, const SimulationOptions& options)
    : scenario_(scenario), recorder_(scenario), tracer_(options.trace_sample) {
  engine_args_.push_back("archsim");
  for (auto& a : Platform::engine_arguments()) engine_args_.push_back(a);
  for (auto& a : engine_args_) engine_argv_.push_back(a.data());
  int argc = static_cast<int>(engine_argv_.size());
  engine_ = std::make_unique<sg4::Engine>(&argc, engine_argv_.data());
  install_interrupt_handler();  // SimGrid installs its own, which exits at once
  platform_ = std::make_unique<Platform>(scenario);

  for (const auto& m : platform_->machines()) {
    storages_.push_back(std::make_unique<Storage>(m.disk, m.spec->disk));
    auto data = std::make_unique<HostData>();
    data->cpu_capacity = RateIntegral(m.host->get_speed() * m.host->get_core_count());
    data->disk_capacity = RateIntegral(1.0);
    m.host->set_data(data.get());
    host_data_.push_back(std::move(data));
    host_components_.push_back(
        recorder_.add_component(m.spec->name, "host", configured_availability_of_host(m.index)));
  }
  for (std::size_t i = 0; i < scenario.services.size(); ++i)
    services_.push_back(std::make_unique<Service>(*this, scenario.services[i], static_cast<int>(i)));
  int first_operation = 0;
  for (std::size_t i = 0; i < scenario.clients.size(); ++i) {
    clients_.push_back(std::make_unique<ClientPopulation>(*this, scenario.clients[i], first_operation,
                                                          platform_->client_host(static_cast<int>(i))));
    first_operation += static_cast<int>(scenario.clients[i].operations.size());
  }
  faults_ = std::make_unique<FaultInjector>(*this);

  std::vector<std::string> names;
  for (const auto& m : platform_->machines())
    for (const char* kind : kResourceKinds) names.push_back(m.spec->name + "." + kind);
  recorder_.set_sampled_resources(std::move(names));
}

Simulation::~Simulation() {
  // Actors still blocked on our semaphores and mailboxes must go before those do.
  if (engine_) {
    sg4::Actor::kill_all();
    engine_->run();  // lets the killed actors unwind
  }
  clients_.clear();
  services_.clear();
  storages_.clear();
}

std::vector<ServiceReplica*> Simulation::replicas_on(int host_index) const {
  std::vector<ServiceReplica*> out;
  for (const auto& s : services_)
    for (const auto& r : s->replicas())
      if (r->machine().index == host_index) out.push_back(r.get());
  return out;
}

void Simulation::host_capacity_changed(int host_index) {
  const Platform::Machine& m = platform_->machine(host_index);
  HostData& data = *host_data_[static_cast<std::size_t>(host_index)];
  const double now = sg4::Engine::get_clock();
  const bool on = m.host->is_on();
  data.cpu_capacity.set(now, on ? m.host->get_speed() * m.host->get_core_count() : 0.0);
  data.disk_capacity.set(now, on ? 1.0 : 0.0);
}

void Simulation::host_state_changed(int host_index, bool up) {
  const double now = sg4::Engine::get_clock();
  host_capacity_changed(host_index);
  recorder_.component_changed(host_components_[static_cast<std::size_t>(host_index)], up, now);
  recorder_.timeline(now, platform_->machine(host_index).spec->name, up ? "host_up" : "host_down");
}

std::optional<double> Simulation::configured_availability_of_replica(int service, int replica) const {
  for (const RandomFault& f : scenario_.random_faults) {
    if (f.target.index != service) continue;
    if (f.target.kind == FaultTarget::Kind::Service ||
        (f.target.kind == FaultTarget::Kind::Replica && f.target.replica == replica))
      return f.configured_availability;
  }
  return std::nullopt;
}

std::optional<double> Simulation::configured_availability_of_host(int host) const {
  for (const RandomFault& f : scenario_.random_faults)
    if (f.target.kind == FaultTarget::Kind::Host && f.target.index == host) return f.configured_availability;
  return std::nullopt;
}

std::vector<double> Simulation::read_counters() const {
  std::vector<double> values;
  const double now = sg4::Engine::get_clock();
  for (const auto& m : platform_->machines()) {
    const auto i = static_cast<std::size_t>(m.index);
    values.push_back(host_data_[i]->cpu_flops);
    values.push_back(storages_[i]->busy_time(now));
    values.push_back(host_data_[i]->nic_out_bytes);
    values.push_back(host_data_[i]->nic_in_bytes);
  }
  return values;
}

std::vector<double> Simulation::read_capacities() const {
  // Cumulative capacity offered so far, in the counters' units.
  std::vector<double> values;
  const double now = sg4::Engine::get_clock();
  for (const auto& m : platform_->machines()) {
    const auto i = static_cast<std::size_t>(m.index);
    values.push_back(host_data_[i]->cpu_capacity.at(now));
    values.push_back(host_data_[i]->disk_capacity.at(now));
    values.push_back(m.nic_up->get_bandwidth() * now);
    values.push_back(m.nic_down->get_bandwidth() * now);
  }
  return values;
}

namespace {
std::vector<double> ratios(const std::vector<double>& used_now, const std::vector<double>& used_before,
                           const std::vector<double>& capacity_now, const std::vector<double>& capacity_before) {
  std::vector<double> row(used_now.size());
  for (std::size_t i = 0; i < row.size(); ++i) {
    const double capacity = capacity_now[i] - capacity_before[i];
    row[i] = capacity > 0 ? std::clamp((used_now[i] - used_before[i]) / capacity, 0.0, 1.0) : 0.0;
  }
  return row;
}
}  // namespace

void Simulation::sampler_loop() {
  // Wakes at every window boundary (and once at the end of the warm-up) to turn the
  // cumulative counters into per-window utilisation.
  const double window = scenario_.metrics.window_s;
  std::vector<double> previous = read_counters();
  std::vector<double> previous_capacity = read_capacities();
  bool warmup_taken = scenario_.warmup_s <= 0;
  if (warmup_taken) {
    warmup_counters_ = previous;
    warmup_capacities_ = previous_capacity;
  }
  for (std::size_t w = 0; w < recorder_.windows().size(); ++w) {
    const double boundary = std::min(static_cast<double>(w + 1) * window, scenario_.duration_s);
    if (!warmup_taken && scenario_.warmup_s <= boundary) {
      sg4::this_actor::sleep_until(scenario_.warmup_s);
      warmup_counters_ = read_counters();
      warmup_capacities_ = read_capacities();
      warmup_taken = true;
      spdlog::info("warm-up over, measuring until {} s", scenario_.duration_s);
    }
    sg4::this_actor::sleep_until(boundary);
    std::vector<double> current = read_counters();
    std::vector<double> capacity = read_capacities();
    recorder_.record_utilization(w, ratios(current, previous, capacity, previous_capacity));
    previous = std::move(current);
    previous_capacity = std::move(capacity);
  }
}

void Simulation::progress_loop() {
  // Checks the wall clock 200 times per run; draws only once the run has lasted 2 s.
  const auto start = std::chrono::steady_clock::now();
  const double duration = scenario_.duration_s;
  auto last_draw = start;
  bool drawn = false;
  for (int step = 1; step <= 200; ++step) {
    sg4::this_actor::sleep_until(duration * step / 200.0);
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - start).count();
    if (elapsed < 2.0 || std::chrono::duration<double>(now - last_draw).count() < 0.2) continue;
    last_draw = now;
    drawn = true;
    const double t = sg4::Engine::get_clock();
    const double fraction = t / duration;
    const int filled = static_cast<int>(fraction * 30);
    const double rate = static_cast<double>(recorder_.requests_started()) / elapsed;
    const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
    std::fprintf(stderr, "\r[%s%s] %3.0f%%  t=%.0f/%.0f s  %.0f req/s  ETA %.0f s ", std::string(filled, '#').c_str(),
                 std::string(30 - filled, '.').c_str(), 100 * fraction, t, duration, rate, eta);
    std::fflush(stderr);
  }
  if (drawn) std::fprintf(stderr, "\r%80s\r", "");
}

void Simulation::interrupt_watch() {
  // Looks for Ctrl-C a few thousand times per run; stopping means ending every actor.
  const double step = std::min(scenario_.metrics.window_s, scenario_.duration_s / 2000.0);
  while (true) {
    sg4::this_actor::sleep_for(step);
    if (archsim::interrupted()) {
      interrupted_ = true;
      interrupted_at_ = sg4::Engine::get_clock();
      sg4::Actor::kill_all();
      return;
    }
  }
}

void Simulation::run(bool progress) {
  const auto wall_start = std::chrono::steady_clock::now();
  for (auto& s : services_) s->start();
  for (auto& c : clients_) c->start();
  faults_->start();
  spawn_daemon("sampler", control_host(), [this] { sampler_loop(); });
  if (progress) spawn_daemon("progress", control_host(), [this] { progress_loop(); });
  spawn_daemon("interrupt", control_host(), [this] { interrupt_watch(); });

  spdlog::info("{} hosts, {} services, {} client populations", platform_->machines().size(), services_.size(),
               clients_.size());
  engine_->run_until(scenario_.duration_s);
  end_time_ = sg4::Engine::get_clock();
  if (interrupted_) return;
  spdlog::info("end of the run");
  recorder_.finish(end_time_);

  const std::vector<double> used = read_counters();
  const std::vector<double> capacity = read_capacities();
  const std::vector<double> fraction =
      warmup_counters_.empty() ? std::vector<double>(used.size(), 0.0)
                               : ratios(used, warmup_counters_, capacity, warmup_capacities_);
  std::size_t i = 0;
  for (const auto& m : platform_->machines())
    for (const char* kind : kResourceKinds) {
      utilization_.push_back({m.spec->name + "." + kind, m.spec->name, kind, fraction[i]});
      ++i;
    }
  wall_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
}

std::vector<std::uint64_t> Simulation::in_flight_by_operation() const {
  std::vector<std::uint64_t> counts;
  for (const auto& c : clients_) {
    const auto per_op = c->in_flight_measured_by_operation();
    counts.insert(counts.end(), per_op.begin(), per_op.end());
  }
  return counts;
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
    const auto extra = s->report(end_time_);
    if (!extra.is_null()) r[s->spec().kind == ServiceKind::Database ? "replication" : "balancer"] = extra;
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
