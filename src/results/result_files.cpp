#include "results/result_files.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/files.hpp"
#include "core/text.hpp"
#include "scenario/diagnostics.hpp"

namespace archsim {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

const std::vector<std::string>& run_result_files() {
  static const std::vector<std::string> files = {"summary.json", "timeseries.csv", "latency_histogram.csv",
                                                 "events.csv", "trace.json"};
  return files;
}

bool holds_only_results(const std::string& folder, const std::vector<std::string>& extra) {
  const auto& files = run_result_files();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    const bool result_file =
        entry.is_regular_file(ec) && !entry.is_symlink(ec) &&
        (std::find(files.begin(), files.end(), name) != files.end() ||
         std::any_of(files.begin(), files.end(), [&](const std::string& f) { return name == f + ".tmp"; }));
    const bool replication = entry.is_directory(ec) && !entry.is_symlink(ec) && is_replication_folder_name(name) &&
                             holds_only_results(entry.path().string());
    if (!result_file && !replication && std::find(extra.begin(), extra.end(), name) == extra.end()) return false;
  }
  return !ec;
}

void check_not_replaced(const std::string& owned, const std::vector<std::string>& inputs, const std::string& option) {
  std::error_code ec;
  const fs::path target = fs::weakly_canonical(owned, ec);
  for (const auto& input : inputs) {
    const fs::path in = fs::weakly_canonical(input, ec);
    const fs::path rel = in.lexically_relative(target);
    if (in == target || (!rel.empty() && *rel.begin() != ".."))
      throw InputError(option, "", "would overwrite or remove " + input + ", an input of this command: choose another folder",
                       owned);
  }
}

void prepare_output_folder(const std::string& path, const std::string& option, const std::vector<std::string>& inputs) {
  if (path.empty()) throw InputError(option, "", "needs a folder (got an empty path)");
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec))
    throw InputError(option, "", "is a file, not a folder", path);
  fs::create_directories(path, ec);
  if (ec) throw InputError(option, "", "cannot create the folder: " + ec.message(), path);
  // Can files be written there? (Permissions, a read-only file system.)
  const fs::path probe = fs::path(path) / (".archsim-write-test-" + std::to_string(::getpid()));
  {
    std::ofstream out(probe);
    if (!out) throw InputError(option, "", "cannot write into the folder", path);
  }
  fs::remove(probe, ec);
  // What the run will write and remove there: not a folder of the same name, not the user's
  // files, not its own inputs.
  for (const auto& file : run_result_files()) {
    const fs::path target = fs::path(path) / file;
    if (fs::is_directory(target, ec))
      throw InputError(option, "", file + " there is a folder: a run writes a file of that name", path);
    check_not_replaced(target.string(), inputs, option);
  }
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    if (!is_replication_folder_name(name)) continue;
    if (!entry.is_directory(ec) || entry.is_symlink(ec))
      throw InputError(option, "", name + " there is not a folder, and a run writes one of that name: move it, or choose another folder", path);
    if (!holds_only_results(entry.path().string()))
      throw InputError(option, "", name + " there holds files no run writes, and a run replaces that folder: move them, or choose another folder", path);
    check_not_replaced(entry.path().string(), inputs, option);
  }
}

namespace {

// HOST-PID: which process on which machine a scratch folder belongs to (result folders can
// be shared by machines, and a process id says nothing of another machine's processes).
std::string host_tag() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::string tag;
  for (const char* c = host; *c; ++c)
    tag += (std::isalnum(static_cast<unsigned char>(*c)) || *c == '.' || *c == '_') ? *c : '_';
  return tag.empty() ? std::string("host") : tag;
}

std::string process_tag() { return host_tag() + "-" + std::to_string(::getpid()); }

}  // namespace

void publish_results(const std::string& from, const std::string& to) {
  const fs::path source = from, target = to;
  // The earlier results are moved aside (the summary first), the new ones moved in (the
  // summary last), and only then are the earlier ones removed: a failure on the way leaves
  // both, named in the error.
  const fs::path aside = target / (".archsim-replaced-" + process_tag());
  try {
    fs::create_directories(aside);
    const auto move_aside = [&](const fs::path& p) {
      if (fs::exists(fs::symlink_status(p))) fs::rename(p, aside / p.filename());
    };
    move_aside(target / "summary.json");
    for (const auto& entry : fs::directory_iterator(target))
      if (is_replication_folder_name(entry.path().filename().string())) move_aside(entry.path());
    for (const auto& file : run_result_files()) move_aside(target / file);
    for (const auto& entry : fs::directory_iterator(source))
      if (is_replication_folder_name(entry.path().filename().string()))
        fs::rename(entry.path(), target / entry.path().filename());
    for (const auto& file : run_result_files())
      if (file != "summary.json" && fs::exists(source / file)) fs::rename(source / file, target / file);
    if (fs::exists(source / "summary.json")) fs::rename(source / "summary.json", target / "summary.json");
  } catch (const fs::filesystem_error& e) {
    throw std::runtime_error("cannot put the new results in place (" + std::string(e.what()) + "): they are in " +
                             from + ", the earlier ones in " + aside.string());
  }
  std::error_code ec;
  fs::remove_all(aside, ec);
}

