// archsim's schema validator against the official JSON Schema Test Suite (Debian's
// json-schema-test-suite), draft 7: every test group of the keywords the validator
// supports whose meaning did not change in 2020-12 (the draft archsim's schema declares).
// Skipped: the groups listed below, each with its reason, and the groups whose schema the
// validator refuses because it uses a keyword or a form it does not support (the reason is
// the validator's own message). Prints the counts; README quotes them.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "scenario/schema_validator.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kSuite = "/usr/share/json-schema-test-suite/tests/draft7";

// The files of the keywords the validator supports.
const char* const kFiles[] = {
    "additionalProperties", "allOf",     "anyOf",     "boolean_schema", "const",    "default",
    "enum",                 "exclusiveMaximum", "exclusiveMinimum", "items", "maxItems", "maxLength",
    "maxProperties",        "maximum",   "minItems",  "minLength",      "minProperties", "minimum",
    "oneOf",                "pattern",   "properties", "propertyNames", "ref",      "required",
    "type",                 "uniqueItems"};

// Groups left out on purpose, with the reason.
const std::map<std::string, std::string> kSkipped = {
    {"ref/ref overrides any sibling keywords",
     "since 2019-09, keywords beside $ref apply too (draft 7 ignored them)"},
    {"ref/remote ref, containing refs itself", "a remote reference (refRemote needs a server)"},
    {"ref/Recursive references between schemas", "references by $id, not by JSON pointer"},
    {"ref/Location-independent identifier", "references by $id, not by JSON pointer"},
    {"ref/Location-independent identifier with absolute URI", "references by $id, not by JSON pointer"},
    {"ref/Location-independent identifier with base URI change in subschema", "references by $id"},
};

}  // namespace

TEST_CASE("the JSON Schema Test Suite (draft 7) passes on the keywords archsim supports") {
  REQUIRE(fs::is_directory(kSuite));  // scripts/install-deps installs json-schema-test-suite
  int tests = 0, passed = 0, groups = 0;
  std::vector<std::string> skipped;
  for (const char* file : kFiles) {
    std::ifstream in(std::string(kSuite) + "/" + file + ".json");
    REQUIRE(in);
    for (const json& group : json::parse(in)) {
      const std::string name = std::string(file) + "/" + group["description"].get<std::string>();
      if (const auto it = kSkipped.find(name); it != kSkipped.end()) {
        skipped.push_back(name + ": " + it->second);
        continue;
      }
      std::unique_ptr<archsim::SchemaValidator> validator;
      try {
        validator = std::make_unique<archsim::SchemaValidator>(group["schema"]);
      } catch (const std::invalid_argument& e) {
        skipped.push_back(name + ": " + e.what());
        continue;
      }
      ++groups;
      for (const json& test : group["tests"]) {
        ++tests;
        const bool valid = validator->validate(test["data"]).empty();
        INFO(name << " / " << test["description"].get<std::string>() << ": data " << test["data"].dump());
        CHECK(valid == test["valid"].get<bool>());
        if (valid == test["valid"].get<bool>()) ++passed;
      }
    }
  }
  std::printf("JSON Schema Test Suite, draft 7: %d of %d tests pass, in %d groups of %zu keywords; %zu groups skipped:\n",
              passed, tests, groups, std::size(kFiles), skipped.size());
  for (const auto& s : skipped) std::printf("  skipped %s\n", s.c_str());
  CHECK(passed == tests);
  CHECK(tests >= 250);  // the groups do run (a path or package change would skip them all)
}
