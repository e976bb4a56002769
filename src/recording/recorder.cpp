#include "recording/recorder.hpp"

#include <algorithm>
#include <cmath>

namespace archsim {

std::uint64_t OutcomeCounts::total() const {
  std::uint64_t n = 0;
  for (auto c : by_outcome) n += c;
  return n;
}

void OutcomeCounts::merge(const OutcomeCounts& other) {
  for (std::size_t i = 0; i < by_outcome.size(); ++i) by_outcome[i] += other.by_outcome[i];
}

void TimeAverage::add(double now, double delta) {
  if (now > start_) {
    const double from = std::max(last_, start_);
    integral_ += value_ * (now - from);
    last_ = now;
  }
  value_ += delta;
}

double TimeAverage::integral(double now) const {
  if (now <= start_) return 0.0;
  return integral_ + value_ * (now - std::max(last_, start_));
}

void StateDurations::change(double now, int state) {
  now = std::min(now, end_);
  if (now > start_) time_[static_cast<std::size_t>(state_)] += now - std::max(last_, start_);
  last_ = std::max(last_, now);
  state_ = state;
}

std::vector<double> StateDurations::totals(double now) const {
  now = std::min(now, end_);
  std::vector<double> t = time_;
  if (now > start_) t[static_cast<std::size_t>(state_)] += now - std::max(last_, start_);
  return t;
}

int Recorder::add_component(const std::string& name, const std::string& kind, std::optional<double> configured,
                            ComponentState initial) {
  components_.push_back({name, kind, configured, StateDurations(3, static_cast<int>(initial), warmup_s_, end_s_), 0});
  return static_cast<int>(components_.size()) - 1;
}

void Recorder::component_changed(int component, ComponentState state, double now) {
  ComponentStats& c = components_[static_cast<std::size_t>(component)];
  const int before = c.state.state();
  if (before == static_cast<int>(state)) return;
  c.state.change(now, static_cast<int>(state));
  if (before == static_cast<int>(ComponentState::Up) && state == ComponentState::Down && measured(now)) ++c.failures;
}

void Recorder::timeline(double now, const std::string& component, const std::string& event, const std::string& detail) {
  if (!before_end(now)) return;
  events_.push_back({now, component, event, detail});
}

void Recorder::attempt_sent(double now) {
  if (before_end(now)) windows_[window_of(now)].attempts++;
}

Recorder::Recorder(const Scenario& scenario)
    : warmup_s_(scenario.warmup_s), end_s_(scenario.duration_s), window_s_(scenario.metrics.window_s), slo_latency_s_(scenario.metrics.slo.latency_s) {
  std::size_t ops = 0;
  for (const auto& c : scenario.clients) ops += c.operations.size();
  operations_.resize(ops);
  services_.reserve(scenario.services.size());
  for (std::size_t i = 0; i < scenario.services.size(); ++i) {
    ServiceStats stats;
    stats.in_system = TimeAverage(warmup_s_);
    stats.busy_workers = TimeAverage(warmup_s_);
    services_.push_back(std::move(stats));
  }
  hops_.resize(scenario.hops.size());
  windows_.resize(static_cast<std::size_t>(std::ceil(scenario.duration_s / window_s_ - 1e-9)));
}

std::size_t Recorder::window_of(double t) const {
  const auto w = static_cast<std::size_t>(t / window_s_);
  return std::min(w, windows_.size() - 1);
}

void Recorder::request_sent(int op, double now) {
  ++requests_started_;
  windows_[window_of(now)].sent++;
  if (!measured(now)) return;
  overall_.sent++;
  operations_[static_cast<std::size_t>(op)].sent++;
}

void Recorder::roll_latency_window(std::size_t window) {
  while (latency_window_ < window) {
    WindowRow& row = windows_[latency_window_];
    row.latency_mean_s = static_cast<float>(window_latency_.mean());
    row.latency_p50_s = static_cast<float>(window_latency_.percentile(0.50));
    row.latency_p99_s = static_cast<float>(window_latency_.percentile(0.99));
    window_latency_.reset();
    ++latency_window_;
  }
}

void Recorder::request_ended(int op, double sent_at, double now, Outcome outcome) {
  const double latency = now - sent_at;
  if (before_end(now)) {  // completions per window: during the measured period only
    const std::size_t w = window_of(now);
    roll_latency_window(w);
    windows_[w].completed.add(outcome);
    if (outcome == Outcome::Ok) window_latency_.record(latency);
  }
  WindowRow& origin = windows_[window_of(sent_at)];
  origin.resolved++;
  if (outcome == Outcome::Ok && (!slo_latency_s_ || latency <= *slo_latency_s_)) origin.succeeded++;
  if (!measured(sent_at)) return;
  RequestStats& stats = operations_[static_cast<std::size_t>(op)];
  stats.outcomes.add(outcome);
  overall_.outcomes.add(outcome);
  if (outcome == Outcome::Ok) {
    stats.latency.record(latency);
    overall_.latency.record(latency);
  }
}

void Recorder::hop_started(int hop, double sent_at) {
  if (!measured(sent_at)) return;
  HopStats& stats = hops_[static_cast<std::size_t>(hop)];
  stats.sent++;
  stats.open++;
}

void Recorder::hop_ended(int hop, double started_at, double latency, Outcome outcome) {
  if (!measured(started_at)) return;
  HopStats& stats = hops_[static_cast<std::size_t>(hop)];
  stats.open--;
  stats.outcomes.add(outcome);
  if (outcome == Outcome::Ok) stats.latency.record(latency);
}

void Recorder::hop_forwarded(int hop, double now) {
  if (!measured(now)) return;
  hops_[static_cast<std::size_t>(hop)].sent++;
  hops_[static_cast<std::size_t>(hop)].outcomes.add(Outcome::Ok);
}

void Recorder::service_arrival(int service, double now) {
  if (!measured(now)) return;
  ServiceStats& stats = services_[static_cast<std::size_t>(service)];
  stats.in_system.add(now, +1);
  stats.arrivals++;
  stats.open++;
  stats.open_arrivals_sum += now;
}

void Recorder::service_turned_away(int service, double arrived_at, double now, Outcome outcome) {
  if (!measured(arrived_at) || !before_end(now)) return;
  ServiceStats& stats = services_[static_cast<std::size_t>(service)];
  stats.in_system.add(now, -1);
  stats.open--;
  stats.open_arrivals_sum -= arrived_at;
  if (now == arrived_at) {
    stats.turned_away.add(outcome);
    return;
  }
  // Admitted, then dropped from the queue when its process died: it spent time in the tier.
  stats.outcomes.add(outcome);
  stats.residence.record(now - arrived_at);
}

void Recorder::service_started(int service, double arrived_at, double now) {
  if (!before_end(now)) return;
  ServiceStats& stats = services_[static_cast<std::size_t>(service)];
  stats.busy_workers.add(now, +1);
  if (measured(arrived_at)) stats.queue_wait.record(now - arrived_at);
}

void Recorder::service_departed(int service, double arrived_at, double now, Outcome outcome) {
  // After the measured period, a request still in the tier stays counted as inside.
  if (!before_end(now)) return;
  ServiceStats& stats = services_[static_cast<std::size_t>(service)];
  stats.busy_workers.add(now, -1);
  if (!measured(arrived_at)) return;
  stats.in_system.add(now, -1);
  stats.open--;
  stats.open_arrivals_sum -= arrived_at;
  stats.outcomes.add(outcome);
  stats.residence.record(now - arrived_at);
}

void Recorder::sample_gauges(std::size_t window) {
  auto values = gauges_.sample();
  if (window < windows_.size()) windows_[window].gauges = std::move(values);
}

void Recorder::finish(double end) {
  roll_latency_window(window_of(end) + 1);
}

}  // namespace archsim
