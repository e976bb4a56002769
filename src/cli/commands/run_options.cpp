#include "cli/commands/run_options.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "core/text.hpp"
#include "scenario/diagnostics.hpp"
#include "kinds/catalog.hpp"
#include "scenario/builder.hpp"
#include "scenario/document.hpp"

namespace archsim::cli {

namespace {
std::string number_text(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.15g", v);
  return text;
}
}  // namespace

CLI::Validator whole_number(std::uint64_t min, std::uint64_t max) {
  const std::string range = "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        const bool digits = !text.empty() && text.size() <= 19 && text.find_first_not_of("0123456789") == std::string::npos;
        const std::uint64_t value = digits ? std::stoull(text) : 0;
        if (!digits || value < min || value > max) return "must be " + range + " (got " + text + ")";
        text = std::to_string(value);  // decimal: a leading 0 must not make it octal
        return "";
      },
      range);
}

CLI::Validator real_number(double min, double max, bool min_included) {
  const std::string range = std::string("a number ") + (min_included ? ">= " : "> ") + number_text(min) +
                            " and <= " + number_text(max);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        const auto number = decimal_number(text);
        const double value = number.value_or(0);
        const bool ok = number && (min_included ? value >= min : value > min) && value <= max;
        return ok ? "" : "must be " + range + " (got " + text + ")";
      },
      range);
}

std::vector<std::pair<std::string, std::string>> parse_sets(const std::vector<std::string>& sets) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError("--set " + s, "", "expected PATH=VALUE, e.g. services.web.workers=32");
    out.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  return out;
}

void RunOptions::add_to(CLI::App* app) {
  app->add_option("--seed", seed, "Seed of every run (default: each scenario's own)")->transform(whole_number(0, kMaxSeed));
  app->add_option("--duration-s", duration_s, "Duration of every run (seconds)")
      ->check(real_number(0, 31536000, false));
  app->add_option("--set", sets, "Override a value in every run: PATH=VALUE");
  app->add_flag("--quiet,-q", quiet, "No progress lines on stderr (errors, warnings and the results still show)");
  jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  app->add_option("--jobs,-j", jobs, "Runs at once (default: the number of cores)")->transform(whole_number(1, 1024));
  app->add_option("--replications", replications,
                  "Independent replications of every run (seeds derived from --seed or the first scenario's): "
                  "figures with 95% confidence intervals")
      ->transform(whole_number(1, 10000));
}

std::vector<std::string> without_setting(const std::vector<std::string>& sets, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    const bool match = eq != std::string::npos && eq > 0 &&
                       Document::tokens(s.substr(0, eq), "--set " + s) == std::vector<std::string>{name};
    if (!match) out.push_back(s);
  }
  return out;
}

std::vector<std::string> child_run_arguments(const std::string& scenario, const std::optional<double>& duration_s,
                                             const std::vector<std::string>& sets) {
  std::vector<std::string> args{"run", scenario, "--quiet"};
  if (duration_s) args.insert(args.end(), {"--duration-s", nlohmann::json(*duration_s).dump()});
  for (const auto& s : sets) args.insert(args.end(), {"--set", s});
  return args;
}

Replicated RunOptions::replicated(const std::string& scenario, const std::string& folder,
                                  const std::vector<std::string>& extra_sets, std::uint64_t base_seed) const {
  std::vector<std::string> all = sets;
  all.insert(all.end(), extra_sets.begin(), extra_sets.end());
  Replicated r;
  r.folder = folder;
  r.args = child_run_arguments(scenario, duration_s, without_setting(all, "seed"));  // each replication gets its own
  r.base_seed = base_seed;
  r.count = replications;
  r.label = scenario;
  return r;
}

void RunOptions::add_run(const std::string& scenario, const std::string& folder,
                         const std::vector<std::string>& extra_sets, std::uint64_t base_seed, const std::string& label,
                         std::vector<ChildRun>& runs, std::vector<Replicated>& replicated_runs) const {
  if (replications > 1) {
    replicated_runs.push_back(replicated(scenario, folder, extra_sets, base_seed));
    replicated_runs.back().label = label;
    replicated_runs.back().add_runs(runs);
  } else {
    runs.push_back({run_arguments(scenario, folder, extra_sets), label});
  }
}

std::vector<std::string> RunOptions::run_arguments(const std::string& scenario, const std::string& out,
                                                   const std::vector<std::string>& extra_sets) const {
  std::vector<std::string> all = sets;
  all.insert(all.end(), extra_sets.begin(), extra_sets.end());
  std::vector<std::string> args = child_run_arguments(scenario, duration_s, all);
  args.insert(args.end(), {"--out", out});
  if (seed) args.insert(args.end(), {"--seed", std::to_string(*seed)});
  return args;
}

void RunOptions::check_path(const std::string& scenario, const std::string& path, const std::string& option) const {
  Document doc = Document::load(scenario);
  for (const auto& [key, value] : parse_sets(sets)) doc.set(key, value);
  check_setting_path(doc, path, option);
}

std::set<std::string> RunOptions::own_warnings(const std::string& scenario) const {
  auto it = own_warnings_.find(scenario);
  if (it != own_warnings_.end()) return it->second;
  std::set<std::string> warnings;
  try {
    LoadOptions options;
    options.overrides = parse_sets(sets);
    options.seed = seed;
    options.duration_s = duration_s;
    for (const auto& w : load_scenario(scenario, options, kinds::catalog()).warnings) warnings.insert(w);
  } catch (const InputError&) {
    // Not valid without the extra values: its warnings are all theirs.
  }
  return own_warnings_[scenario] = warnings;
}

std::uint64_t RunOptions::validate(const std::string& scenario, const std::vector<std::string>& extra_sets,
                                   const std::string& extra_option, bool give_warnings) const {
  LoadOptions options;
  options.overrides = parse_sets(sets);
  const auto extra = parse_sets(extra_sets);
  options.overrides.insert(options.overrides.end(), extra.begin(), extra.end());
  options.seed = seed;
  options.duration_s = duration_s;
  try {
    const Scenario s = load_scenario(scenario, options, kinds::catalog());
    if (give_warnings) {
      // A warning the scenario has without the extra values too is given as is, once.
      std::string point;
      for (const auto& set : extra_sets) point += (point.empty() ? " (with " : ", ") + set;
      const std::set<std::string> own = extra_sets.empty() ? std::set<std::string>{} : own_warnings(scenario);
      for (const auto& warning : s.warnings) warn_once(point.empty() || own.count(warning) ? warning : warning + point + ")");
    }
    return s.seed;
  } catch (const InputError& e) {
    if (extra_sets.empty()) throw;
    // A point of a sweep or a capacity search: a problem the file has only with the
    // point's values (a fault naming a replica the point does not have) says which.
    std::string point;
    for (const auto& set : extra_sets) point += (point.empty() ? "" : ", ") + set;
    std::vector<Diagnostic> diagnostics = e.diagnostics();
    for (Diagnostic& d : diagnostics) {
      if (d.file.rfind("--", 0) != 0) d.rule += " (with " + point + ")";
      for (const auto& [key, value] : extra)
        if (d.file == "--set " + key && !extra_option.empty()) d.file = extra_option + " " + key;
    }
    throw InputError(std::move(diagnostics));
  }
}

}  // namespace archsim::cli
