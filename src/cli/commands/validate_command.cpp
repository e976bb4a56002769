#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands/commands.hpp"
#include "cli/commands/run_options.hpp"
#include "core/text.hpp"
#include "kinds/catalog.hpp"
#include "scenario/builder.hpp"
#include "scenario/diagnostics.hpp"

namespace archsim::cli {

Command add_validate_command(CLI::App& app) {
  struct Args {
    std::vector<std::string> files;
    std::vector<std::string> sets;
    std::optional<std::uint64_t> seed;
    std::optional<double> duration_s;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand("validate", "Check scenario files without running them");
  sub->add_option("files", args->files, "Scenario files")->required();
  // The overrides of `run`: a file is checked as that run would take it.
  sub->add_option("--seed", args->seed, "Check with this seed")->transform(whole_number(0, kMaxSeed));
  sub->add_option("--duration-s", args->duration_s, "Check with this duration (seconds)")
      ->check(real_number(0, 31536000, false));
  sub->add_option("--set", args->sets, "Check with this value: PATH=VALUE (dotted path or JSON pointer; VALUE is JSON)");
  return [args]() {
    LoadOptions options;
    options.overrides = parse_sets(args->sets);
    options.seed = args->seed;
    options.duration_s = args->duration_s;
    int status = kExitOk;
    for (const auto& file : args->files) {
      try {
        const Scenario s = load_scenario(file, options, kinds::catalog());
        for (const auto& warning : s.warnings) std::cerr << "warning: " << warning << "\n";
        const auto count = [](std::size_t n, const char* what) {
          return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
        };
        std::cout << printable(file) << ": ok (" << count(s.services.size(), "service") << ", " << count(s.hosts.size(), "host")
                  << ", " << count(s.clients.size(), "client population") << ")\n";
      } catch (const InputError& e) {
        for (const auto& d : e.diagnostics()) std::cerr << d.format() << "\n";
        status = kExitBadInput;
      }
    }
    return status;
  };
}

}  // namespace archsim::cli
