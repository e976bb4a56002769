#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands/commands.hpp"
#include "scenario/diagnostics.hpp"
#include "kinds/catalog.hpp"
#include "scenario/builder.hpp"

namespace archsim::cli {

Command add_validate_command(CLI::App& app) {
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* sub = app.add_subcommand("validate", "Check scenario files without running them");
  sub->add_option("files", *files, "Scenario files")->required();
  return [files]() {
    int status = kExitOk;
    for (const auto& file : *files) {
      try {
        const Scenario s = load_scenario(file, {}, kinds::catalog());
        std::cout << file << ": ok (" << s.services.size() << " services, " << s.hosts.size() << " hosts, "
                  << s.clients.size() << " client population" << (s.clients.size() == 1 ? "" : "s") << ")\n";
      } catch (const InputError& e) {
        for (const auto& d : e.diagnostics()) std::cerr << d.format() << "\n";
        status = kExitBadInput;
      }
    }
    return status;
  };
}

}  // namespace archsim::cli
