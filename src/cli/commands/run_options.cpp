#include "cli/commands/run_options.hpp"

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "scenario/diagnostics.hpp"
#include "kinds/catalog.hpp"
#include "scenario/builder.hpp"

namespace archsim::cli {

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
  app->add_option("--seed", seed, "Seed of every run (default: each scenario's own)");
  app->add_option("--duration-s", duration_s, "Duration of every run (seconds)");
  app->add_option("--set", sets, "Override a value in every run: PATH=VALUE");
  jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  app->add_option("--jobs,-j", jobs, "Runs at once (default: the number of cores)")->check(CLI::PositiveNumber);
}

std::vector<std::string> RunOptions::run_arguments(const std::string& scenario, const std::string& out,
                                                   const std::vector<std::string>& extra_sets) const {
  std::vector<std::string> args{"run", scenario, "--quiet", "--out", out};
  if (seed) args.insert(args.end(), {"--seed", std::to_string(*seed)});
  if (duration_s) args.insert(args.end(), {"--duration-s", nlohmann::json(*duration_s).dump()});
  for (const auto& s : sets) args.insert(args.end(), {"--set", s});
  for (const auto& s : extra_sets) args.insert(args.end(), {"--set", s});
  return args;
}

void RunOptions::validate(const std::string& scenario, const std::vector<std::string>& extra_sets) const {
  LoadOptions options;
  options.overrides = parse_sets(sets);
  const auto extra = parse_sets(extra_sets);
  options.overrides.insert(options.overrides.end(), extra.begin(), extra.end());
  options.seed = seed;
  options.duration_s = duration_s;
  load_scenario(scenario, options, kinds::catalog());
}

}  // namespace archsim::cli
