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

namespace archsim::cli {

namespace fs = std::filesystem;

namespace {
struct SweepArgs {
  std::string scenario;
  std::vector<std::string> vary;
  std::string out;
  std::string emit_jobs;
  bool force = false;
  RunOptions run;
};

void write_text(const fs::path& path, const std::string& text) {
  write_result_file(path.string(), [&text](std::ostream& out) { out << text; });
}

std::string slurm_script(const std::string& jobs_file, const std::string& directory, std::size_t count) {
  return "#!/bin/bash\n"
         "# Slurm job array for an archsim sweep: each task runs one line of the job list.\n"
         "# Submit with: sbatch " + directory + "/sweep.sbatch   then: archsim collect " + directory + "\n"
         "#SBATCH --job-name=archsim-sweep\n"
         "#SBATCH --array=1-" + std::to_string(count) + "\n"
         "#SBATCH --ntasks=1\n"
         "#SBATCH --cpus-per-task=1\n"
         "#SBATCH --output=" + directory + "/slurm-%A_%a.out\n"
         "set -euo pipefail\n"
         "line=$(sed -n \"${SLURM_ARRAY_TASK_ID}p\" " + jobs_file + ")\n"
         "eval \"$line\"\n";
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
    std::vector<Variation> variations;
    for (const auto& v : args->vary) {
      variations.push_back(parse_variation(v));
      args->run.check_path(args->scenario, variations.back().path, "--vary " + variations.back().path);
    }
    prepare_sweep_folder(args->out, args->force);
    const auto grid = sweep_grid(variations);
    if (grid.size() > 100000) throw InputError("--vary", "", "the grid has more than 100000 points");

    // Every point is validated before anything runs.
    std::vector<std::vector<std::string>> point_sets;
    std::optional<std::uint64_t> base_seed = args->run.seed;  // replications: the same seeds at every point
    for (const auto& values : grid) {
      std::vector<std::string> sets;
      for (std::size_t k = 0; k < variations.size(); ++k) sets.push_back(variations[k].path + "=" + values[k]);
      const std::uint64_t seed = args->run.validate(args->scenario, sets, "--vary");
      if (!base_seed) base_seed = seed;
      point_sets.push_back(sets);
    }

    const fs::path root = fs::absolute(args->out);
    const std::string scenario = fs::absolute(args->scenario).string();
    fs::create_directories(root);
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

    if (!args->emit_jobs.empty()) {
      const std::string program = self_executable();
      std::string lines;
      for (const auto& r : runs) lines += shell_command(program, r.args) + "\n";
      const fs::path jobs = fs::absolute(args->emit_jobs);
      write_text(jobs, lines);
      write_text(root / "sweep.sbatch", slurm_script(jobs.string(), root.string(), runs.size()));
      std::cout << "wrote " << runs.size() << " commands to " << args->emit_jobs << "\n"
                << "run them with:   parallel < " << args->emit_jobs
                << "   (other machines sharing this folder: parallel --sshloginfile HOSTS < " << args->emit_jobs << ")\n"
                << "or on Slurm:     sbatch " << (root / "sweep.sbatch").string() << "\n"
                << "then tabulate:   archsim collect " << args->out << "\n";
      return kExitOk;
    }

    std::cerr << "sweeping " << runs.size() << " point" << (runs.size() > 1 ? "s" : "") << " with " << args->run.jobs
              << " at once...\n";
    const auto status = run_children(runs, args->run.jobs);
    for (std::size_t i = 0; i < status.size(); ++i)
      if (status[i] != 0) throw std::runtime_error("the run of " + runs[i].label + " failed (status " + std::to_string(status[i]) + ")");
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
    write_text(fs::path(*directory) / "sweep.csv", table);
    std::cout << table;
    return kExitOk;
  };
}

}  // namespace archsim::cli
