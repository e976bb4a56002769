#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "kinds/catalog.hpp"
#include "kinds/runtime_catalog.hpp"

using nlohmann::json;

namespace {
json schema() {
  std::ifstream in(std::string(ARCHSIM_SOURCE_DIR) + "/scenarios/schema.json");
  return json::parse(in);
}

// The keys that mark the branches of a oneOf: each branch's `const` for `discriminator`,
// or its first required key.
std::set<std::string> branch_keys(const json& one_of, const std::string& discriminator = "") {
  std::set<std::string> keys;
  for (const json& branch : one_of) {
    if (!discriminator.empty())
      keys.insert(branch["properties"][discriminator]["const"].get<std::string>());
    else
      keys.insert(branch["required"][0].get<std::string>());
  }
  return keys;
}
}  // namespace

TEST_CASE("every service kind of the catalog has a schema branch, and every branch a kind") {
  const json s = schema();
  const auto branches = branch_keys(s["$defs"]["service"]["oneOf"], "kind");
  std::set<std::string> kinds;
  for (const auto* k : archsim::kinds::catalog().service_kinds()) kinds.insert(k->name());
  CHECK(kinds == branches);
}

TEST_CASE("every step kind and every timed action has a schema branch, and every branch a kind") {
  const json s = schema();
  std::set<std::string> steps, actions;
  for (const auto* k : archsim::kinds::catalog().step_kinds()) steps.insert(k->key());
  for (const auto* k : archsim::kinds::catalog().action_kinds()) actions.insert(k->key());
  CHECK(steps == branch_keys(s["$defs"]["step"]["oneOf"]));
  CHECK(actions == branch_keys(s["$defs"]["fault_event"]["oneOf"]));
}

TEST_CASE("every kind of the catalog has its run-time side") {
  const auto& catalog = archsim::kinds::catalog();
  const auto& runtime = archsim::kinds::runtime_catalog();
  for (const auto* k : catalog.service_kinds()) CHECK_NOTHROW(runtime.service(k->name()));
  CHECK(runtime.step_table(catalog).size() == catalog.step_kinds().size());
  CHECK(runtime.action_table(catalog).size() == catalog.action_kinds().size());
}
