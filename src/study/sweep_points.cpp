#include "study/sweep_points.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/files.hpp"
#include "core/text.hpp"
#include "results/replications.hpp"
#include "results/result_files.hpp"
#include "scenario/diagnostics.hpp"

namespace archsim {

namespace fs = std::filesystem;

namespace {
// Figures to 12 significant digits; a value of a range to 15, which hides what adding up
// the steps rounds.
std::string number_text(double v, int digits = 12) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*g", digits, v);
  return text;
}

constexpr std::size_t kMaxValues = 100000;  // of one --vary, and points of a grid

double parse_number(const std::string& text, const std::string& source) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  throw InputError(source, "", "not a number", text);
}

const char* const kColumns[] = {"offered_rps", "throughput_rps", "mean_ms",    "p50_ms",       "p90_ms",    "p95_ms",
                                "p99_ms",      "p999_ms",        "error_rate", "availability", "downtime_s"};
}  // namespace

Variation parse_variation(const std::string& text) {
  const std::string source = "--vary " + text;
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw InputError(source, "", "expected PATH=START:STOP:STEP or PATH=V1,V2,...");
  Variation v;
  v.path = text.substr(0, eq);
  const std::string spec = text.substr(eq + 1);
  const bool json_value = spec.find_first_of("{[\"") != std::string::npos;
  if (!json_value && std::count(spec.begin(), spec.end(), ':') == 2 && spec.find(',') == std::string::npos) {
    const auto a = spec.find(':'), b = spec.rfind(':');
    const double start = parse_number(spec.substr(0, a), source);
    const double stop = parse_number(spec.substr(a + 1, b - a - 1), source);
    const double step = parse_number(spec.substr(b + 1), source);
    if (!(step > 0)) throw InputError(source, "", "STEP must be > 0", number_text(step));
    if (stop < start) throw InputError(source, "", "STOP must be >= START");
    const double steps = std::floor((stop - start) / step + 1e-9);
    if (!(steps < kMaxValues)) throw InputError(source, "", "more than " + std::to_string(kMaxValues) + " values");
    const auto count = static_cast<std::size_t>(steps) + 1;
    // Whole numbers are written exactly (seeds reach 2^53).
    const double exact = 9007199254740992.0;
    const bool whole = std::floor(start) == start && std::floor(step) == step && std::fabs(start) < exact &&
                       std::fabs(stop) < exact;
    for (std::size_t i = 0; i < count; ++i) {
      if (whole) {
        const auto value = static_cast<std::int64_t>(start) + static_cast<std::int64_t>(i) * static_cast<std::int64_t>(step);
        v.values.push_back(std::to_string(value));
      } else {
        v.values.push_back(number_text(start + static_cast<double>(i) * step, 15));
      }
    }
    if (count > 1 && v.values[count - 1] == v.values[count - 2])
      throw InputError(source, "", "STEP is too small to tell the values apart", number_text(step));
  } else {
    // Commas inside a JSON value (an object, an array, a string) do not separate values.
    std::string part;
    int depth = 0;
    bool in_string = false, escaped = false;
    for (std::size_t i = 0; i <= spec.size(); ++i) {
      const char c = i < spec.size() ? spec[i] : ',';
      if (in_string) {
        escaped = !escaped && c == '\\';
        if (c == '"' && !escaped) in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && depth > 0) {
        --depth;
      } else if (c == ',' && depth == 0) {
        if (part.empty()) throw InputError(source, "", "an empty value in the list");
        v.values.push_back(part);
        part.clear();
        continue;
      }
      part += c;
    }
    if (in_string || depth > 0) throw InputError(source, "", "a JSON value in the list is not closed");
  }
  return v;
}

std::vector<std::vector<std::string>> sweep_grid(const std::vector<Variation>& variations) {
  std::size_t points = 1;
  for (const auto& v : variations) {
    if (v.values.size() > kMaxValues / points)
      throw InputError("--vary", "", "the grid has more than " + std::to_string(kMaxValues) + " points");
    points *= v.values.size();
  }
  std::vector<std::vector<std::string>> grid{{}};
  for (const auto& v : variations) {
    std::vector<std::vector<std::string>> next;
    for (const auto& prefix : grid)
      for (const auto& value : v.values) {
        next.push_back(prefix);
        next.back().push_back(value);
      }
    grid = std::move(next);
  }
  return grid;
}

bool is_sweep_file(const std::string& name) {
  return name.rfind("point-", 0) == 0 || name.rfind("slurm-", 0) == 0 || name == "sweep.csv" || name == "sweep.sbatch";
}

