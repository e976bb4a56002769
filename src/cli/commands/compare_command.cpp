#include <unistd.h>

#include <algorithm>
#include <optional>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands/commands.hpp"
#include "cli/commands/run_options.hpp"
#include "study/runner.hpp"
#include "results/comparison.hpp"
#include "results/replications.hpp"
#include "results/result_files.hpp"
#include "scenario/diagnostics.hpp"

namespace archsim::cli {

namespace fs = std::filesystem;

namespace {
struct CompareArgs {
  std::vector<std::string> inputs;
  std::string format = "table";
  std::optional<std::string> out;
  RunOptions run;
};

bool is_result(const std::string& input) {
  return fs::is_directory(input) || fs::path(input).filename() == "summary.json";
}
}  // namespace

Command add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* sub = app.add_subcommand(
      "compare", "Compare runs side by side: result folders as they are, scenario files run first (same seed and duration)");
  sub->add_option("inputs", args->inputs, "Result folders, summary.json files or scenario files")->required();
  sub->add_option("--format", args->format, "table, markdown, csv or json")
      ->check(CLI::IsMember({"table", "markdown", "csv", "json"}))
      ->capture_default_str();
  sub->add_option("--out,-o", args->out, "Keep the results of the scenarios run here (one folder each)");
  args->run.add_to(sub);
  return [args]() {
    // Scenario files are validated first, then run in parallel child processes.
    if (args->out && std::all_of(args->inputs.begin(), args->inputs.end(), is_result))
      throw InputError("--out", "", "keeps the results of the scenario files compare runs, and every input is a finished "
                                    "result: nothing would be written there");
    if (args->out) prepare_output_folder(*args->out, "--out");
    std::vector<std::string> folders(args->inputs.size());
    std::vector<ChildRun> runs;
    std::vector<Replicated> replicated;
    std::optional<std::uint64_t> base_seed = args->run.seed;  // the same seeds in every column
    std::optional<ScratchFolder> scratch;
    for (std::size_t i = 0; i < args->inputs.size(); ++i) {
      const std::string& input = args->inputs[i];
      if (is_result(input)) {
        // Options for the runs do nothing to finished results: say so rather than ignore them.
        if (!args->run.sets.empty() || args->run.seed || args->run.duration_s || args->run.replications > 1)
          throw InputError(input, "",
                           "is a finished result: --set, --seed, --duration-s and --replications apply only to the "
                           "scenario files compare runs");
        folders[i] = input;
        continue;
      }
      if (!fs::exists(input)) throw InputError(input, "", "no such file or folder");
      std::uint64_t seed = 0;
      try {
        seed = args->run.validate(input, {}, "", true);
      } catch (const InputError& e) {
        // An option's problem is the option's with this input, not with every input.
        std::vector<Diagnostic> diagnostics = e.diagnostics();
        for (Diagnostic& d : diagnostics)
          if (d.file.rfind("--", 0) == 0 && args->inputs.size() > 1) d.rule += " (in " + input + ")";
        throw InputError(std::move(diagnostics));
      }
      if (!base_seed) base_seed = seed;
      if (!args->out && !scratch) scratch.emplace("archsim-compare");
      const fs::path base = args->out ? fs::path(*args->out) : fs::path(scratch->path());
      folders[i] = (base / (std::to_string(i + 1) + "-" + fs::path(input).stem().string())).string();
      // Its folder holds this run's results alone: not an input (a finished result compared
      // with it, the scenario itself), not a file, not the user's files.
      if (args->out) {
        check_not_replaced(folders[i], args->inputs, "--out");
        prepare_output_folder(folders[i], "--out", args->inputs);
      }
      args->run.add_run(input, folders[i], {}, *base_seed, input, runs, replicated);
    }
    if (!runs.empty()) {
      if (!args->run.quiet) std::cerr << "running " << runs.size() << " run" << (runs.size() > 1 ? "s" : "") << "...\n";
      const auto status = run_children(runs, args->run.jobs);
      check_children(status, runs);
      for (const auto& r : replicated) r.combine();
    }
    std::vector<nlohmann::ordered_json> summaries;
    std::vector<std::vector<nlohmann::ordered_json>> replications;
    for (const auto& folder : folders) {
      summaries.push_back(read_summary(folder));
      replications.push_back(read_replications(folder));  // replicated results keep theirs
    }
    scratch.reset();
    const TableFormat format = args->format == "markdown" ? TableFormat::Markdown
                               : args->format == "csv"    ? TableFormat::Csv
                               : args->format == "json"   ? TableFormat::Json
                                                          : TableFormat::Table;
    std::cout << render(compare_summaries(summaries, replications), format);
    return kExitOk;
  };
}

}  // namespace archsim::cli
