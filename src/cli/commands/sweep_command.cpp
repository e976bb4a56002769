#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands/commands.hpp"
#include "cli/commands/run_options.hpp"
#include "study/runner.hpp"
#include "study/sweep_points.hpp"
#include "core/files.hpp"
#include "scenario/diagnostics.hpp"
#include "scenario/document.hpp"

namespace archsim::cli {

namespace fs = std::filesystem;

namespace {
struct SweepArgs {
  std::string scenario;
  std::vector<std::string> vary;
  std::string out;
  std::optional<std::string> emit_jobs;
  bool force = false;
  RunOptions run;
};

void write_text(const fs::path& path, const std::string& text) {
  write_result_file(path.string(), [&text](std::ostream& out) { out << text; });
}

std::string slurm_script(const std::string& jobs_file, const std::string& directory, std::size_t count) {
  // Slurm reads #SBATCH lines itself, without a shell: a path there is quoted Slurm's way.
  std::string output = directory + "/slurm-%A_%a.out";
  if (output.find_first_of(" \t\"") != std::string::npos) output = "\"" + output + "\"";
  return "#!/bin/bash\n"
         "# Slurm job array for an archsim sweep: each task runs one line of the job list.\n"
         "# Submit with: sbatch " + shell_quote(directory + "/sweep.sbatch") + "   then: archsim collect " +
         shell_quote(directory) + "\n"
         "#SBATCH --job-name=archsim-sweep\n"
         "#SBATCH --array=1-" + std::to_string(count) + "\n"
         "#SBATCH --ntasks=1\n"
         "#SBATCH --cpus-per-task=1\n"
         "#SBATCH --output=" + output + "\n"
         "set -euo pipefail\n"
         "line=$(sed -n \"${SLURM_ARRAY_TASK_ID}p\" " + shell_quote(jobs_file) + ")\n"
         "eval \"$line\"\n";
}

// Where --emit-jobs writes, checked before anything is written: a file in a folder that
// exists, not a folder, not the scenario, not a file of the sweep itself.
fs::path jobs_file(const std::string& given, const std::string& scenario, const fs::path& sweep_root) {
  const auto bad = [&given](const std::string& rule) { throw InputError("--emit-jobs", "", rule, given); };
  if (given.empty()) bad("needs a file name (got an empty path)");
  const fs::path path = fs::absolute(given).lexically_normal();
  std::error_code ec;
  if (fs::is_directory(path, ec) || path == sweep_root.lexically_normal())
    bad("is a folder: name a file to write the commands to");
  if (!fs::is_directory(path.parent_path(), ec) && path.parent_path() != sweep_root.lexically_normal())
    bad("its folder does not exist");
  if (fs::exists(path, ec) && fs::equivalent(path, scenario, ec)) bad("is the scenario file: it would be overwritten");
  if (path.parent_path() == sweep_root.lexically_normal() && is_sweep_file(path.filename().string()))
    bad("is a file the sweep writes itself: choose another name");
  return path;
}
}  // namespace

Command add_sweep_command(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* sub = app.add_subcommand("sweep", "Run a scenario over a grid of values and tabulate the results");
  sub->add_option("scenario", args->scenario, "Scenario file")->required();
  sub->add_option("--vary", args->vary, "PATH=START:STOP:STEP or PATH=V1,V2,... (several make a grid)")->required();
  sub->add_option("--out,-o", args->out, "Sweep folder: one result folder per point, and sweep.csv")->required();
  sub->add_option("--emit-jobs", args->emit_jobs,
                  "Write one command per point to this file instead of running them (for GNU parallel or a "
                  "Slurm job array, also written as OUT/sweep.sbatch); then run archsim collect OUT");
  sub->add_flag("--force", args->force, "Replace the points of an earlier sweep in the --out folder");
  args->run.add_to(sub);
  return [args]() {
    if (args->out.empty()) throw InputError("--out", "", "needs a folder (got an empty path)");
    std::vector<Variation> variations;
    std::vector<std::vector<std::string>> varied;  // the keys of each, to find one varied twice
    for (const auto& v : args->vary) {
      variations.push_back(parse_variation(v));
      const std::string option = "--vary " + variations.back().path;
      args->run.check_path(args->scenario, variations.back().path, option);
      varied.push_back(Document::tokens(variations.back().path, option));
      for (std::size_t k = 0; k + 1 < varied.size(); ++k)
        if (varied[k] == varied.back())
          throw InputError(option, "", "varies the same setting as --vary " + variations[k].path + ": give one list");
      if (varied.back() == std::vector<std::string>{"seed"} && args->run.replications > 1)
        throw InputError(option, "/seed",
                         "--replications gives each run its own seeds: vary something else, or drop --replications");
    }
    const auto grid = sweep_grid(variations);
    const fs::path root = fs::absolute(args->out);
    const std::string scenario = fs::absolute(args->scenario).string();
    const std::optional<fs::path> jobs =
        args->emit_jobs ? std::optional<fs::path>(jobs_file(*args->emit_jobs, scenario, root)) : std::nullopt;

    // Every point is validated before anything runs.
    std::vector<std::vector<std::string>> point_sets;
    std::optional<std::uint64_t> base_seed = args->run.seed;  // replications: the same seeds at every point
    for (const auto& values : grid) {
      std::vector<std::string> sets;
      for (std::size_t k = 0; k < variations.size(); ++k) sets.push_back(variations[k].path + "=" + values[k]);
      const std::uint64_t seed = args->run.validate(args->scenario, sets, "--vary", true);
      if (!base_seed) base_seed = seed;
      point_sets.push_back(sets);
    }
    // Only now that the sweep is known good may an earlier one in the folder go.
    prepare_sweep_folder(args->out, args->force, {args->scenario});
    std::vector<ChildRun> runs;
    std::vector<Replicated> replicated;  // combined by sweep_table (and collect)
    for (std::size_t i = 0; i < grid.size(); ++i) {
      const fs::path dir = root / point_name(i);
      fs::create_directories(dir);
      fs::remove(dir / "summary.json");
      nlohmann::ordered_json info;
      info["scenario"] = scenario;
      info["seed"] = args->run.seed ? nlohmann::ordered_json(*args->run.seed) : nlohmann::ordered_json(nullptr);
      info["duration_s"] = args->run.duration_s ? nlohmann::ordered_json(*args->run.duration_s) : nlohmann::ordered_json(nullptr);
      info["sets"] = args->run.sets;
      for (std::size_t k = 0; k < variations.size(); ++k) info["values"][variations[k].path] = grid[i][k];
      if (args->run.replications > 1) info["replications"] = args->run.replications;
      args->run.add_run(scenario, dir.string(), point_sets[i], *base_seed, point_name(i), runs, replicated);
      write_text(dir / "point.json", info.dump(2) + "\n");
    }

    if (jobs) {
      // Each line runs in this folder: a relative path in a --set value (a replayed log, a
      // profile) means the same file wherever the line runs.
      const std::string program = self_executable();
      const std::string here = "cd " + shell_quote(fs::current_path().string()) + " && ";
      std::string lines;
      for (const auto& r : runs) lines += here + shell_command(program, r.args) + "\n";
      try {
        write_text(*jobs, lines);
      } catch (const std::exception& e) {
        throw InputError("--emit-jobs", "", std::string("cannot write the file: ") + e.what(), *args->emit_jobs);
      }
      write_text(root / "sweep.sbatch", slurm_script(jobs->string(), root.string(), runs.size()));
      const std::string given = shell_quote(*args->emit_jobs);
      std::cout << "wrote " << runs.size() << " commands to " << *args->emit_jobs << "\n"
                << "run them with:   parallel < " << given
                << "   (other machines sharing this folder: parallel --sshloginfile HOSTS < " << given << ")\n"
                << "or on Slurm:     sbatch " << shell_quote((root / "sweep.sbatch").string()) << "\n"
                << "then tabulate:   archsim collect " << shell_quote(args->out) << "\n";
      return kExitOk;
    }

    if (!args->run.quiet)
      std::cerr << "sweeping " << runs.size() << " point" << (runs.size() > 1 ? "s" : "") << " with " << args->run.jobs
                << " at once...\n";
    const auto status = run_children(runs, args->run.jobs);
    check_children(status, runs);
    const std::string table = sweep_table(root.string());
    write_text(root / "sweep.csv", table);
    std::cout << table << "\nwrote " << (fs::path(args->out) / "sweep.csv").string() << "\n";
    return kExitOk;
  };
}

Command add_collect_command(CLI::App& app) {
  auto directory = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("collect", "Rebuild sweep.csv from the finished points of a sweep folder");
  sub->add_option("folder", *directory, "Sweep folder (archsim sweep --out)")->required();
  return [directory]() {
    const std::string table = sweep_table(*directory);
    try {
      write_text(fs::path(*directory) / "sweep.csv", table);
    } catch (const std::exception& e) {
      throw InputError(*directory, "", std::string("cannot write sweep.csv into the folder: ") + e.what());
    }
    std::cout << table;
    return kExitOk;
  };
}

}  // namespace archsim::cli
