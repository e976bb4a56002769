#include "results/replications.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/files.hpp"
#include "core/text.hpp"
#include "results/result_files.hpp"

namespace archsim {

using nlohmann::ordered_json;

namespace {

// A key as a JSON pointer token: ~ and / escaped.
std::string pointer_token(const std::string& key) {
  std::string escaped;
  for (char c : key) escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return escaped;
}

void combine_into(ordered_json& out, const std::vector<const ordered_json*>& values, const std::string& pointer,
                  ordered_json& intervals, double confidence) {
  const ordered_json& first = *values.front();
  if (first.is_object()) {
    for (auto& [key, child] : out.items()) {
      std::vector<const ordered_json*> children;
      for (const ordered_json* v : values)
        if (v->is_object() && v->contains(key)) children.push_back(&(*v)[key]);
      if (children.size() != values.size()) continue;  // not in every replication: the first's
      combine_into(child, children, pointer + "/" + pointer_token(key), intervals, confidence);
    }
    return;
  }
  if (first.is_array()) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      std::vector<const ordered_json*> children;
      for (const ordered_json* v : values) {
        if (!v->is_array() || v->size() != out.size()) return;
        children.push_back(&(*v)[i]);
      }
      combine_into(out[i], children, pointer + "/" + std::to_string(i), intervals, confidence);
    }
    return;
  }
  if (!first.is_number()) return;
  std::vector<double> numbers;
  for (const ordered_json* v : values) {
    if (!v->is_number()) return;
    numbers.push_back(v->get<double>());
  }
  const Interval i = mean_interval(numbers, confidence);
  out = i.mean;
  intervals[pointer] = {{"mean", i.mean}, {"se", i.se}, {"half_width", i.half_width},
                        {"low", i.low},   {"high", i.high}, {"n", i.n}};
}

}  // namespace

std::string replication_folder(const std::string& folder, int index) {
  char name[32];
  std::snprintf(name, sizeof name, "rep-%03d", index);
  return (std::filesystem::path(folder) / name).string();
}

ordered_json combine_replications(const std::vector<ordered_json>& summaries, const std::vector<std::uint64_t>& seeds,
                                  double confidence) {
  if (summaries.size() < 2) throw std::invalid_argument("combining replications needs two or more");
  ordered_json out = summaries.front();
  ordered_json intervals = ordered_json::object();
  std::vector<const ordered_json*> values;
  for (const auto& s : summaries) values.push_back(&s);
  combine_into(out, values, "", intervals, confidence);
  // Figures of the run itself rather than measurements.
  for (const char* key : {"format_version", "seed", "duration_s", "warmup_s", "measured_s"}) {
    intervals.erase(std::string("/") + key);
    if (summaries.front().contains(key)) out[key] = summaries.front()[key];
  }
  out["replications"] = {{"count", summaries.size()},
                         {"seeds", seeds},
                         {"confidence", confidence},
                         {"method", "independent replications (Student t)"}};
  out["intervals"] = intervals;
  return out;
}

namespace {

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) rows.push_back(split_csv_line(line));
  return rows;
}

std::string number_text(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

// timeseries.csv of replications: each cell the mean over the replications of the same
// window (empty when one of them has no value there).
std::string mean_timeseries(const std::vector<std::vector<std::vector<std::string>>>& tables) {
  std::ostringstream out;
  const auto& first = tables.front();
  std::size_t rows = first.size();
  for (const auto& t : tables) rows = std::min(rows, t.size());
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < first[r].size(); ++c) {
      if (c) out << ',';
      if (r == 0 || c == 0) {  // the header, and the window's start
        out << csv_escape(first[r][c]);
        continue;
      }
      double sum = 0;
      bool all = true;
      for (const auto& t : tables) {
        if (c >= t[r].size() || t[r][c].empty()) {
          all = false;
          break;
        }
        char* end = nullptr;
        const double v = std::strtod(t[r][c].c_str(), &end);
        if (end == t[r][c].c_str()) {
          all = false;
          break;
        }
        sum += v;
      }
      if (all) out << number_text(sum / static_cast<double>(tables.size()));
    }
    out << '\n';
  }
  return out.str();
}

// latency_histogram.csv of replications: the counts of every bin added up (every request of
// every replication), cumulative fractions recomputed.
std::string pooled_histogram(const std::vector<std::vector<std::vector<std::string>>>& tables) {
  std::vector<std::string> series;  // in the order they first appear ("all" first)
  std::map<std::string, std::map<double, std::pair<std::string, std::pair<std::string, double>>>> bins;
  for (const auto& t : tables)
    for (std::size_t r = 1; r < t.size(); ++r) {
      if (t[r].size() < 4) continue;
      const double lower = std::strtod(t[r][1].c_str(), nullptr), count = std::strtod(t[r][3].c_str(), nullptr);
      if (!bins.count(t[r][0])) series.push_back(t[r][0]);
      auto& bin = bins[t[r][0]][lower];
      bin.first = t[r][1];
      bin.second.first = t[r][2];
      bin.second.second += count;
    }
  std::ostringstream out;
  out << "series,lower_ms,upper_ms,count,cumulative_fraction\n";
  for (const auto& name : series) {
    double total = 0, running = 0;
    for (const auto& [lower, bin] : bins[name]) total += bin.second.second;
    for (const auto& [lower, bin] : bins[name]) {
      running += bin.second.second;
      out << csv_escape(name) << ',' << bin.first << ',' << bin.second.first << ','
          << static_cast<std::uint64_t>(bin.second.second) << ',' << number_text(total > 0 ? running / total : 0.0)
          << '\n';
    }
  }
  return out.str();
}

}  // namespace

