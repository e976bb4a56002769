#pragma once
// Everything a run measures, in bounded memory: counters, histograms and one row per time
// window (memory grows with simulated time and model size, never with request count).
//
// Requests, hops and service visits are attributed by the time they were *sent* (or
// arrived): those sent before the warm-up ends are left out of every summary figure.
// Per-window rows count completions by completion time (throughput, errors, latency of
// that second) and success by send time (the downtime accounting).
//
// The measured period is [warmup_s, duration_s). After it, clients send nothing new and the
// requests still in flight drain: their outcomes and latencies still count (for the
// requests and for the windows they were sent in), but nothing else that happens in the
// drain does (tiers, components, events, completions per window, utilisation), so every
// time-based figure covers exactly the measured period.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/outcome.hpp"
#include "recording/gauges.hpp"
#include "recording/histogram.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

// Utilisation of one resource over the measured period, in [0, 1].
struct ResourceUse {
  std::string name;  // "node1.cpu", "node1.disk", "node1.nic_up", ...
  std::string host;
  std::string kind;  // cpu, disk, nic_up, nic_down
  double utilization = 0;
};

struct OutcomeCounts {
  std::array<std::uint64_t, kOutcomeCount> by_outcome{};

  void add(Outcome o) { ++by_outcome[static_cast<std::size_t>(o)]; }
  std::uint64_t count(Outcome o) const { return by_outcome[static_cast<std::size_t>(o)]; }
  std::uint64_t ok() const { return count(Outcome::Ok); }
  std::uint64_t total() const;
  std::uint64_t failed() const { return total() - ok(); }
  void merge(const OutcomeCounts& other);
};

// Time integral of a piecewise-constant quantity (requests in a tier, busy workers),
// counted from the end of the warm-up.
class TimeAverage {
 public:
  explicit TimeAverage(double start = 0) : start_(start), last_(start) {}
  void add(double now, double delta);
  double integral(double now) const;
  double value() const { return value_; }

 private:
  double start_;
  double last_;
  double value_ = 0;
  double integral_ = 0;
};

struct RequestStats {
  std::uint64_t sent = 0;
  OutcomeCounts outcomes;
  Histogram latency;  // successful requests only
};

struct ServiceStats {
  std::uint64_t arrivals = 0;
  std::int64_t open = 0;          // measured arrivals that have not left yet
  double open_arrivals_sum = 0;   // the sum of their arrival times (time spent so far, at the end)
  OutcomeCounts turned_away;  // arrivals not admitted: refused (process down), rejected (queue full)
  OutcomeCounts outcomes;     // how admitted requests left (a downstream failure's cause included)
  Histogram residence;     // arrival to reply (or forward), served requests
  Histogram queue_wait;    // arrival to a worker taking it
  TimeAverage in_system;   // measured requests queued or in service
  TimeAverage busy_workers;
};

struct HopStats {
  std::uint64_t sent = 0;  // calls attempted (measured)
  std::int64_t open = 0;   // measured calls still waiting for their outcome
  OutcomeCounts outcomes;
  Histogram latency;  // successful calls: send to reply, as the caller sees it
};

// Time spent in each of a few discrete states (e.g. how many replicas are up), counted
// over the measured period [start, end).
class StateDurations {
 public:
  StateDurations(int states, int initial, double start, double end)
      : time_(static_cast<std::size_t>(states), 0.0), state_(initial), start_(start), end_(end), last_(start) {}
  void change(double now, int state);
  std::vector<double> totals(double now) const;
  int state() const { return state_; }

 private:
  std::vector<double> time_;
  int state_;
  double start_;
  double end_;
  double last_;
};

// Whether a host or a replica is up, down, or parked: created switched off, as capacity
// that the timeline may bring into service; parked time is neither up time nor downtime.
enum class ComponentState { Down = 0, Up = 1, Parked = 2 };

// A host or a service replica whose up time is reported against its configured
// availability.
struct ComponentStats {
  std::string name;
  std::string kind;  // host, replica
  std::optional<double> configured_availability;
  StateDurations state;  // time in each ComponentState
  std::uint64_t failures = 0;  // transitions from up to down after the warm-up
};

