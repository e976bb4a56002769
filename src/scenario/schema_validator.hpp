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
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/diagnostics.hpp"

namespace archsim {

class SchemaValidator {
 public:
  explicit SchemaValidator(nlohmann::json schema);

  // Problems of `instance` against the schema found at `schema_pointer` inside the root
  // schema ("" for the root itself). Diagnostics have an empty `file`.
  std::vector<Diagnostic> validate(const nlohmann::json& instance, const std::string& schema_pointer = "") const;

 private:
  void check(const nlohmann::json& schema, const nlohmann::json& instance, const std::string& pointer,
             std::vector<Diagnostic>& out) const;
  void check_one_of(const nlohmann::json& branches, const nlohmann::json& instance, const std::string& pointer,
                    std::vector<Diagnostic>& out) const;
  void check_object(const nlohmann::json& schema, const nlohmann::json& instance, const std::string& pointer,
                    std::vector<Diagnostic>& out) const;
  const nlohmann::json& resolve(const nlohmann::json& schema) const;
  bool admits_type(const nlohmann::json& schema, const nlohmann::json& instance) const;
  std::vector<std::string> allowed_types(const nlohmann::json& schema) const;

  nlohmann::json root_;
};

// RFC 6901 escaping of one reference token.
std::string pointer_token(const std::string& key);

}  // namespace archsim