namespace {
// Whether `path` in a sweep folder is what a sweep made: a point folder holding its
// description and a run's results, the table, the Slurm script or a Slurm log.
bool made_by_a_sweep(const fs::path& path) {
  const std::string name = path.filename().string();
  std::error_code ec;
  if (fs::is_symlink(path, ec)) return false;
  if (name.rfind("point-", 0) == 0)
    return fs::is_directory(path, ec) && numbered_name(name, "point-", 1) &&
           holds_only_results(path.string(), {"point.json"});
  const bool slurm_log = name.rfind("slurm-", 0) == 0 && name.size() > 10 && name.substr(name.size() - 4) == ".out";
  return fs::is_regular_file(path, ec) && (slurm_log || name == "sweep.csv" || name == "sweep.sbatch");
}
}  // namespace

void prepare_sweep_folder(const std::string& directory, bool force, const std::vector<std::string>& inputs) {
  prepare_output_folder(directory, "--out", inputs);
  for (const char* written : {"sweep.csv", "sweep.sbatch"})
    check_not_replaced((fs::path(directory) / written).string(), inputs, "--out");
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(directory)) entries.push_back(entry.path());
  if (entries.empty()) return;
  if (!force)
    throw InputError("--out", "",
                     "the folder is not empty (an earlier sweep's points would mix with this one's): give --force to "
                     "replace its points, or choose another folder",
                     directory);
  // Every entry is checked before any goes.
  std::vector<fs::path> stale;
  for (const auto& path : entries) {
    if (!is_sweep_file(path.filename().string())) continue;
    if (!made_by_a_sweep(path))
      throw InputError("--out", "",
                       path.filename().string() + " there was not made by a sweep (it holds other files, or is not "
                       "what a sweep names so), and --force would remove it: move it, or choose another folder",
                       directory);
    check_not_replaced(path.string(), inputs, "--out");
    stale.push_back(path);
  }
  for (const auto& path : stale) fs::remove_all(path);
}

std::string point_name(std::size_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "point-%04zu", index + 1);
  return name;
}

namespace {

// A summary copied or left in a point's folder by another run would be tabulated as the
// point's: its scenario, duration and seed must be the point's (where point.json says).
void check_made_for_point(const nlohmann::ordered_json& info, const nlohmann::ordered_json& summary,
                          const std::string& file, bool replicated) {
  const auto differs = [&file](const std::string& key, const nlohmann::ordered_json& got, const std::string& wanted) {
    throw InputError(file, "/" + key, "not this point's run: point.json asks for " + wanted,
                     describe_value(nlohmann::json(got)));
  };
  const auto string_at = [](const nlohmann::ordered_json& j, const char* key) -> std::optional<std::string> {
    if (j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    return std::nullopt;
  };
  const auto ran = string_at(summary, "scenario_file"), asked = string_at(info, "scenario");
  if (ran && asked && fs::path(*ran).is_absolute()) {
    std::error_code ec;
    if (fs::weakly_canonical(*ran, ec) != fs::weakly_canonical(*asked, ec)) differs("scenario_file", *ran, *asked);
  }
  // The duration and the seed: given to every point, or varied.
  for (const char* key : {"duration_s", "seed"}) {
    if (replicated && std::string(key) == "seed") continue;  // each replication has its own
    std::optional<double> wanted;
    if (info.contains(key) && info[key].is_number()) wanted = info[key].get<double>();
    if (info["values"].contains(key)) wanted = decimal_number(info["values"][key].get<std::string>());
    if (!wanted || !summary.contains(key) || !summary[key].is_number()) continue;
    // A summary keeps 6 significant digits of a duration; a seed is whole and exact.
    const double got = summary[key].get<double>();
    const double tolerance = std::string(key) == "seed" ? 0.0 : 1e-5 * std::fabs(*wanted);
    if (std::fabs(got - *wanted) > tolerance)
      differs(key, summary[key], std::string(key) + " " + number_text(*wanted));
  }
}

}  // namespace

std::string sweep_table(const std::string& directory) {
  std::vector<fs::path> points;
  if (!fs::is_directory(directory)) throw InputError(directory, "", "not a sweep folder");
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (!entry.is_directory() || entry.path().filename().string().rfind("point-", 0) != 0) continue;
    // A point's folder without its description cannot be tabulated: say so, not skip it.
    if (!fs::exists(entry.path() / "point.json"))
      throw InputError((entry.path() / "point.json").string(), "", "missing: the point's description, written by sweep");
    points.push_back(entry.path());
  }
  std::sort(points.begin(), points.end());
  if (points.empty()) throw InputError(directory, "", "no point-*/point.json: not a sweep folder");

