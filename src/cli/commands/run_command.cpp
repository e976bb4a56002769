#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
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
#include "results/replications.hpp"
#include "results/statistics.hpp"
#include "core/text.hpp"
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
  bool batch_means = false;
  std::optional<double> ci_width;  // relative half-width wanted of the headline figures
  int max_replications = 100;
  CLI::Option* max_replications_option = nullptr;  // whether it was given
  CLI::Option* replications_option = nullptr;
  std::string break_invariant;  // test-only
  bool threaded_steps = false;   // test-only
  bool no_scenario_warnings = false;  // a child run: its parent gave them
};

// "warmup_s": "auto": a pilot run of the same scenario without warm-up (a child process: one
// simulation per process) gives the mean latency of every metrics window; MSER-5 picks the
// truncation point, never past the first scheduled action. The run itself then uses it: it
// follows the same sample path (the warm-up only decides what is counted), so its results
// are the pilot's, truncated.
nlohmann::ordered_json choose_warmup(const RunArgs& args, const Scenario& scenario, double& warmup_s) {
  const ScratchFolder pilot_folder("archsim-pilot");  // removed however this ends
  const fs::path pilot = pilot_folder.path();
  // The scenario's seed, whichever way it was given (--set seed too), and no warm-up: each given once.
  std::vector<std::string> a =
      child_run_arguments(args.scenario, args.duration_s, without_setting(without_setting(args.sets, "seed"), "warmup_s"));
  a.insert(a.end(), {"--set", "warmup_s=0", "--out", pilot.string(), "--seed", std::to_string(scenario.seed)});
  if (!args.quiet) std::cerr << "warmup_s auto: a pilot run without warm-up...\n";
  const std::vector<ChildRun> runs = {{a, "the pilot run for warmup_s auto"}};
  const auto status = run_children(runs, 1);
  if (status[0] != 0) check_children(status, runs);
  std::vector<double> series, starts;
  {
    std::ifstream in(pilot / "timeseries.csv");
    std::string line;
    std::getline(in, line);
    std::vector<std::string> header = split_csv_line(line);
    const auto column = [&header](const std::string& name) {
      return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
    };
    const std::size_t t = column("t_s"), mean = column("mean_ms");
    while (std::getline(in, line)) {
      const auto cells = split_csv_line(line);
      if (mean >= cells.size() || t >= cells.size() || cells[mean].empty()) continue;  // no request finished
      starts.push_back(std::stod(cells[t]));
      series.push_back(std::stod(cells[mean]));
    }
  }
  // The first scheduled action (a fault, a scale step) bounds the cut.
  std::optional<double> limit_s;
  for (const auto& action : scenario.actions) limit_s = limit_s ? std::min(*limit_s, action.at_s) : action.at_s;
  std::size_t limit = series.size();
  if (limit_s) limit = static_cast<std::size_t>(std::lower_bound(starts.begin(), starts.end(), *limit_s) - starts.begin());
  const auto cut = mser5_truncation(series, limit);
  if (!cut)
    throw InputError(scenario.file, "/warmup_s",
                     "auto: MSER-5 finds no steady state in the run (the mean latency per window still drifts "
                     "in its second half, or there are fewer than 20 windows): lengthen duration_s, shorten "
                     "metrics.window_s, or give warmup_s in seconds");
  warmup_s = *cut < starts.size() ? starts[*cut] : 0.0;
  nlohmann::ordered_json note = {{"method", "MSER-5"},
                                 {"series", "mean_ms per metrics window of a pilot run without warm-up"},
                                 {"windows", series.size()},
                                 {"windows_cut", *cut},
                                 {"warmup_s", warmup_s},
                                 {"limit_s", limit_s ? nlohmann::ordered_json(*limit_s) : nlohmann::ordered_json(nullptr)}};
  if (!args.quiet)
    std::cerr << "warmup_s auto: MSER-5 cuts " << *cut << " of " << series.size() << " windows: warm-up " << warmup_s
              << " s\n";
  return note;
}

// The figures --ci-width makes precise: those with a relative precision (an error rate near 0
// has none).
const std::vector<std::string>& headline_figures() {
  static const std::vector<std::string> figures = {"/throughput_rps", "/latency_ms/mean", "/latency_ms/p50",
                                                   "/latency_ms/p90",  "/latency_ms/p99",  "/availability"};
  return figures;
}

struct Precision {
  std::string pointer;
  double relative = 0;  // half-width over the mean
};

// The headline figure whose interval is widest relative to its mean.
Precision widest_figure(const nlohmann::ordered_json& combined) {
  Precision widest;
  for (const auto& pointer : headline_figures()) {
    if (!combined["intervals"].contains(pointer)) continue;
    const auto& i = combined["intervals"][pointer];
    const double mean = std::fabs(i["mean"].get<double>());
    const double hw = i["half_width"].get<double>();
    const double relative = mean > 0 ? hw / mean : (hw > 0 ? std::numeric_limits<double>::infinity() : 0.0);
    if (widest.pointer.empty() || relative > widest.relative) widest = {pointer, relative};
  }
  if (widest.pointer.empty()) widest = {"(no headline figure has an interval)", std::numeric_limits<double>::infinity()};
  return widest;
}