std::optional<ordered_json> combine_replicated_folder(const std::string& folder, int count) {
  std::vector<ordered_json> summaries;
  std::vector<std::uint64_t> seeds;
  for (int i = 1; i <= count; ++i) {
    if (!std::filesystem::exists(replication_folder(folder, i) + "/summary.json")) return std::nullopt;
    summaries.push_back(read_summary(replication_folder(folder, i)));
    const auto& seed = summaries.back()["seed"];
    seeds.push_back(seed.is_number_unsigned() ? seed.get<std::uint64_t>() : 0);
  }
  const ordered_json combined = combine_replications(summaries, seeds);
  // The other result files, so that the plots read a replicated folder as a single run's:
  // the windows averaged, the latency histograms pooled, the events of replication 1.
  std::vector<std::vector<std::vector<std::string>>> series, histograms;
  for (int i = 1; i <= count; ++i) {
    series.push_back(read_csv(replication_folder(folder, i) + "/timeseries.csv"));
    histograms.push_back(read_csv(replication_folder(folder, i) + "/latency_histogram.csv"));
  }
  write_result_file(folder + "/timeseries.csv", [&](std::ostream& out) { out << mean_timeseries(series); });
  write_result_file(folder + "/latency_histogram.csv", [&](std::ostream& out) { out << pooled_histogram(histograms); });
  if (std::filesystem::exists(replication_folder(folder, 1) + "/events.csv"))
    std::filesystem::copy_file(replication_folder(folder, 1) + "/events.csv", folder + "/events.csv",
                               std::filesystem::copy_options::overwrite_existing);
  write_summary(folder, combined);  // last: its presence means the folder is complete
  return combined;
}

std::vector<ordered_json> read_replications(const std::string& folder) {
  std::vector<ordered_json> out;
  for (int i = 1; std::filesystem::exists(replication_folder(folder, i) + "/summary.json"); ++i)
    out.push_back(read_summary(replication_folder(folder, i)));
  return out;
}

std::optional<std::vector<double>> values_at(const std::vector<ordered_json>& summaries, const std::string& pointer) {
  std::vector<double> out;
  const ordered_json::json_pointer ptr(pointer);
  for (const auto& s : summaries) {
    if (!s.contains(ptr) || !s.at(ptr).is_number()) return std::nullopt;
    out.push_back(s.at(ptr).get<double>());
  }
  return out;
}

std::optional<Interval> interval_at(const ordered_json& summary, const std::string& pointer) {
  if (!summary.contains("intervals") || !summary["intervals"].contains(pointer)) return std::nullopt;
  const ordered_json& o = summary["intervals"][pointer];
  Interval i;
  i.mean = o["mean"].get<double>();
  i.se = o["se"].get<double>();
  i.half_width = o["half_width"].get<double>();
  i.low = o["low"].get<double>();
  i.high = o["high"].get<double>();
  i.n = o["n"].get<std::size_t>();
  return i;
}

ordered_json batch_mean_intervals(const std::string& timeseries_csv, double warmup_s, double duration_s,
                                  double window_s, double confidence) {
  std::istringstream in(timeseries_csv);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split_csv_line(line);
  // The figures and the columns they come from.
  std::vector<std::pair<std::string, std::size_t>> figures;
  std::size_t t_column = header.size(), success_column = header.size(), ok_column = header.size();
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string& h = header[c];
    if (h == "t_s") t_column = c;
    if (h == "throughput_rps") figures.emplace_back("/throughput_rps", c);
    if (h == "mean_ms") figures.emplace_back("/latency_ms/mean", c);
    if (h == "success_ratio") success_column = c;
    if (h == "ok") ok_column = c;
    if (h.rfind("util:", 0) == 0) {
      const auto dot = h.rfind('.');
      if (dot != std::string::npos)
        figures.emplace_back(
            "/utilization/" + pointer_token(h.substr(5, dot - 5)) + "/" + pointer_token(h.substr(dot + 1)), c);
    }
  }
  if (success_column < header.size()) figures.emplace_back("/error_rate", success_column);
  std::vector<std::vector<double>> series(figures.size());
  std::vector<double> ok;  // requests answered in each window: the weight of its mean latency
  std::vector<bool> complete(figures.size(), true);
  while (std::getline(in, line)) {
    const auto cells = split_csv_line(line);
    if (t_column >= cells.size()) continue;
    const double t = std::stod(cells[t_column]);
    if (t < warmup_s - 1e-9 || t + window_s > duration_s + 1e-9) continue;  // not a whole measured window
    ok.push_back(ok_column < cells.size() && !cells[ok_column].empty() ? std::stod(cells[ok_column]) : 0.0);
    for (std::size_t f = 0; f < figures.size(); ++f) {
      const std::size_t c = figures[f].second;
      if (c >= cells.size() || cells[c].empty()) {
        complete[f] = false;  // a window without the figure (no request finished)
        continue;
      }
      const double v = std::stod(cells[c]);
      series[f].push_back(c == success_column ? 1.0 - v : v);
    }
  }
  ordered_json intervals = ordered_json::object();
  for (std::size_t f = 0; f < figures.size(); ++f) {
    if (!complete[f]) continue;
    const bool latency = figures[f].first == "/latency_ms/mean";
    if (latency && series[f].size() != ok.size()) continue;
    const auto b = batch_means(series[f], 10, confidence, latency ? ok : std::vector<double>{});
    if (!b) continue;
    const Interval& i = b->interval;
    intervals[figures[f].first] = {{"mean", i.mean},         {"se", i.se},           {"half_width", i.half_width},
                                   {"low", i.low},           {"high", i.high},       {"n", i.n},
                                   {"batch_windows", b->batch_size}, {"lag1", b->lag1}, {"uncorrelated", b->uncorrelated}};
  }
  return intervals;
}

}  // namespace archsim