std::vector<std::string> remove_abandoned_scratch(const std::string& parent, const std::string& prefix) {
  const std::string mine = prefix + "-" + host_tag() + "-";
  std::vector<fs::path> abandoned;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (!numbered_name(name, mine, 1) || name.size() - mine.size() > 9) continue;
    const auto pid = static_cast<pid_t>(std::stol(name.substr(mine.size())));
    // This process has made no such folder yet: one with its id is an ended one's.
    const bool ended = pid > 0 && (pid == ::getpid() || (::kill(pid, 0) != 0 && errno == ESRCH));
    if (!ended || !entry.is_directory(ec) || entry.is_symlink(ec) ||
        !holds_only_results(entry.path().string(), {kScratchLockFile}))
      continue;
    // A lock still held is a live process's, whatever its id says here.
    const int fd = ::open((entry.path() / kScratchLockFile).c_str(), O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
      const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
      ::close(fd);
      if (!free) continue;
    }
    abandoned.push_back(entry.path());
  }
  std::vector<std::string> removed;
  for (const auto& folder : abandoned)
    if (fs::remove_all(folder, ec), !ec) removed.push_back(folder.string());
  return removed;
}

std::string scratch_folder(const std::string& prefix) {
  std::error_code ec;
  const fs::path base = fs::temp_directory_path(ec);
  const char* tmpdir = std::getenv("TMPDIR");
  if (ec) throw InputError("$TMPDIR", "", "is not a folder for scratch files: " + ec.message(), tmpdir ? tmpdir : "");
  const fs::path folder = base / (prefix + "-" + process_tag());
  fs::create_directories(folder, ec);
  if (ec)
    throw InputError(tmpdir ? "$TMPDIR" : base.string(), "", "cannot create a scratch folder there: " + ec.message(),
                     folder.string());
  return folder.string();
}

ScratchFolder::ScratchFolder(const std::string& prefix, const std::string& parent)
    : path_((fs::path(parent) / (prefix + "-" + process_tag())).string()) {
  fs::create_directories(path_);
  // Held while this process lives (the kernel lets it go however the process ends).
  lock_ = ::open((fs::path(path_) / kScratchLockFile).c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock_ >= 0) ::flock(lock_, LOCK_EX | LOCK_NB);
}

void ScratchFolder::keep(const std::string& why) {
  kept_ = true;
  std::ofstream(fs::path(path_) / kScratchKeptFile) << why << "\n";
}

ScratchFolder::~ScratchFolder() {
  if (lock_ >= 0) ::close(lock_);
  std::error_code ec;
  if (!kept_) fs::remove_all(path_, ec);
}

