#pragma once
// Side-by-side comparison of finished runs, read from their summary.json files: one
// column per run, one row per figure (throughput, latency percentiles, errors, downtime,
// bottleneck), rendered as an aligned text table, Markdown, CSV or JSON.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace archsim {

struct Comparison {
  std::vector<std::string> columns;            // run names
  std::vector<std::string> row_labels;         // figure names
  std::vector<std::vector<std::string>> cells;  // [row][column], already formatted
  nlohmann::ordered_json raw;                  // {run: {figure: value}}
  std::vector<std::string> notes;              // printed under the table
};

// `replications[i]`, when not empty, holds the summaries of column i's replications (its
// summary then being their combination): cells show "mean ± half-width", and a column whose
// difference from the first column is larger than the noise is marked "*" (a paired t test
// when both used the same seeds, Welch's otherwise, at 95%).
Comparison compare_summaries(const std::vector<nlohmann::ordered_json>& summaries,
                             const std::vector<std::vector<nlohmann::ordered_json>>& replications = {});

enum class TableFormat { Table, Markdown, Csv, Json };
std::string render(const Comparison& comparison, TableFormat format);

}  // namespace archsim
