#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <utility>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands/commands.hpp"
#include "core/text.hpp"
#include "cli/commands/run_options.hpp"
#include "study/capacity_search.hpp"
#include "study/runner.hpp"
#include "results/result_files.hpp"
#include "analysis/utilization_law.hpp"
#include "scenario/diagnostics.hpp"
#include "scenario/document.hpp"
#include "kinds/catalog.hpp"
#include "scenario/builder.hpp"

namespace archsim::cli {

namespace fs = std::filesystem;

namespace {

// Without --upper (maximising) or --lower (minimising), how far the search may go: 16
// times the start (a search that never fails would otherwise double into runs of minutes).
constexpr double kDefaultReach = 16;

// The value between `valid` (accepted) and `limit` (refused) nearest `limit` that
// `accepted` takes: bisection, to whole numbers or to 6 significant digits (as values are
// written).
double furthest_accepted(double valid, double limit, bool integer, const std::function<bool(double)>& accepted) {
  for (int i = 0; i < 200; ++i) {
    const double gap = std::fabs(limit - valid);
    if ((integer && gap <= 1) || (!integer && gap <= 1e-6 * std::fabs(valid))) break;
    double middle = valid + (limit - valid) / 2;
    if (integer) middle = std::round(middle);
    (accepted(middle) ? valid : limit) = middle;
  }
  return valid;
}

struct CapacityArgs {
  std::string scenario;
  std::string slo;
  std::string find_max;
  std::string find_min;
  double precision = 0.01;
  std::optional<double> lower;
  std::optional<double> upper;
  std::optional<std::string> out;
  RunOptions run;
};

struct Evaluation {
  double value = 0;
  bool meets = false;
  std::string why;
  nlohmann::ordered_json summary;
};

std::string value_text(double v, bool integer) {
  char text[64];
  if (integer)
    std::snprintf(text, sizeof text, "%.0f", v);
  else
    std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

class Search {
 public:
  Search(const CapacityArgs& args, std::string option, std::string path, bool integer, fs::path folder,
         std::uint64_t base_seed)
      : args_(args),
        option_(std::move(option)),
        path_(std::move(path)),
        integer_(integer),
        folder_(std::move(folder)),
        base_seed_(base_seed) {}

  // Evaluates the values (in parallel), returns them in order.
  std::vector<Evaluation> evaluate(const std::vector<double>& values) {
    std::vector<ChildRun> runs;
    std::vector<std::string> dirs;
    std::vector<Replicated> replicated;
    for (double v : values) {
      const std::string dir = (folder_ / ("at-" + value_text(v, integer_))).string();
      const std::string set = path_ + "=" + value_text(v, integer_);
      dirs.push_back(dir);
      args_.run.validate(args_.scenario, {set}, option_, true);  // its warnings, before it runs
      // Replicated, every value with the same seeds: differences come from the value, not the noise.
      args_.run.add_run(args_.scenario, dir, {set}, base_seed_, set, runs, replicated);
    }
    const auto status = run_children(runs, args_.run.jobs);
    check_children(status, runs);
    for (const auto& r : replicated) r.combine();
    std::vector<Evaluation> out;
    for (std::size_t i = 0; i < values.size(); ++i) {
      Evaluation e;
      e.value = values[i];
      e.summary = read_summary(dirs[i]);
      e.meets = meets_slo(e.summary, slo_, &e.why);
      out.push_back(std::move(e));
    }
    return out;
  }

  // One line for an evaluation the search used.
  void print(const Evaluation& e) const {
    std::cout << "  " << std::setw(12) << value_text(e.value, integer_) << "  p99 " << std::setw(9)
              << figure_text(e.summary, "/latency_ms/p99", 2) << " ms  errors " << std::setw(7)
              << figure_text(e.summary, "/error_rate", 4, 100.0) << " %  throughput " << std::setw(9)
              << figure_text(e.summary, "/throughput_rps", 1) << "  " << (e.meets ? "meets the SLO" : e.why) << "\n";
  }

  void set_slo(std::vector<SloCondition> slo) { slo_ = std::move(slo); }

 private:
  const CapacityArgs& args_;
  std::string option_;  // --find-max or --find-min
  std::string path_;
  bool integer_;
  fs::path folder_;
  std::uint64_t base_seed_;
  std::vector<SloCondition> slo_;
};

// The value at `path` in the scenario as a run would see it.
nlohmann::json current_value(const CapacityArgs& args, const std::string& path, const std::string& option) {
  Document doc = Document::load(args.scenario);
  for (const auto& [k, v] : parse_sets(args.run.sets)) doc.set(k, v);
  const nlohmann::json* value = doc.find(path, option + " " + path);
  return value ? *value : nlohmann::json();
}

// The utilisation law applied to the scenario with `path` set to `value`: the open-loop
// load and every resource's demand, busiest first.
struct LawInputs {
  double rate = 0;
  std::vector<ResourceDemand> demands;
};

LawInputs law_inputs(const CapacityArgs& args, const std::string& path, double value, bool integer) {
  LoadOptions options;
  options.overrides = parse_sets(args.run.sets);
  options.overrides.emplace_back(path, value_text(value, integer));
  const Scenario s = load_scenario(args.scenario, options, kinds::catalog());
  LawInputs in;
  for (const auto& c : s.clients) in.rate += c.model == ClientModel::Closed ? 0.0 : c.rate_rps;
  in.demands = estimate_demands(s);
  return in;
}

// The utilisation law's answer for the same question: the extreme value of `path` at which
// no resource is predicted above 100%.
std::optional<double> law_estimate(const CapacityArgs& args, const std::string& path, bool maximize, bool integer,
                                   double near) {
  auto saturated = [&](double v) {
    const LawInputs in = law_inputs(args, path, v, integer);
    return !in.demands.empty() && in.rate * in.demands.front().seconds_per_request / in.demands.front().capacity >= 1.0;
  };
  try {
    double lo = std::max(integer ? 1.0 : near / 1024.0, 1e-9), hi = std::max(near, lo) * 2;
    // lo must be unsaturated when maximising (saturated when minimising), hi the opposite.
    for (int i = 0; i < 40 && saturated(lo) == maximize; ++i) lo /= 2;
    for (int i = 0; i < 40 && saturated(hi) != maximize; ++i) hi *= 2;
    if (saturated(lo) == maximize || saturated(hi) != maximize) return std::nullopt;
    for (int i = 0; i < 100 && (integer ? hi - lo > 1 : hi - lo > 1e-4 * lo); ++i) {
      const double mid = integer ? std::floor((lo + hi) / 2) : (lo + hi) / 2;
      (saturated(mid) == maximize ? hi : lo) = mid;
    }
    return maximize ? lo : hi;
  } catch (const InputError&) {
    return std::nullopt;
  }
}

void print_law(const CapacityArgs& args, const std::string& path, double value, bool integer) {
  const LawInputs in = law_inputs(args, path, value, integer);
  const double rate = in.rate;
  const auto& demands = in.demands;
  std::cout << "\nutilisation law (U = X * D / C, demands from the scenario at " << path << " = "
            << value_text(value, integer) << ", " << std::fixed << std::setprecision(1) << rate << " req/s):\n";
  for (std::size_t i = 0; i < demands.size() && i < 4; ++i) {
    const auto& d = demands[i];
    std::cout << "  " << std::left << std::setw(22) << d.resource << std::right << " D = " << std::setw(8)
              << std::setprecision(3) << d.seconds_per_request * 1000.0 << " ms/request  C = " << std::setprecision(0)
              << d.capacity << "  U = " << std::setw(6) << std::setprecision(1)
              << 100.0 * rate * d.seconds_per_request / d.capacity << " %  saturates at " << std::setprecision(1)
              << d.saturation_rps() << " req/s\n";
  }
}

}  // namespace

Command add_capacity_command(CLI::App& app) {
  auto args = std::make_shared<CapacityArgs>();
  CLI::App* sub = app.add_subcommand(
      "capacity", "Find the largest (or smallest) value of a scenario parameter that meets a service-level objective");
  sub->add_option("scenario", args->scenario, "Scenario file")->required();
  sub->add_option("--slo", args->slo, "Conditions on summary figures, e.g. 'p99_ms<=200,error_rate<=0.001'")->required();
  auto* max = sub->add_option("--find-max", args->find_max, "The parameter to maximise, e.g. clients.shoppers.rate_rps");
  auto* min = sub->add_option("--find-min", args->find_min, "The parameter to minimise, e.g. services.web.replicas");
  max->excludes(min);
  sub->add_option("--precision", args->precision, "Relative width of the final bracket (default 0.01)")
      ->check(real_number(1e-6, 1.0, true));
  sub->add_option("--lower", args->lower,
                  "The smallest value to try (maximising: where the search starts; default 1 for whole numbers, "
                  "else 1/1024 of the start)")
      ->check(real_number(0, 1e15, false));
  sub->add_option("--upper", args->upper,
                  "The largest value to try (minimising: where the search starts; default 16 times the start)")
      ->check(real_number(0, 1e15, false));
  sub->add_option("--out,-o", args->out, "Keep every evaluated run here (at-VALUE folders)");
  args->run.add_to(sub);
  return [args]() {
    if (args->find_max.empty() == args->find_min.empty())
      throw InputError("archsim capacity", "", "give exactly one of --find-max PATH or --find-min PATH");
    const bool maximize = !args->find_max.empty();
    const std::string path = maximize ? args->find_max : args->find_min;
    const std::vector<SloCondition> slo = parse_slo(args->slo);
    const std::uint64_t base_seed = args->run.validate(args->scenario, {});

    const std::string option = maximize ? "--find-max" : "--find-min";
    args->run.check_path(args->scenario, path, option + " " + path);
    if (const auto tokens = Document::tokens(path, option + " " + path); tokens == std::vector<std::string>{"seed"})
      throw InputError(option + " " + path, "/seed",
                       "the seed is not a quantity to search: it picks the random streams; search a size or a rate");
    const nlohmann::json current = current_value(*args, path, option);
    if (!current.is_null() && !current.is_number()) {
      nlohmann::json::json_pointer pointer;
      for (const std::string& token : Document::tokens(path, option + " " + path)) pointer /= token;
      throw InputError(option + " " + path, pointer.to_string(), "is not a number: capacity searches numbers",
                       describe_value(current));
    }
    const bool integer = current.is_number_integer();
    // The bounds: the search starts at the scenario's value (or at the bound on its side of
    // the search) and stays within [lower, upper]; without one, 16 times the start above
    // it, and 1 (integers) or 1/1024 of it below.
    if (args->lower && args->upper && *args->lower > *args->upper)
      throw InputError("--lower", "", "must not exceed --upper (" + value_text(*args->upper, integer) + ")",
                       value_text(*args->lower, integer));
    for (const auto& [name, bound] : {std::pair{"--lower", args->lower}, std::pair{"--upper", args->upper}})
      if (bound && integer && std::floor(*bound) != *bound)
        throw InputError(name, "", "must be a whole number: " + path + " is one", value_text(*bound, false));
    for (const auto& [name, bound] : {std::pair{"--lower", args->lower}, std::pair{"--upper", args->upper}})
      if (bound && !(*bound > 0)) throw InputError(name, "", "must be > 0", value_text(*bound, integer));
    const auto from_bound = maximize ? args->lower : args->upper;
    if (!from_bound && !current.is_number())
      throw InputError(args->scenario, path,
                       std::string("has no value to start the search from: give ") + (maximize ? "--lower" : "--upper") +
                           ", a value above 0 (the search doubles and halves it)");
    double start = from_bound ? *from_bound : current.get<double>();
    if (start <= 0) start = integer ? 1 : 1e-3;
    CapacitySearch::Settings settings;
    settings.maximize = maximize;
    settings.integer = integer;
    settings.precision = args->precision;
    settings.ceiling = args->upper ? *args->upper : start * kDefaultReach;
    settings.floor = args->lower ? *args->lower : (integer ? 1.0 : start / 1024.0);
    settings.start = std::clamp(start, settings.floor, settings.ceiling);
    args->run.validate(args->scenario, {path + "=" + value_text(settings.start, integer)}, option);
    // A default bound stops where the scenario does: the schema's limits and the rules that
    // tie the value to others (a warm-up below the duration). A given one is checked as is.
    const auto accepted = [&](double v) {
      try {
        args->run.validate(args->scenario, {path + "=" + value_text(v, integer)}, option);
        return true;
      } catch (const InputError&) {
        return false;
      }
    };
    std::string ceiling_note = args->upper ? " (--upper)" : " (the default upper bound, 16 times the start)";
    std::string floor_note = args->lower ? " (--lower)" : " (the default lower bound)";
    if (!args->upper && !accepted(settings.ceiling)) {
      settings.ceiling = furthest_accepted(settings.start, settings.ceiling, integer, accepted);
      ceiling_note = " (the largest value the scenario accepts)";
    }
    if (!args->lower && !accepted(settings.floor)) {
      settings.floor = furthest_accepted(settings.start, settings.floor, integer, accepted);
      floor_note = " (the smallest value the scenario accepts)";
    }
    for (const auto& [name, bound] : {std::pair{"--lower", args->lower}, std::pair{"--upper", args->upper}})
      if (bound) args->run.validate(args->scenario, {path + "=" + value_text(*bound, integer)}, name);

    std::optional<ScratchFolder> scratch;
    if (!args->out) scratch.emplace("archsim-capacity");
    const fs::path folder = args->out ? fs::path(*args->out) : fs::path(scratch->path());
    prepare_output_folder(folder.string(), "--out", {args->scenario});
    // An earlier search's values would read as this one's.
    for (const auto& entry : fs::directory_iterator(folder))
      if (entry.is_directory() && entry.path().filename().string().rfind("at-", 0) == 0)
        throw InputError("--out", "",
                         "holds the at-* folders of an earlier search (" + entry.path().filename().string() +
                             "), which would mix with this one's: choose another folder, or remove them",
                         folder.string());
    Search search(*args, option, path, integer, folder, base_seed);
    search.set_slo(slo);
    std::string slo_text;
    for (const auto& c : slo) slo_text += (slo_text.empty() ? "" : ", ") + c.text();
    std::cout << (maximize ? "largest " : "smallest ") << path << " meeting " << slo_text << " in ["
              << value_text(settings.floor, integer) << ", " << value_text(settings.ceiling, integer) << "]\n";
    if (args->run.replications > 1)
      std::cout << "each value: " << args->run.replications
                << " replications (the same seeds for every value); the objective must hold at the unfavourable end "
                   "of each figure's 95% interval\n";

    // The sequential search decides; with several jobs, values it may need next run ahead.
    // The values it uses, and so the answer, do not depend on --jobs.
    CapacitySearch capacity(settings);
    std::map<double, Evaluation> evaluated;
    while (capacity.next()) {
      std::vector<double> wanted;
      for (double v : capacity.lookahead(args->run.jobs))
        if (!evaluated.count(v)) wanted.push_back(v);
      for (auto& e : search.evaluate(wanted)) {
        capacity.record(e.value, e.meets);
        evaluated.emplace(e.value, std::move(e));
      }
      for (double v : capacity.advance()) search.print(evaluated.at(v));
    }
    const auto at_limit = [&](double v) { return value_text(v, integer); };
    // Maximising, the search goes up while the objective holds and down while it fails;
    // minimising, the other way round.
    if (capacity.result() == CapacitySearch::Result::NeverMet) {
      std::cout << "\nno value meets the SLO, " << (maximize ? "down to " : "up to ") << at_limit(*capacity.bad())
                << (maximize ? floor_note : ceiling_note) << "\n";
      return kExitOk;
    }
    if (capacity.result() == CapacitySearch::Result::HeldThroughout) {
      std::cout << "\nthe SLO holds at every value tried, " << (maximize ? "up to " : "down to ")
                << at_limit(*capacity.good()) << (maximize ? ceiling_note : floor_note)
                << ": the objective held throughout\n";
      return kExitOk;
    }
    const Evaluation* good = &evaluated.at(*capacity.good());
    const Evaluation* bad = &evaluated.at(*capacity.bad());
    const auto& s = good->summary;
    std::cout << "\n" << (maximize ? "maximum " : "minimum ") << path << " meeting the SLO: " << value_text(good->value, integer)
              << "   (it fails at " << value_text(bad->value, integer);
    if (!integer)
      std::cout << ", " << std::fixed << std::setprecision(2)
                << 100.0 * std::fabs(bad->value - good->value) / good->value << " % away";
    std::cout << ")\n";
    std::cout << "  there: throughput " << figure_text(s, "/throughput_rps", 1) << " req/s, p99 "
              << figure_text(s, "/latency_ms/p99", 2) << " ms, errors " << figure_text(s, "/error_rate", 4, 100.0)
              << " %, bottleneck " << s["bottleneck"].value("resource", "?") << " at "
              << figure_text(s, "/bottleneck/utilization", 1, 100.0) << " %\n";
    print_law(*args, path, good->value, integer);
    if (const auto law = law_estimate(*args, path, maximize, integer, good->value))
      std::cout << "  the law alone puts saturation at " << path << " = " << value_text(*law, integer)
                << " (it knows no queueing, no failures: with a latency objective the simulated answer is "
                << (maximize ? "lower" : "higher") << ")\n";
    return kExitOk;
  };
}

}  // namespace archsim::cli