namespace {

// What the readers of a summary rely on beyond its three sections, checked where it is
// read: a file edited by hand is bad input, not an internal error.
void check_summary_shape(const ordered_json& s, const std::string& file) {
  const auto bad = [&file](const std::string& pointer, const std::string& rule, const ordered_json& got) {
    throw InputError(file, pointer, "not a summary.json written by archsim run (" + rule + ")",
                     describe_value(nlohmann::json(got)));
  };
  const auto at = [](const std::string& pointer, const std::string& key) {
    return (ordered_json::json_pointer(pointer) / key).to_string();
  };
  // A member of an object, or null when it has none.
  const auto member_of = [](const ordered_json& object, const char* key) {
    return object.contains(key) ? object[key] : ordered_json();
  };
  if (s.contains("scenario") && !s["scenario"].is_string()) bad("/scenario", "must be a string", s["scenario"]);
  for (const char* key : {"seed", "nines_at_least"})
    if (s.contains(key) && !s[key].is_number() && !s[key].is_null()) bad(at("", key), "must be a number", s[key]);
  for (const auto& [cause, count] : s["errors_by_cause"].items())
    if (!count.is_number()) bad(at("/errors_by_cause", cause), "must be a number", count);
  for (const char* key : {"services", "operations", "regions", "bottleneck", "replications", "intervals"}) {
    if (!s.contains(key)) continue;
    if (!s[key].is_object()) bad(at("", key), "must be an object", s[key]);
  }
  for (const char* key : {"services", "operations", "regions", "intervals"}) {
    if (!s.contains(key)) continue;
    for (const auto& [name, member] : s[key].items())
      if (!member.is_object()) bad(at(at("", key), name), "must be an object", member);
  }
  if (s.contains("regions"))
    for (const auto& [name, region] : s["regions"].items())
      if (region.contains("sent") && !region["sent"].is_number())
        bad(at(at("/regions", name), "sent"), "must be a number", region["sent"]);
  if (s.contains("bottleneck") && s["bottleneck"].contains("resource") && !s["bottleneck"]["resource"].is_string())
    bad("/bottleneck/resource", "must be a string", s["bottleneck"]["resource"]);
  if (s.contains("replications")) {
    const ordered_json& r = s["replications"];
    if (!r.contains("count") || !r["count"].is_number_unsigned())
      bad("/replications/count", "must be a whole number", member_of(r, "count"));
    if (!r.contains("seeds") || !r["seeds"].is_array())
      bad("/replications/seeds", "must be a list", member_of(r, "seeds"));
  }
  if (s.contains("intervals"))
    for (const auto& [pointer, interval] : s["intervals"].items()) {
      for (const char* key : {"mean", "se", "half_width", "low", "high"})
        if (!interval.contains(key) || !interval[key].is_number())
          bad(at(at("/intervals", pointer), key), "must be a number", member_of(interval, key));
      if (!interval.contains("n") || !interval["n"].is_number_unsigned())
        bad(at(at("/intervals", pointer), "n"), "must be a whole number", member_of(interval, "n"));
    }
}

}  // namespace

ordered_json read_summary(const std::string& folder_or_file) {
  fs::path path = folder_or_file;
  if (fs::is_directory(path)) path /= "summary.json";
  std::ifstream in(path);
  if (!in) throw InputError(folder_or_file, "", "not a result folder or summary.json (no " + path.string() + ")");
  ordered_json summary;
  try {
    summary = ordered_json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string(), "", "invalid JSON: " + json_error_text(e));
  }
  for (const char* key : {"requests", "latency_ms", "errors_by_cause"})
    if (!summary.is_object() || !summary.contains(key) || !summary[key].is_object())
      throw InputError(path.string(), "", "not a summary.json written by archsim run (no " + std::string(key) + ")");
  check_summary_shape(summary, path.string());
  // A newer archsim's summary reads as far as this one knows it: say so.
  if (summary.contains("format_version") && summary["format_version"].is_number_integer() &&
      summary["format_version"].get<long long>() > kSummaryFormatVersion)
    std::cerr << "warning: " << printable(path.string()) << ": format_version " << summary["format_version"].dump()
              << " is newer than this archsim's (" << kSummaryFormatVersion
              << "): what it added or re-defined is not read (see CHANGES.md)\n";
  return summary;
}

const std::vector<std::string>& summary_figure_names() {
  static const std::vector<std::string> names = {
      "offered_rps", "throughput_rps", "mean_ms", "p50_ms",       "p90_ms", "p95_ms", "p99_ms",
      "p999_ms",     "max_ms",         "error_rate", "availability", "downtime_s", "nines",
      "bottleneck_utilization"};
  return names;
}

std::optional<double> summary_figure(const ordered_json& s, const std::string& name) {
  const ordered_json::json_pointer at(summary_figure_pointer(name));
  if (s.contains(at) && s.at(at).is_number()) return s.at(at).get<double>();
  return std::nullopt;
}

bool SloCondition::met_by(double x) const {
  if (op == "<=") return x <= value;
  if (op == "<") return x < value;
  if (op == ">=") return x >= value;
  return x > value;
}

std::string SloCondition::text() const {
  std::ostringstream out;
  out << figure << op << value;
  return out.str();
}

