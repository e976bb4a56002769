#pragma once
// Options shared by the commands that launch runs (compare, sweep, capacity): the seed,
// duration and overrides every run gets, how many replications of each, and how many run
// at once.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands/replicated.hpp"

namespace archsim::cli {

struct RunOptions {
  std::optional<std::uint64_t> seed;
  std::optional<double> duration_s;
  std::vector<std::string> sets;
  int jobs = 1;
  int replications = 1;  // independent replications of every run (see replicated.hpp)
  bool quiet = false;    // no progress lines on stderr (the results are still printed)

  void add_to(CLI::App* app);
  // Arguments of `archsim run SCENARIO` with these options, the extra overrides, into `out`.
  std::vector<std::string> run_arguments(const std::string& scenario, const std::string& out,
                                         const std::vector<std::string>& extra_sets) const;
  // Loads and validates the scenario as such a run would (throws InputError); returns the
  // seed it runs with. `extra_sets` come from option `extra_option` (--vary, --find-max),
  // which is blamed for a value of theirs that breaks a rule. With `give_warnings` (a run
  // that will be started: its child gives none), gives its warnings, each once: one that
  // comes only with the extra values says so.
  std::uint64_t validate(const std::string& scenario, const std::vector<std::string>& extra_sets,
                         const std::string& extra_option = "", bool give_warnings = false) const;
  // The warnings of the scenario with these options alone (none when it is not valid so).
  std::set<std::string> own_warnings(const std::string& scenario) const;
  mutable std::map<std::string, std::set<std::string>> own_warnings_;  // by scenario, once each
  // The replications of such a run into `folder`, with seeds derived from `base_seed`.
  Replicated replicated(const std::string& scenario, const std::string& folder,
                        const std::vector<std::string>& extra_sets, std::uint64_t base_seed) const;
  // Adds such a run into `folder` to `runs`: one run, or with --replications one per
  // replication (then also to `replicated`, whose combine() follows the runs).
  void add_run(const std::string& scenario, const std::string& folder, const std::vector<std::string>& extra_sets,
               std::uint64_t base_seed, const std::string& label, std::vector<ChildRun>& runs,
               std::vector<Replicated>& replicated) const;
  // Throws InputError naming `option` when `path` is not a setting of the scenario (with
  // these options' overrides applied).
  void check_path(const std::string& scenario, const std::string& path, const std::string& option) const;
};

// Checks of option values as typed, with messages that show the text and a sane range:
// a whole number in [min, max]; a finite number in (min, max] (or [min, max]).
CLI::Validator whole_number(std::uint64_t min, std::uint64_t max);
CLI::Validator real_number(double min, double max, bool min_included);

// The largest seed a scenario accepts (the schema's, 2^53 - 1: exact in a double).
constexpr std::uint64_t kMaxSeed = 9007199254740991ULL;

// `sets` (--set PATH=VALUE) without those of the top-level setting `name`: for a child run
// given it another way (a replication's --seed, a pilot's warm-up), where it would be
// given twice.
std::vector<std::string> without_setting(const std::vector<std::string>& sets, const std::string& name);

// Arguments of a child `archsim run SCENARIO --quiet` with a duration and overrides (no --out
// or --seed: the caller adds them).
std::vector<std::string> child_run_arguments(const std::string& scenario, const std::optional<double>& duration_s,
                                             const std::vector<std::string>& sets);

// Splits "path=value" overrides; throws InputError.
std::vector<std::pair<std::string, std::string>> parse_sets(const std::vector<std::string>& sets);

}  // namespace archsim::cli
