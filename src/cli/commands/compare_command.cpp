#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands/commands.hpp"
#include "metrics/comparison.hpp"
#include "scenario/diagnostics.hpp"

namespace archsim::cli {

namespace fs = std::filesystem;

namespace {
struct CompareArgs {
  std::vector<std::string> inputs;
  std::string format = "table";
};

nlohmann::ordered_json read_summary(const std::string& input) {
  fs::path path = input;
  if (fs::is_directory(path)) path /= "summary.json";
  std::ifstream in(path);
  if (!in) throw InputError(input, "", "not a result folder or summary.json (no " + path.string() + ")");
  try {
    return nlohmann::ordered_json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string(), "", std::string("invalid JSON: ") + e.what());
  }
}
}  // namespace

Command add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* sub = app.add_subcommand("compare", "Compare finished runs side by side");
  sub->add_option("results", args->inputs, "Result folders (archsim run --out) or summary.json files")->required();
  sub->add_option("--format", args->format, "table, markdown, csv or json")
      ->check(CLI::IsMember({"table", "markdown", "csv", "json"}))
      ->capture_default_str();
  return [args]() {
    std::vector<nlohmann::ordered_json> summaries;
    for (const auto& input : args->inputs) summaries.push_back(read_summary(input));
    const TableFormat format = args->format == "markdown" ? TableFormat::Markdown
                               : args->format == "csv"    ? TableFormat::Csv
                               : args->format == "json"   ? TableFormat::Json
                                                          : TableFormat::Table;
    std::cout << render(compare_summaries(summaries), format);
    return kExitOk;
  };
}

}  // namespace archsim::cli
