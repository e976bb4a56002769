// archsim: a discrete-event simulator of the evolution of a web architecture.
#include <cstdio>
#include <iostream>
#include <map>

#include <CLI/CLI.hpp>

#include "cli/commands/commands.hpp"
#include "study/runner.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "version.hpp"
#include "scenario/diagnostics.hpp"

int main(int argc, char** argv) {
  using namespace archsim;
  setup_logging();
  install_interrupt_handler();
  stop_with_parent();
  CLI::App app{"archsim: simulate the ten-step evolution of a web architecture on SimGrid"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("archsim ") + kVersion);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();

  const std::map<std::string, cli::Command> commands = {
      {"run", cli::add_run_command(app)},
      {"validate", cli::add_validate_command(app)},
      {"compare", cli::add_compare_command(app)},
      {"sweep", cli::add_sweep_command(app)},
      {"collect", cli::add_collect_command(app)},
      {"capacity", cli::add_capacity_command(app)},
      {"numbers", cli::add_numbers_command(app)},
  };

  // The first word that is neither an option of archsim itself nor its value is the command:
  // one that is not known is a mistyped command.
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--log-level") {
      ++i;
      continue;
    }
    if (!word.empty() && word[0] == '-') continue;
    if (commands.count(word) == 0) {
      std::string known;
      for (const auto& [name, command] : commands) known += (known.empty() ? "" : ", ") + name;
      std::cerr << "archsim: unknown command " << printable(word) << " (the commands: " << known << ")\n";
      return cli::kExitBadInput;
    }
    break;
  }
  // Options of the archsim command itself (--log-level) may come after the subcommand too.
  for (CLI::App* sub : app.get_subcommands({})) sub->fallthrough();
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cli::kExitBadInput;
  }
  if (!set_log_level(log_level)) {
    std::cerr << "archsim: --log-level: unknown level (got " << log_level << ")\n";
    return cli::kExitBadInput;
  }
  try {
    for (const auto& [name, command] : commands)
      if (app.got_subcommand(name)) {
        const int status = command();
        // A table written into a full disk or a closed pipe is lost: say so.
        std::cout.flush();
        if (!std::cout || std::fflush(stdout) != 0 || std::ferror(stdout)) {
          std::cerr << "archsim: cannot write to the standard output (a full disk or a closed pipe)\n";
          return cli::kExitInternal;
        }
        return status;
      }
    return cli::kExitInternal;
  } catch (const Interrupted&) {
    std::cerr << "archsim: interrupted: the runs in progress were stopped\n";
    return kExitInterrupted;
  } catch (const InputError& e) {
    for (const auto& d : e.diagnostics()) std::cerr << d.format() << "\n";
    return cli::kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "archsim: internal error: " << e.what() << "\n";
    return cli::kExitInternal;
  }
}
