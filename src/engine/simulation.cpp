#include "engine/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <spdlog/spdlog.h>

#include "components/client_population.hpp"
#include "components/service.hpp"
#include "components/storage.hpp"

namespace archsim {

namespace {
const char* const kResourceKinds[] = {"cpu", "disk", "nic_up", "nic_down"};
}  // namespace

Simulation::Simulation(const Scenario& scenario) : scenario_(scenario), recorder_(scenario) {
  engine_args_.push_back("archsim");
  for (auto& a : Platform::engine_arguments()) engine_args_.push_back(a);
  for (auto& a : engine_args_) engine_argv_.push_back(a.data());
  int argc = static_cast<int>(engine_argv_.size());
  engine_ = std::make_unique<sg4::Engine>(&argc, engine_argv_.data());
  platform_ = std::make_unique<Platform>(scenario);

  for (const auto& m : platform_->machines()) {
    storages_.push_back(std::make_unique<Storage>(m.disk, m.spec->disk));
    meters_.push_back(std::make_unique<HostMeter>());
    m.host->set_data(meters_.back().get());
  }
  for (std::size_t i = 0; i < scenario.services.size(); ++i)
    services_.push_back(std::make_unique<Service>(*this, scenario.services[i], static_cast<int>(i)));
  int first_operation = 0;
  for (std::size_t i = 0; i < scenario.clients.size(); ++i) {
    clients_.push_back(std::make_unique<ClientPopulation>(*this, scenario.clients[i], first_operation,
                                                          platform_->client_host(static_cast<int>(i))));
    first_operation += static_cast<int>(scenario.clients[i].operations.size());
  }

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

std::vector<double> Simulation::read_counters() const {
  std::vector<double> values;
  const double now = sg4::Engine::get_clock();
  for (const auto& m : platform_->machines()) {
    const auto i = static_cast<std::size_t>(m.index);
    values.push_back(meters_[i]->cpu_flops);
    values.push_back(storages_[i]->busy_time(now));
    values.push_back(meters_[i]->nic_out_bytes);
    values.push_back(meters_[i]->nic_in_bytes);
  }
  return values;
}

std::vector<double> Simulation::capacities() const {
  std::vector<double> values;
  for (const auto& m : platform_->machines()) {
    values.push_back(m.host->get_speed() * m.host->get_core_count());
    values.push_back(1.0);  // busy seconds per second
    values.push_back(m.nic_up->get_bandwidth());
    values.push_back(m.nic_down->get_bandwidth());
  }
  return values;
}

void Simulation::sampler_loop() {
  // Wakes at every window boundary (and once at the end of the warm-up) to turn the
  // cumulative counters into per-window utilisation.
  const double window = scenario_.metrics.window_s;
  const std::vector<double> capacity = capacities();
  std::vector<double> previous = read_counters();
  bool warmup_taken = scenario_.warmup_s <= 0;
  if (warmup_taken) warmup_counters_ = previous;
  for (std::size_t w = 0; w < recorder_.windows().size(); ++w) {
    const double boundary = std::min(static_cast<double>(w + 1) * window, scenario_.duration_s);
    if (!warmup_taken && scenario_.warmup_s <= boundary) {
      sg4::this_actor::sleep_until(scenario_.warmup_s);
      warmup_counters_ = read_counters();
      warmup_snapshot_at_ = scenario_.warmup_s;
      spdlog::info("warm-up over, measuring until {} s", scenario_.duration_s);
      warmup_taken = true;
    }
    sg4::this_actor::sleep_until(boundary);
    const double start = static_cast<double>(w) * window;
    std::vector<double> current = read_counters();
    std::vector<double> row(current.size());
    for (std::size_t i = 0; i < current.size(); ++i)
      row[i] = std::clamp((current[i] - previous[i]) / (capacity[i] * (boundary - start)), 0.0, 1.0);
    recorder_.record_utilization(w, row);
    previous = std::move(current);
  }
}

void Simulation::run() {
  const auto wall_start = std::chrono::steady_clock::now();
  for (auto& s : services_) s->start();
  for (auto& c : clients_) c->start();
  // The sampler lives on the first client host, which never fails.
  sg4::Actor::create("sampler", platform_->client_host(0), [this] { sampler_loop(); })->daemonize();

  spdlog::info("{} hosts, {} services, {} client populations", platform_->machines().size(), services_.size(),
               clients_.size());
  engine_->run_until(scenario_.duration_s);
  end_time_ = sg4::Engine::get_clock();
  spdlog::info("end of the run");
  recorder_.finish(end_time_);

  const std::vector<double> final_counters = read_counters();
  const std::vector<double> capacity = capacities();
  const double measured = end_time_ - warmup_snapshot_at_;
  std::size_t i = 0;
  for (const auto& m : platform_->machines()) {
    for (const char* kind : kResourceKinds) {
      const double used = warmup_counters_.empty() ? 0.0 : final_counters[i] - warmup_counters_[i];
      utilization_.push_back({m.spec->name + "." + kind, m.spec->name, kind,
                              measured > 0 ? std::clamp(used / (capacity[i] * measured), 0.0, 1.0) : 0.0});
      ++i;
    }
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

}  // namespace archsim
