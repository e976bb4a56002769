#pragma once
// The subcommands of the archsim CLI. Each registers its options on the CLI11 app and
// returns the process exit status when run: 0 ok, 2 bad input, 1 internal error.
#include <functional>

#include <CLI/CLI.hpp>

namespace archsim::cli {

using Command = std::function<int()>;

Command add_run_command(CLI::App& app);
Command add_validate_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_sweep_command(CLI::App& app);
Command add_collect_command(CLI::App& app);
Command add_capacity_command(CLI::App& app);
Command add_numbers_command(CLI::App& app);

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;

}  // namespace archsim::cli