std::vector<SloCondition> parse_slo(const std::string& text, const std::string& source) {
  std::vector<SloCondition> out;
  std::stringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ',')) {
    part.erase(0, part.find_first_not_of(" \t"));
    part.erase(part.find_last_not_of(" \t") + 1);
    if (part.empty()) continue;
    const auto pos = part.find_first_of("<>");
    if (pos == std::string::npos || pos == 0)
      throw InputError(source, "", "expected FIGURE<=VALUE (or <, >=, >), e.g. p99_ms<=200", part);
    SloCondition c;
    c.figure = part.substr(0, pos);
    c.figure.erase(c.figure.find_last_not_of(" \t") + 1);
    const bool equal = pos + 1 < part.size() && part[pos + 1] == '=';
    c.op = part.substr(pos, equal ? 2 : 1);
    const std::string number = part.substr(pos + c.op.size());
    const auto& names = summary_figure_names();
    if (std::find(names.begin(), names.end(), c.figure) == names.end()) {
      throw InputError(source, "", "unknown figure" + did_you_mean(c.figure, names), c.figure);
    }
    try {
      std::size_t used = 0;
      c.value = std::stod(number, &used);
      if (used != number.size() || !std::isfinite(c.value)) throw std::invalid_argument(number);
    } catch (const std::exception&) {
      throw InputError(source, "", "not a number", number);
    }
    // Every figure is at least 0; ratios are at most 1. A condition no run can meet would
    // make a capacity search try every value in vain.
    // (a utilisation may pass 1 slightly: a replica taken out of service finishes its work)
    const bool ratio = c.figure == "error_rate" || c.figure == "availability";
    const bool never = c.op == "<=" ? c.value < 0
                       : c.op == "<" ? c.value <= 0
                       : c.op == ">=" ? ratio && c.value > 1
                                      : ratio && c.value >= 1;
    if (never)
      throw InputError(source, "", std::string("can never be met: ") + c.figure + " is " +
                                       (ratio ? "between 0 and 1" : "at least 0"), part);
    // Nor one every run meets: most likely a percent written for a fraction.
    const bool always = c.op == "<=" ? ratio && c.value >= 1
                        : c.op == "<" ? ratio && c.value > 1
                        : c.op == ">=" ? c.value <= 0
                                       : c.value < 0;
    if (always)
      throw InputError(source, "", std::string("is met by every run: ") + c.figure + " is " +
                                       (ratio ? "a fraction between 0 and 1 (1% is 0.01)" : "at least 0"), part);
    for (const auto& other : out) {
      if (other.figure != c.figure || other.op[0] == c.op[0]) continue;
      const SloCondition& low = c.op[0] == '>' ? c : other;
      const SloCondition& high = c.op[0] == '>' ? other : c;
      if (low.value > high.value || (low.value == high.value && (low.op == ">" || high.op == "<")))
        throw InputError(source, "", "contradicts " + other.text() + ": no value meets both", part);
    }
    out.push_back(c);
  }
  if (out.empty()) throw InputError(source, "", "no condition given, e.g. p99_ms<=200,error_rate<=0.001");
  return out;
}

std::string summary_figure_pointer(const std::string& name) {
  if (name == "bottleneck_utilization") return "/bottleneck/utilization";
  if (name.size() > 3 && name.compare(name.size() - 3, 3, "_ms") == 0) return "/latency_ms/" + name.substr(0, name.size() - 3);
  return "/" + name;
}

bool meets_slo(const ordered_json& summary, const std::vector<SloCondition>& slo, std::string* why) {
  for (const auto& c : slo) {
    auto x = summary_figure(summary, c.figure);
    // A run without a down window has no nines, only a lower bound on them: enough to
    // meet "nines >= N" when it is at least N (an upper limit it cannot meet).
    if (!x && c.figure == "nines" && c.op[0] == '>' && summary.contains("nines_at_least") &&
        summary["nines_at_least"].is_number() && c.met_by(summary["nines_at_least"].get<double>()))
      continue;
    // With replications, the objective must hold at the interval's unfavourable end.
    std::optional<double> end;
    const std::string pointer = summary_figure_pointer(c.figure);
    if (x && summary.contains("intervals") && summary["intervals"].contains(pointer)) {
      const auto& i = summary["intervals"][pointer];
      // (an interval not centred on the figure, as batch means' may be, never helps it)
      end = c.op[0] == '<' ? std::max(*x, i["high"].get<double>()) : std::min(*x, i["low"].get<double>());
    }
    if (!x || !c.met_by(end ? *end : *x)) {
      if (why) {
        std::ostringstream out;
        out << c.text() << " not met (" << c.figure << " = " << (x ? std::to_string(*x) : "none");
        if (end) out << ", " << std::to_string(*end) << " at the unfavourable end of its 95% interval";
        out << ")";
        *why = out.str();
      }
      return false;
    }
  }
  return true;
}

}  // namespace archsim
