#include "cli/commands/replicated.hpp"

#include <filesystem>

#include "core/files.hpp"
#include "results/replications.hpp"
#include "results/result_files.hpp"
#include "results/statistics.hpp"

namespace archsim::cli {

void Replicated::add_runs(std::vector<ChildRun>& runs, int from) const {
  namespace fs = std::filesystem;
  fs::create_directories(folder);
  if (from == 1) {
    // What an earlier run left in the folder goes: its replications and its result files.
    remove_replication_folders(folder);
    for (const auto& file : run_result_files()) fs::remove(fs::path(folder) / file);
  }
  for (int i = from; i <= count; ++i) {
    std::vector<std::string> a = args;
    a.insert(a.end(), {"--out", replication_folder(folder, i), "--seed", std::to_string(replication_seed(base_seed, i))});
    runs.push_back({a, label + " (replication " + std::to_string(i) + ")"});
  }
}

nlohmann::ordered_json Replicated::combine() const {
  const auto combined = combine_replicated_folder(folder, count);
  if (!combined) throw std::runtime_error("replications of " + label + " are missing in " + folder);
  return *combined;
}

}  // namespace archsim::cli
