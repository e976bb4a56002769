#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands/commands.hpp"
#include "cli/commands/replicated.hpp"
#include "cli/commands/run_options.hpp"
#include "core/interrupt.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "kinds/catalog.hpp"
#include "kinds/runtime_catalog.hpp"
#include "recording/report.hpp"
#include "results/result_files.hpp"
#include "simulation/simulation.hpp"
#include "results/invariants.hpp"
#include "scenario/diagnostics.hpp"
#include "scenario/builder.hpp"

namespace archsim::cli {

namespace fs = std::filesystem;

namespace {
struct RunArgs {
  std::string scenario;
  std::optional<std::string> out;
  std::optional<std::uint64_t> seed;
  std::optional<double> duration_s;
  std::vector<std::string> sets;
  bool quiet = false;
  std::uint64_t trace_sample = 0;
  int replications = 1;
  int jobs = 1;
  std::string break_invariant;  // test-only
};

// --replications N: N runs in child processes, combined into OUT/summary.json.
int run_replications(const RunArgs& args, const Scenario& scenario) {
  std::string scratch;
  if (!args.out) {
    scratch = (fs::temp_directory_path() / ("archsim-run-" + std::to_string(getpid()))).string();
    fs::create_directories(scratch);
  }
  Replicated replicated;
  replicated.folder = args.out ? *args.out : scratch;
  replicated.args = {"run", args.scenario, "--quiet"};
  if (args.duration_s) replicated.args.insert(replicated.args.end(), {"--duration-s", nlohmann::json(*args.duration_s).dump()});
  for (const auto& s : args.sets) replicated.args.insert(replicated.args.end(), {"--set", s});
  if (args.trace_sample) replicated.args.insert(replicated.args.end(), {"--trace-sample", std::to_string(args.trace_sample)});
  replicated.base_seed = scenario.seed;
  replicated.count = args.replications;
  replicated.label = args.scenario;
  std::vector<ChildRun> runs;
  replicated.add_runs(runs);
  if (!args.quiet)
    std::cerr << "running " << args.replications << " replications of " << scenario.name << " (seed " << scenario.seed
              << " and derived ones, " << args.jobs << " at once)...\n";
  const auto status = run_children(runs, args.jobs);
  for (std::size_t k = 0; k < status.size(); ++k)
    if (status[k] != 0) throw std::runtime_error("the run of " + runs[k].label + " failed");
  const auto combined = replicated.combine();
  if (!scratch.empty()) fs::remove_all(scratch);
  if (!args.quiet) {
    std::cout << summary_table(combined);
    if (args.out) std::cout << "\nresults in " << *args.out << "/ (replications in rep-NNN/)\n";
  }
  return kExitOk;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* sub = app.add_subcommand("run", "Run a scenario and report latency, throughput and downtime");
  sub->add_option("scenario", args->scenario, "Scenario file")->required();
  sub->add_option("--out,-o", args->out, "Write summary.json, timeseries.csv and latency_histogram.csv here");
  sub->add_option("--seed", args->seed, "Override the scenario's seed")->check(whole_number(0, kMaxSeed));
  sub->add_option("--duration-s", args->duration_s, "Override the scenario's duration (seconds)")
      ->check(real_number(0, 31536000, false));
  sub->add_option("--set", args->sets, "Override a value: PATH=VALUE (dotted path or JSON pointer; VALUE is JSON)");
  sub->add_flag("--quiet,-q", args->quiet, "Print nothing but errors");
  sub->add_option("--replications", args->replications,
                  "Run N independent replications (seeds derived from the scenario's) and report means with 95% "
                  "confidence intervals; OUT/rep-NNN/ keeps each one")
      ->check(whole_number(1, 10000));
  args->jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  sub->add_option("--jobs,-j", args->jobs, "Replications at once (default: the number of cores)")
      ->check(whole_number(1, 1024));
  sub->add_option("--trace-sample", args->trace_sample,
                  "Trace every N-th request into OUT/trace.json (Chrome trace format, for Perfetto)")
      ->check(whole_number(1, 1000000000000ULL));
  // Test-only: corrupts the summary so that one invariant check must fail.
  sub->add_option("--test-break-invariant", args->break_invariant)->group("");
  return [args]() {
    LoadOptions options;
    options.overrides = parse_sets(args->sets);
    options.seed = args->seed;
    options.duration_s = args->duration_s;
    const Scenario scenario = load_scenario(args->scenario, options, kinds::catalog());

    if (args->trace_sample && !args->out)
      throw InputError("--trace-sample", "", "needs --out DIR, where trace.json is written");
    // A bad folder is found now, not after the run.
    if (args->out) prepare_output_folder(*args->out, "--out");
    if (args->replications > 1) {
      if (!args->break_invariant.empty())
        throw InputError("--test-break-invariant", "", "applies to a single run, not to --replications");
      return run_replications(*args, scenario);
    }
    spdlog::info("running {} for {} s (seed {})", scenario.name, scenario.duration_s, scenario.seed);
    SimulationOptions sim_options;
    sim_options.trace_sample = args->trace_sample;
    const double duration = scenario.duration_s;
    sim_options.on_interrupt = [duration](double t) {
      std::fprintf(stderr, "archsim: interrupted at t=%g s of %g s: the run stopped and wrote no results\n", t, duration);
      std::fflush(stderr);
      std::_Exit(kExitInterrupted);
    };
    Simulation sim(scenario, kinds::runtime_catalog(), sim_options);
    sim.run(!args->quiet && isatty(fileno(stderr)));
    if (sim.interrupted()) {
      std::cerr << "archsim: interrupted at t=" << sim.interrupted_at() << " s of " << scenario.duration_s
                << " s: the run stopped and wrote no results\n";
      return kExitInterrupted;
    }
    RunFacts facts{scenario, sim.recorder(), sim.utilization(), sim.in_flight_by_operation()};
    facts.end_time_s = sim.end_time();
    facts.drain_s = sim.drain_s();
    facts.peak_threads = sim.peak_threads();
    facts.service_extras = sim.service_reports();
    facts.client_extras = sim.client_reports();
    auto summary = make_summary(facts);
    if (!args->break_invariant.empty() && !break_invariant_for_test(summary, args->break_invariant))
      throw InputError("--test-break-invariant", "", "unknown invariant", args->break_invariant);
    const auto broken = check_invariants(summary);
    if (!broken.empty()) {
      std::string message = "run invariants broken:";
      for (const auto& b : broken) message += "\n  " + b;
      throw std::logic_error(message);
    }
    if (args->out) write_results(facts, summary, *args->out);
    if (args->trace_sample) {
      write_result_file(*args->out + "/trace.json",
                        [&](std::ostream& out) { sim.tracer().write(out, scenario.name); });
      if (sim.tracer().truncated())
        spdlog::warn("the trace reached {} events and was cut: sample fewer requests", Tracer::kMaxEvents);
    }
    if (!args->quiet) {
      std::cout << summary_table(summary);
      if (args->out) std::cout << "\nresults in " << *args->out << "/\n";
      std::cerr << "simulated " << sim.requests_simulated() << " calls in " << sim.wall_seconds() << " s of wall time\n";
    }
    return kExitOk;
  };
}

}  // namespace archsim::cli
