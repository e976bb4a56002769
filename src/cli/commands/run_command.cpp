#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands/commands.hpp"
#include "core/log.hpp"
#include "engine/simulation.hpp"
#include "metrics/invariants.hpp"
#include "metrics/report.hpp"
#include "scenario/diagnostics.hpp"
#include "scenario/scenario.hpp"

namespace archsim::cli {

namespace {
struct RunArgs {
  std::string scenario;
  std::string out;
  std::optional<std::uint64_t> seed;
  std::optional<double> duration_s;
  std::vector<std::string> sets;
  bool quiet = false;
};

// Splits "path=value" overrides.
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
}  // namespace

Command add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("run", "Run a scenario and report latency, throughput and downtime");
  sub->add_option("scenario", args->scenario, "Scenario file")->required();
  sub->add_option("--out,-o", args->out, "Write summary.json, timeseries.csv and latency_histogram.csv here");
  sub->add_option("--seed", args->seed, "Override the scenario's seed");
  sub->add_option("--duration-s", args->duration_s, "Override the scenario's duration (seconds)");
  sub->add_option("--set", args->sets, "Override a value: PATH=VALUE (dotted path or JSON pointer; VALUE is JSON)");
  sub->add_flag("--quiet,-q", args->quiet, "Print nothing but errors");
  return [args]() {
    LoadOptions options;
    options.overrides = parse_sets(args->sets);
    options.seed = args->seed;
    options.duration_s = args->duration_s;
    const Scenario scenario = load_scenario(args->scenario, options);

    spdlog::info("running {} for {} s (seed {})", scenario.name, scenario.duration_s, scenario.seed);
    Simulation sim(scenario);
    sim.run();
    const RunFacts facts{scenario,          sim.recorder(),          sim.utilization(), sim.in_flight_by_operation(),
                         sim.end_time(),    sim.service_reports(),   sim.client_reports()};
    const auto summary = make_summary(facts);
    const auto broken = check_invariants(summary);
    if (!broken.empty()) {
      std::string message = "run invariants broken:";
      for (const auto& b : broken) message += "\n  " + b;
      throw std::logic_error(message);
    }
    if (!args->out.empty()) write_results(facts, summary, args->out);
    if (!args->quiet) {
      std::cout << summary_table(summary);
      if (!args->out.empty()) std::cout << "\nresults in " << args->out << "/\n";
      std::cerr << "simulated " << sim.requests_simulated() << " calls in " << sim.wall_seconds() << " s of wall time\n";
    }
    return kExitOk;
  };
}

}  // namespace archsim::cli
