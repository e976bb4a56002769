#include "results/replications.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/files.hpp"
#include "results/result_files.hpp"

namespace archsim {

using nlohmann::ordered_json;

namespace {

void combine_into(ordered_json& out, const std::vector<const ordered_json*>& values, const std::string& pointer,
                  ordered_json& intervals, double confidence) {
  const ordered_json& first = *values.front();
  if (first.is_object()) {
    for (auto& [key, child] : out.items()) {
      std::vector<const ordered_json*> children;
      for (const ordered_json* v : values)
        if (v->is_object() && v->contains(key)) children.push_back(&(*v)[key]);
      if (children.size() != values.size()) continue;  // not in every replication: the first's
      // JSON pointer escaping: ~ and / in keys.
      std::string escaped;
      for (char c : key) escaped += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
      combine_into(child, children, pointer + "/" + escaped, intervals, confidence);
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

std::optional<ordered_json> combine_replicated_folder(const std::string& folder, int count) {
  std::vector<ordered_json> summaries;
  std::vector<std::uint64_t> seeds;
  for (int i = 1; i <= count; ++i) {
    if (!std::filesystem::exists(replication_folder(folder, i) + "/summary.json")) return std::nullopt;
    summaries.push_back(read_summary(replication_folder(folder, i)));
    seeds.push_back(summaries.back()["seed"].get<std::uint64_t>());
  }
  const ordered_json combined = combine_replications(summaries, seeds);
  write_result_file(folder + "/summary.json", [&](std::ostream& out) { out << combined.dump(2) << "\n"; });
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

}  // namespace archsim
