#include "cli/commands/replicated.hpp"

#include <filesystem>

#include "results/replications.hpp"
#include "results/statistics.hpp"

namespace archsim::cli {

void Replicated::add_runs(std::vector<ChildRun>& runs) const {
  std::filesystem::create_directories(folder);
  for (int i = 1; i <= count; ++i) {
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
