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
};

Comparison compare_summaries(const std::vector<nlohmann::ordered_json>& summaries);

enum class TableFormat { Table, Markdown, Csv, Json };
std::string render(const Comparison& comparison, TableFormat format);

}  // namespace archsim