  std::vector<std::string> paths;
  std::ostringstream out;
  std::vector<std::string> unfinished;
  bool header = false;
  bool with_intervals = false;
  for (const auto& p : points) {
    nlohmann::ordered_json info;
    {
      std::ifstream in(p / "point.json");
      try {
        info = nlohmann::ordered_json::parse(in);
      } catch (const nlohmann::json::exception&) {
        throw InputError((p / "point.json").string(), "", "invalid point description");
      }
    }
    // What is read of it below, checked first: a file edited by hand is bad input.
    const std::string file = (p / "point.json").string();
    if (!info.is_object() || !info.contains("values") || !info["values"].is_object())
      throw InputError(file, "/values", "invalid point description: must be an object of the values varied");
    for (const auto& [path, value] : info["values"].items())
      if (!value.is_string())
        throw InputError(file, (nlohmann::json::json_pointer("/values") / path).to_string(),
                         "invalid point description: must be a string", describe_value(nlohmann::json(value)));
    if (info.contains("replications") &&
        (!info["replications"].is_number_unsigned() || info["replications"].get<std::uint64_t>() < 1 ||
         info["replications"].get<std::uint64_t>() > 10000))
      throw InputError(file, "/replications", "invalid point description: must be a whole number from 1 to 10000",
                       describe_value(nlohmann::json(info["replications"])));
    // A replicated point: its summary combines the replications that have finished.
    const int replications = info.contains("replications") ? info["replications"].get<int>() : 1;
    if (!header) {
      for (const auto& [path, value] : info["values"].items()) paths.push_back(path);
      out << "point";
      for (const auto& path : paths) out << ',' << csv_escape(path);
      for (const char* c : kColumns) out << ',' << c;
      out << ",bottleneck,bottleneck_utilization";
      // Half-widths of the 95% intervals, when the points are replicated.
      with_intervals = replications > 1;
      if (with_intervals) {
        for (const char* c : kColumns) out << ',' << c << "_hw";
        out << ",bottleneck_utilization_hw";
      }
      out << "\n";
      header = true;
    }
    if (replications > 1) {
      // Combined afresh from the replications; with one missing or unreadable, unfinished.
      bool combined = false;
      try {
        combined = combine_replicated_folder(p.string(), replications).has_value();
      } catch (const std::exception&) {
        combined = false;
      }
      if (!combined) {
        fs::remove(p / "summary.json");
        // Say which replications are missing.
        std::string missing;
        int count = 0;
        for (int r = 1; r <= replications; ++r)
          if (!fs::exists(fs::path(replication_folder(p.string(), r)) / "summary.json") && ++count <= 3)
            missing += (missing.empty() ? "" : ", ") + fs::path(replication_folder(p.string(), r)).filename().string();
        if (count > 3) missing += " and " + std::to_string(count - 3) + " more";
        unfinished.push_back(p.filename().string() + (missing.empty() ? "" : " (" + missing + ")"));
        continue;
      }
    }
    if (!fs::exists(p / "summary.json")) {
      unfinished.push_back(p.filename().string());
      continue;
    }
    const auto summary = read_summary(p.string());
    check_made_for_point(info, summary, (p / "summary.json").string(), replications > 1);
    out << p.filename().string();
    for (const auto& path : paths) out << ',' << csv_escape(info["values"].value(path, ""));
    for (const char* c : kColumns) {
      const auto x = summary_figure(summary, c);
      out << ',';
      if (x) out << number_text(*x);
    }
    out << ',' << csv_escape(summary.contains("bottleneck") ? summary["bottleneck"].value("resource", "") : "") << ',';
    if (const auto u = summary_figure(summary, "bottleneck_utilization")) out << number_text(*u);
    if (with_intervals) {
      for (const char* c : kColumns) {
        out << ',';
        if (const auto i = interval_at(summary, summary_figure_pointer(c))) out << number_text(i->half_width);
      }
      out << ',';
      if (const auto i = interval_at(summary, "/bottleneck/utilization")) out << number_text(i->half_width);
    }
    out << '\n';
  }
  if (!unfinished.empty()) {
    std::string list;
    for (std::size_t i = 0; i < unfinished.size() && i < 10; ++i) list += (i ? ", " : "") + unfinished[i];
    if (unfinished.size() > 10) list += ", ...";
    throw InputError(directory, "", std::to_string(unfinished.size()) + " point(s) have no summary.json yet (or a replication has none): " + list);
  }
  return out.str();
}

}  // namespace archsim
