#pragma once
// Validates JSON documents against a JSON Schema (the subset of draft 2020-12 that
// scenarios/schema.json uses): $ref to local definitions, allOf/anyOf/oneOf, type,
// const, enum, numeric and string bounds, pattern, properties, required,
// additionalProperties, propertyNames, min/maxProperties, items, min/maxItems, uniqueItems.
//
// Because archsim validates scenarios with the very schema file it publishes for editors,
// the C++ validator and any standard validator accept the same documents. On top of the
// standard semantics it reports errors for people: every problem at once, an unknown key
// with the closest known key, and, for oneOf, the errors of the branch the document
// evidently meant (chosen by a `const` discriminator such as "kind", or by the key that
// only one branch requires) instead of "matches none of the alternatives".
//
// A schema using any other keyword is refused when the validator is built (a
// std::invalid_argument naming the keyword and where it is), so a schema can never rely
// on a keyword this validator would silently ignore. tests/unit/scenario/
// test_json_schema_suite.cpp runs the official JSON Schema Test Suite over it.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/diagnostics.hpp"

namespace archsim {

class SchemaValidator {
 public:
  // Throws std::invalid_argument when the schema uses a keyword the validator does not
  // support (or a form of one, like an array of "items").
  explicit SchemaValidator(nlohmann::json schema);

  // Problems of `instance` against the schema found at `schema_pointer` inside the root
  // schema ("" for the root itself). Diagnostics have an empty `file`.
  std::vector<Diagnostic> validate(const nlohmann::json& instance, const std::string& schema_pointer = "") const;

  // Fills the schema's defaults into `instance`, which must be valid against the schema at
  // `schema_pointer`: every absent property with a "default" gets it (and the defaults of
  // what it holds), through $ref, allOf, the oneOf branch the instance matches (chosen as
  // validate() chooses it), properties, additionalProperties and items.
  void fill_defaults(nlohmann::json& instance, const std::string& schema_pointer = "") const;

  // Whether the keys `tokens` name a setting the schema allows in `instance` (the document
  // it would be set in): every key a property the schema knows there; a new entry of a map
  // keyed by name (services, clients, hosts...) only as a whole, not through a deeper path;
  // nothing below a value that is not an object. Returns the problem (its pointer and rule),
  // or nothing.
  std::optional<std::pair<std::string, std::string>> check_path(const nlohmann::json& instance,
                                                                const std::vector<std::string>& tokens) const;

 private:
  void check(const nlohmann::json& schema, const nlohmann::json& instance, const std::string& pointer,
             std::vector<Diagnostic>& out) const;
  void check_one_of(const nlohmann::json& branches, const nlohmann::json& instance, const std::string& pointer,
                    std::vector<Diagnostic>& out) const;
  void check_object(const nlohmann::json& schema, const nlohmann::json& instance, const std::string& pointer,
                    std::vector<Diagnostic>& out) const;
  void fill(const nlohmann::json& schema, nlohmann::json& instance) const;
  // The properties a schema gives an object (through $ref, allOf, and the oneOf branch
  // `instance` matches, or every branch when there is none), and what it says of others.
  struct ObjectView {
    std::vector<std::pair<std::string, const nlohmann::json*>> properties;
    const nlohmann::json* additional = nullptr;  // the schema of other keys (a map), if any
    bool closed = false;                          // other keys are refused
  };
  void gather(const nlohmann::json& schema, const nlohmann::json* instance, ObjectView& view) const;
  // The oneOf branch `instance` is meant to match (see check_one_of), or nullptr.
  bool discriminator(const std::vector<const nlohmann::json*>& candidates, std::string& key) const;
  bool signatures_of(const std::vector<const nlohmann::json*>& candidates, std::vector<std::string>& signatures) const;
  const nlohmann::json* chosen_branch(const nlohmann::json& branches, const nlohmann::json& instance) const;
  const nlohmann::json& resolve(const nlohmann::json& schema) const;
  bool admits_type(const nlohmann::json& schema, const nlohmann::json& instance) const;
  // Refuses keywords the validator does not support, in `schema` and its subschemas.
  static void check_keywords(const nlohmann::json& schema, const std::string& pointer);
  std::vector<std::string> allowed_types(const nlohmann::json& schema) const;

  nlohmann::json root_;
};

// RFC 6901 escaping of one reference token.
std::string pointer_token(const std::string& key);

}  // namespace archsim