// One line of the failure timeline.
struct TimelineEvent {
  double t_s;
  std::string component;
  std::string event;
  std::string detail;
};

struct WindowRow {
  std::uint64_t sent = 0;       // requests sent in the window (first attempts)
  std::uint64_t attempts = 0;   // attempts sent in the window, retries included
  std::uint64_t succeeded = 0;  // of those, the ones that met the SLO
  std::uint64_t resolved = 0;   // of those, the ones that ended (ok or failed) before the end
  OutcomeCounts completed;      // requests that ended in the window
  float latency_mean_s = 0;     // of the successful ones that ended in the window
  float latency_p50_s = 0;
  float latency_p99_s = 0;
  std::vector<float> gauges;    // by gauge id, see Recorder::gauges (empty: never sampled)
};

class Recorder {
 public:
  explicit Recorder(const Scenario& scenario);

  // Whether something that happened (or was sent) at `t` belongs to the measured period.
  bool measured(double t) const { return t >= warmup_s_ && t < end_s_; }
  // Whether `t` is before the end of the measured period (warm-up included).
  bool before_end(double t) const { return t < end_s_; }
  double end_s() const { return end_s_; }

  // End-to-end requests of client operation `op` (global operation index). A request may
  // take several attempts; its latency runs from the first to the final outcome.
  void request_sent(int op, double now);
  void attempt_sent(double now);
  void request_ended(int op, double sent_at, double now, Outcome outcome);
  std::uint64_t requests_started() const { return requests_started_; }  // including the warm-up

  // A call along hop `hop` (started at `sent_at`), and how it ended; a forward is one
  // event (it has no reply to wait for).
  void hop_started(int hop, double sent_at);
  void hop_ended(int hop, double started_at, double latency, Outcome outcome);
  void hop_forwarded(int hop, double now);

  // A request arriving at service `service` and how it left.
  void service_arrival(int service, double now);
  void service_turned_away(int service, double arrived_at, double now, Outcome outcome);
  void service_started(int service, double arrived_at, double now);
  void service_departed(int service, double arrived_at, double now, Outcome outcome);

  // Components and the failure timeline.
  int add_component(const std::string& name, const std::string& kind, std::optional<double> configured_availability,
                    ComponentState initial = ComponentState::Up);
  void component_changed(int component, ComponentState state, double now);
  const std::vector<ComponentStats>& components() const { return components_; }
  void timeline(double now, const std::string& component, const std::string& event, const std::string& detail = "");
  const std::vector<TimelineEvent>& events() const { return events_; }

  // Named gauges (utilisation of every resource, and whatever components register), one
  // column each of the windows' rows.
  Gauges& gauges() { return gauges_; }
  const Gauges& gauges() const { return gauges_; }
  // Samples every gauge at the end of `window`.
  void sample_gauges(std::size_t window);

  // Closes the run at `end`: finishes the last latency window.
  void finish(double end);

  const RequestStats& overall() const { return overall_; }
  const std::vector<RequestStats>& operations() const { return operations_; }
  const std::vector<ServiceStats>& services() const { return services_; }
  const std::vector<HopStats>& hops() const { return hops_; }
  const std::vector<WindowRow>& windows() const { return windows_; }
  const Histogram& overall_histogram() const { return overall_.latency; }
  double window_s() const { return window_s_; }
  double warmup_s() const { return warmup_s_; }
  std::size_t window_of(double t) const;

 private:
  void roll_latency_window(std::size_t window);

  double warmup_s_;
  double end_s_;
  double window_s_;
  std::optional<double> slo_latency_s_;
  RequestStats overall_;
  std::vector<RequestStats> operations_;
  std::vector<ServiceStats> services_;
  std::vector<HopStats> hops_;
  std::vector<WindowRow> windows_;
  std::vector<ComponentStats> components_;
  std::vector<TimelineEvent> events_;
  std::uint64_t requests_started_ = 0;
  Gauges gauges_;
  Histogram window_latency_;
  std::size_t latency_window_ = 0;
};

}  // namespace archsim
