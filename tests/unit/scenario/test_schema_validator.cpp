#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/embedded.hpp"
#include "scenario/diagnostics.hpp"
#include "scenario/schema_validator.hpp"

using archsim::Diagnostic;
using archsim::SchemaValidator;
using nlohmann::json;

namespace {
SchemaValidator make(const char* schema) { return SchemaValidator(json::parse(schema)); }

bool has(const std::vector<Diagnostic>& ds, const std::string& pointer, const std::string& rule_part) {
  for (const auto& d : ds)
    if (d.pointer == pointer && d.rule.find(rule_part) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("types, bounds and required keys") {
  auto v = make(R"({"type":"object","additionalProperties":false,"required":["rate_rps"],
    "properties":{"rate_rps":{"type":"number","minimum":0},"users":{"type":"integer","exclusiveMinimum":0},
                  "name":{"type":"string","minLength":1,"pattern":"^[a-z]+$"}}})");
  CHECK(v.validate(json::parse(R"({"rate_rps": 5})")).empty());
  CHECK(v.validate(json::parse(R"({"rate_rps": 5, "users": 2.0})")).empty());  // 2.0 is an integer
  auto e = v.validate(json::parse(R"({"rate_rps": -1, "users": 1.5, "name": "Web"})"));
  CHECK(has(e, "/rate_rps", "must be >= 0"));
  CHECK(has(e, "/users", "must be an integer"));
  CHECK(has(e, "/name", "must match the pattern"));
  e = v.validate(json::parse(R"({"users": 0})"));
  CHECK(has(e, "/rate_rps", "required key is missing"));
  CHECK(has(e, "/users", "must be > 0"));
  e = v.validate(json::parse(R"({"rate_rps": "fast"})"));
  REQUIRE(e.size() == 1);
  CHECK(e[0].rule == "must be a number");
  CHECK(e[0].got == "\"fast\"");
}

TEST_CASE("unknown keys suggest the closest known key") {
  auto v = make(R"({"type":"object","additionalProperties":false,
    "properties":{"rate_rps":{"type":"number"},"timeout_ms":{"type":"number"}}})");
  auto e = v.validate(json::parse(R"({"rate_rsp": 1})"));
  REQUIRE(e.size() == 1);
  CHECK(e[0].pointer == "/rate_rsp");
  CHECK(e[0].rule == "unknown key (did you mean \"rate_rps\"?)");
  e = v.validate(json::parse(R"({"rate": 1})"));
  REQUIRE(e.size() == 1);
  CHECK(e[0].rule == "unknown key (did you mean \"rate_rps\"?)");
  e = v.validate(json::parse(R"({"zzzzzz": 1})"));
  REQUIRE(e.size() == 1);
  CHECK(e[0].rule == "unknown key");
}

TEST_CASE("oneOf picks the branch by discriminator and reports its errors") {
  auto v = make(R"({"$defs":{"d":{"oneOf":[
      {"type":"number","minimum":0},
      {"type":"object","additionalProperties":false,"required":["dist","mean"],
       "properties":{"dist":{"const":"exponential"},"mean":{"type":"number","exclusiveMinimum":0}}},
      {"type":"object","additionalProperties":false,"required":["dist","value"],
       "properties":{"dist":{"const":"constant"},"value":{"type":"number"}}}]}},
    "$ref":"#/$defs/d"})");
  CHECK(v.validate(json(3)).empty());
  CHECK(v.validate(json::parse(R"({"dist":"exponential","mean":2})")).empty());
  auto e = v.validate(json::parse(R"({"dist":"exponential","mean":0})"));
  REQUIRE(e.size() == 1);
  CHECK(e[0].pointer == "/mean");
  e = v.validate(json::parse(R"({"dist":"gamma","mean":2})"));
  REQUIRE(e.size() == 1);
  CHECK(e[0].pointer == "/dist");
  CHECK(e[0].rule == R"(must be one of "exponential", "constant")");
  e = v.validate(json("x"));
  REQUIRE(e.size() == 1);
  CHECK(e[0].rule == "must be a number or an object");
  CHECK(v.validate(json(-1)).size() == 1);
}

TEST_CASE("oneOf picks the branch by the key only it requires") {
  auto v = make(R"({"oneOf":[
     {"type":"object","additionalProperties":false,"required":["cpu_ms"],"properties":{"cpu_ms":{"type":"number"}}},
     {"type":"object","additionalProperties":false,"required":["call","endpoint"],
      "properties":{"call":{"type":"string"},"endpoint":{"type":"string"}}}]})");
  CHECK(v.validate(json::parse(R"({"cpu_ms": 1})")).empty());
  auto e = v.validate(json::parse(R"({"call": "db"})"));
  REQUIRE(e.size() == 1);
  CHECK(e[0].pointer == "/endpoint");
  e = v.validate(json::parse(R"({"cpu_ms": 1, "call": "db"})"));
  REQUIRE(e.size() == 1);
  CHECK(e[0].rule.find("more than one kind") != std::string::npos);
  e = v.validate(json::parse(R"({"sleep_ms": 1})"));
  REQUIRE(e.size() == 1);
  CHECK(e[0].rule == "must have exactly one of the keys cpu_ms, call");
}

TEST_CASE("propertyNames, arrays, enum and every problem at once") {
  auto v = make(R"({"type":"object","propertyNames":{"pattern":"^[a-z]+$"},
     "additionalProperties":{"type":"array","minItems":1,"items":{"enum":["a","b"]}}})");
  auto e = v.validate(json::parse(R"({"Bad": ["a"], "ok": [], "x": ["c", "a", "d"]})"));
  CHECK(has(e, "/Bad", "invalid name: must match the pattern"));
  CHECK(has(e, "/ok", "must have at least 1 item"));
  CHECK(has(e, "/x/0", "must be one of \"a\", \"b\""));
  CHECK(has(e, "/x/2", "must be one of"));
  CHECK(e.size() == 4);
}

TEST_CASE("the shipped scenario schema loads and defines every referenced definition") {
  SchemaValidator v(json::parse(archsim::embedded::scenario_schema()));
  // An empty object misses the required top-level keys, each reported.
  auto e = v.validate(json::object());
  CHECK(has(e, "/description", "required key is missing"));
  CHECK(has(e, "/duration_s", "required key is missing"));
  CHECK(has(e, "/services", "required key is missing"));
  CHECK(has(e, "/clients", "required key is missing"));
  // The built-in profile is a valid profile.
  CHECK(v.validate(json::parse(archsim::embedded::default_profile()), "/$defs/profile").empty());
}

TEST_CASE("diagnostics format as FILE: /pointer: rule (got VALUE)") {
  Diagnostic d{"a.json", "/clients/users/rate_rps", "must be >= 0", "-5"};
  CHECK(d.format() == "a.json: /clients/users/rate_rps: must be >= 0 (got -5)");
  Diagnostic root{"a.json", "", "invalid JSON: x", ""};
  CHECK(root.format() == "a.json: /: invalid JSON: x");
  CHECK(archsim::closest_match("workres", {"workers", "replicas"}) == "workers");
  CHECK(archsim::closest_match("xyz", {"workers", "replicas"}).empty());
}
