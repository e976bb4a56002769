#pragma once
// Several independent replications of one run, read back and combined: the combined
// summary has the same keys as a single run's, each number the mean over the replications
// (a value that is not a number in every replication is the first one's), plus
//   "replications": {"count", "seeds", "confidence", "method"}
//   "intervals":    {JSON pointer: {"mean", "se", "half_width", "low", "high", "n"}}
// with an interval for every number, so every figure a step adds gets one too. The folder
// also gets timeseries.csv (each window's values averaged over the replications),
// latency_histogram.csv (their histograms pooled) and events.csv (replication 1's), so that
// the plots read it as they read a single run.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/statistics.hpp"

namespace archsim {

constexpr double kConfidence = 0.95;

// The folder of replication `index` (1, 2, ...) inside a replicated result folder.
std::string replication_folder(const std::string& folder, int index);

nlohmann::ordered_json combine_replications(const std::vector<nlohmann::ordered_json>& summaries,
                                            const std::vector<std::uint64_t>& seeds,
                                            double confidence = kConfidence);

// Combines the `count` replications of `folder` (seeds read from their summaries) into
// folder/summary.json and returns it; nothing when one of them has no summary yet.
std::optional<nlohmann::ordered_json> combine_replicated_folder(const std::string& folder, int count);

// The replications' summaries of a replicated result folder (empty for a single run).
std::vector<nlohmann::ordered_json> read_replications(const std::string& folder);

// The value at `pointer` in every summary, or nothing if one lacks a number there.
std::optional<std::vector<double>> values_at(const std::vector<nlohmann::ordered_json>& summaries,
                                             const std::string& pointer);

// The interval a combined summary holds for `pointer`, if any.
std::optional<Interval> interval_at(const nlohmann::ordered_json& summary, const std::string& pointer);

// Batch means over one run's metrics windows (timeseries.csv as text), the measured ones only
// (wholly after `warmup_s` and before `duration_s`): for throughput, mean latency, error rate
// and every utilisation column, an interval keyed by the figure's JSON pointer, as
// combine_replications gives, plus the batch size (in windows), the batch count, the lag-1
// autocorrelation of the batch means and whether it is below 0.1 (see batch_means). The
// latency interval is that of the mean of the window means.
nlohmann::ordered_json batch_mean_intervals(const std::string& timeseries_csv, double warmup_s, double duration_s,
                                            double window_s, double confidence = kConfidence);

}  // namespace archsim