// --replications N: N runs in child processes, combined into OUT/summary.json.
int run_replications(const RunArgs& args, const Scenario& scenario,
                     const std::optional<nlohmann::ordered_json>& warmup_note) {
  // With --out, the replications run in a staging folder inside it and replace the earlier
  // results only once they are all done: an interrupted run leaves those as they were.
  std::optional<ScratchFolder> scratch;
  if (args.out) {
    for (const auto& folder : remove_abandoned_scratch(*args.out, ".archsim-staging"))
      spdlog::warn("removed {}: the replications of a run that was killed before it finished", folder);
    scratch.emplace(".archsim-staging", *args.out);
  }
  else
    scratch.emplace("archsim-run");
  Replicated replicated;
  replicated.folder = scratch->path();
  replicated.args = child_run_arguments(args.scenario, args.duration_s, without_setting(args.sets, "seed"));
  if (args.trace_sample) replicated.args.insert(replicated.args.end(), {"--trace-sample", std::to_string(args.trace_sample)});
  replicated.base_seed = scenario.seed;
  replicated.count = args.replications;
  replicated.label = args.scenario;
  nlohmann::ordered_json combined;
  // With --ci-width, more replications until the headline figures are as precise as asked.
  for (int done = 0;;) {
    std::vector<ChildRun> runs;
    replicated.add_runs(runs, done + 1);
    if (!args.quiet)
      std::cerr << "running replications " << done + 1 << " to " << replicated.count << " of " << scenario.name
                << " (seed " << scenario.seed << " and derived ones, " << args.jobs << " at once)...\n";
    const auto status = run_children(runs, args.jobs);
    check_children(status, runs);
    done = replicated.count;
    combined = replicated.combine();
    if (!args.ci_width) break;
    const Precision p = widest_figure(combined);
    const bool met = p.relative <= *args.ci_width;
    if (met || done >= args.max_replications) {
      combined["precision"] = {{"target", *args.ci_width},
                               {"met", met},
                               {"replications", done},
                               {"max_replications", args.max_replications},
                               {"widest", {{"figure", p.pointer}, {"relative_half_width", p.relative}}},
                               {"figures", headline_figures()}};
      if (!args.quiet)
        std::cerr << "--ci-width " << *args.ci_width << (met ? ": met" : ": not met") << " with " << done
                  << " replications; the widest is " << p.pointer << " at " << p.relative << " of its mean"
                  << (met ? "" : " (--max-replications reached)") << "\n";
      break;
    }
    // Half-widths shrink as 1/sqrt(n): ask for what the widest one needs, and a little more.
    const double factor = (p.relative / *args.ci_width) * (p.relative / *args.ci_width);
    replicated.count = std::min(args.max_replications,
                                std::max(done + 1, static_cast<int>(std::ceil(done * factor * 1.1))));
  }
  if (warmup_note) combined["warmup_auto"] = *warmup_note;
  if (warmup_note || args.ci_width) write_summary(replicated.folder, combined);
  if (args.out) {
    try {
      publish_results(replicated.folder, *args.out);
    } catch (...) {
      // It holds the new results: kept (no later run removes it), and named in the error.
      scratch->keep("the results of archsim run --replications, kept because they could not be put in place in " +
                    *args.out + ": move them there yourself");
      throw;
    }
  }
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
  sub->add_option("--seed", args->seed, "Override the scenario's seed")->transform(whole_number(0, kMaxSeed));
  sub->add_option("--duration-s", args->duration_s, "Override the scenario's duration (seconds)")
      ->check(real_number(0, 31536000, false));
  sub->add_option("--set", args->sets, "Override a value: PATH=VALUE (dotted path or JSON pointer; VALUE is JSON)");
  sub->add_flag("--quiet,-q", args->quiet, "Print nothing but errors and warnings");
  args->replications_option = sub->add_option("--replications", args->replications,
                  "Run N independent replications (seeds derived from the scenario's) and report means with 95% "
                  "confidence intervals; OUT/rep-NNN/ keeps each one")
      ->transform(whole_number(1, 10000));
  sub->add_option("--ci-width", args->ci_width,
                  "Add replications until the 95% half-widths of throughput, latency mean/p50/p90/p99 and "
                  "availability are within this fraction of their means (e.g. 0.02), up to --max-replications")
      ->check(real_number(0, 1, false));
  args->max_replications_option =
      sub->add_option("--max-replications", args->max_replications, "The most replications --ci-width may run")
          ->transform(whole_number(2, 10000));
  sub->add_flag("--batch-means", args->batch_means,
                "Intervals from batch means of this one run's metrics windows (steady-state scenarios): "
                "throughput, mean latency, error rate, utilisations");
  args->jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  sub->add_option("--jobs,-j", args->jobs, "Replications at once (default: the number of cores)")
      ->transform(whole_number(1, 1024));
  sub->add_option("--trace-sample", args->trace_sample,
                  "Trace every N-th request into OUT/trace.json (Chrome trace format, for Perfetto)")
      ->transform(whole_number(1, 1000000000000ULL));
  // Test-only: corrupts the summary so that one invariant check must fail.
  sub->add_option("--test-break-invariant", args->break_invariant)->group("");
  sub->add_flag("--test-threaded-steps", args->threaded_steps)->group("");
  // A child run: the archsim that started it has validated the scenario and given its warnings.
  sub->add_flag("--no-scenario-warnings", args->no_scenario_warnings)->group("");
  return [args]() {
    LoadOptions options;
    options.overrides = parse_sets(args->sets);
    options.seed = args->seed;
    options.duration_s = args->duration_s;
    Scenario scenario = load_scenario(args->scenario, options, kinds::catalog());
    if (!args->no_scenario_warnings)
      for (const auto& warning : scenario.warnings) spdlog::warn("{}", warning);

    if (args->trace_sample && !args->out)
      throw InputError("--trace-sample", "", "needs --out DIR, where trace.json is written");
    // A bad folder is found now, not after the run.
    if (args->out) prepare_output_folder(*args->out, "--out", {args->scenario});
    if (args->ci_width && args->batch_means)
      throw InputError("--ci-width", "", "adds replications: it does not combine with --batch-means");
    if (args->max_replications_option->count() > 0 && !args->ci_width)
      throw InputError("--max-replications", "", "bounds the replications of --ci-width, which is not given");
    // --ci-width starts from 3 replications at least: fewer give intervals too wide to tell.
    constexpr int kFirstBatch = 3;
    if (args->ci_width && args->replications_option->count() > 0 && args->replications < kFirstBatch)
      throw InputError("--replications", "",
                       "--ci-width starts from " + std::to_string(kFirstBatch) +
                           " replications at least: give 3 or more, or leave it out",
                       std::to_string(args->replications));
    if (args->ci_width) args->replications = std::max(args->replications, kFirstBatch);
    if (args->replications > args->max_replications)
      throw InputError("--max-replications", "",
                       args->replications_option->count() > 0
                           ? "is below --replications (" + std::to_string(args->replications) + ")"
                           : "is below the " + std::to_string(kFirstBatch) + " replications --ci-width starts with",
                       std::to_string(args->max_replications));
    if (args->replications > 1) {
      if (args->batch_means)
        throw InputError("--batch-means", "", "is one run's alternative to --replications: give one of them");
      if (!args->break_invariant.empty())
        throw InputError("--test-break-invariant", "", "applies to a single run, not to --replications");
    }
    // "auto": chosen once, from a pilot with the scenario's seed; replications share it.
    std::optional<nlohmann::ordered_json> warmup_note;
    if (scenario.warmup_auto) {
      double warmup_s = 0;
      warmup_note = choose_warmup(*args, scenario, warmup_s);
      // The chosen warm-up replaces "auto", whichever way it was given.
      args->sets = without_setting(args->sets, "warmup_s");
      args->sets.push_back("warmup_s=" + nlohmann::json(warmup_s).dump());
      options.overrides = parse_sets(args->sets);
      scenario = load_scenario(args->scenario, options, kinds::catalog());
    }
    if (args->replications > 1) return run_replications(*args, scenario, warmup_note);
    spdlog::info("running {} for {} s (seed {})", scenario.name, scenario.duration_s, scenario.seed);
    SimulationOptions sim_options;
    sim_options.trace_sample = args->trace_sample;
    sim_options.threaded_steps = args->threaded_steps;
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
    RunFacts facts{scenario,         sim.recorder(),         sim.utilization(),
                   sim.in_flight_by_operation(), sim.end_time(), sim.drain_s(),
                   sim.peak_threads(),   sim.service_reports(),  sim.client_reports(),
                   sim.cost_usage()};
    auto summary = make_summary(facts);
    if (warmup_note) summary["warmup_auto"] = *warmup_note;
    if (args->batch_means) {
      std::ostringstream series;
      write_timeseries_csv(facts, series);
      summary["intervals"] = batch_mean_intervals(series.str(), scenario.warmup_s, scenario.duration_s,
                                                  scenario.metrics.window_s);
      summary["batch_means"] = {{"confidence", kConfidence},
                                {"method",
                                 "batch means of the measured metrics windows: the batch doubles until the lag-1 "
                                 "autocorrelation of the batch means is below 0.1 with 10 batches or more"}};
      if (summary["intervals"].empty())
        spdlog::warn("--batch-means: fewer than 10 measured windows, or windows without requests: no interval");
    }
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
