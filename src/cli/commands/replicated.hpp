#pragma once
// Independent replications of one run, as child processes: replication i runs with seed
// replication_seed(base, i) into FOLDER/rep-NNN/, and FOLDER/summary.json combines them
// (results/replications.hpp). The same base seed in every column of a comparison gives
// every column the same seeds (common random numbers).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "study/runner.hpp"

namespace archsim::cli {

struct Replicated {
  std::string folder;
  std::vector<std::string> args;  // `archsim run` arguments other than --out and --seed
  std::uint64_t base_seed = 0;
  int count = 1;
  std::string label;  // for messages

  // Adds a child run per replication, from replication `from` to `count`.
  void add_runs(std::vector<ChildRun>& runs, int from = 1) const;
  // After the runs: reads the replications, writes FOLDER/summary.json and returns it.
  nlohmann::ordered_json combine() const;
};

}  // namespace archsim::cli
