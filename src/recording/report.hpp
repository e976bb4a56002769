#pragma once
// Turns what a run measured into its result files and its terminal summary:
//   summary.json            stable keys documented in the README
//   timeseries.csv          one row per time window
//   latency_histogram.csv   the end-to-end latency distribution, overall and per operation
// The summary holds no wall-clock figure, so the same scenario and seed give a
// byte-identical summary.json.
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/cost_model.hpp"
#include "core/files.hpp"
#include "recording/recorder.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

struct RunFacts {
  const Scenario& scenario;
  const Recorder& recorder;
  const std::vector<ResourceUse>& utilization;
  std::vector<std::uint64_t> in_flight_by_operation;  // global operation order
  double end_time_s = 0;  // the end of the measured period
  double drain_s = 0;     // how long the requests in flight then took to settle
  std::uint64_t peak_threads = 0;  // the most simulated threads alive at once
  nlohmann::ordered_json service_extras = nlohmann::ordered_json::object();  // merged into services.NAME
  nlohmann::ordered_json client_extras = nlohmann::ordered_json::object();   // clients.NAME
  // The bytes and requests the run measured for the cost model (hosts' running time is
  // the recorder's).
  CostUsage cost_usage;
};

// Downtime accounting over the measured windows (those starting at or after the warm-up).
struct Downtime {
  double measured_s = 0;
  double downtime_s = 0;
  std::size_t windows = 0;
  std::size_t down_windows = 0;
  double availability() const { return measured_s > 0 ? 1.0 - downtime_s / measured_s : 1.0; }
};
Downtime compute_downtime(const Scenario& scenario, const Recorder& recorder, double end_time_s);
// A window is down when fewer than `success_ratio` of the requests sent in it (and
// resolved by the end) succeeded. A window without resolved requests counts as up.
bool window_is_down(const WindowRow& row, double success_ratio);

// Yearly downtime and "nines" that an availability extrapolates to. With no downtime
// observed, the nines are unknown (null); `nines_at_least` then gives what the
// observation supports: log10 of the number of windows measured.
nlohmann::ordered_json availability_projection(const Downtime& downtime, double window_s);

nlohmann::ordered_json make_summary(const RunFacts& facts);
void write_events_csv(const RunFacts& facts, std::ostream& out);
void write_timeseries_csv(const RunFacts& facts, std::ostream& out);
void write_latency_histogram_csv(const RunFacts& facts, std::ostream& out);

// Writes the result files into `directory` (created if needed).
void write_results(const RunFacts& facts, const nlohmann::ordered_json& summary, const std::string& directory);

// A readable multi-line summary for the terminal.
std::string summary_table(const nlohmann::ordered_json& summary);

}  // namespace archsim
