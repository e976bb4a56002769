#pragma once
// A read-only view of one value of a validated scenario document, with its JSON pointer,
// so that typed parsing reads values and reports problems where they are.
//
// It offers no way to supply a default: defaults are the schema's, filled into the
// document before typing (SchemaValidator::fill_defaults). A key the schema requires or
// gives a default is read with at(); an optional key without a default is tested with
// has(), its absence meaning something the schema documents.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace archsim {

// A value the schema should have ensured is not there (or not of that type): a gap between
// the schema and the code on a valid document, or, on a document with schema errors being
// checked for more problems, a part to skip.
class SchemaGap : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class Node {
 public:
  Node(const nlohmann::json& value, std::string pointer) : value_(&value), pointer_(std::move(pointer)) {}

  const std::string& pointer() const { return pointer_; }
  bool has(const std::string& key) const { return value_->is_object() && value_->contains(key); }
  // The member `key`; it must be there (throws std::logic_error: a gap between the schema
  // and the code, not bad input).
  Node at(const std::string& key) const;
  Node at(std::size_t index) const;
  std::size_t size() const { return value_->size(); }
  // Object members in document order, and array elements.
  std::vector<std::pair<std::string, Node>> members() const;
  std::vector<Node> elements() const;

  bool is_number() const { return value_->is_number(); }
  bool is_string() const { return value_->is_string(); }
  bool is_object() const { return value_->is_object(); }
  double number() const;
  int integer() const;
  std::uint64_t unsigned_integer() const;
  const std::string& string() const;
  bool boolean() const;
  std::vector<double> numbers() const;
  std::vector<std::string> strings() const;
  bool is(const std::string& text) const { return value_->is_string() && value_->get_ref<const std::string&>() == text; }

  // The value as it reads in a message ("got ...").
  std::string describe() const;
  // The value itself, to merge or copy documents (hardware profiles), never to read values.
  const nlohmann::json& raw() const { return *value_; }

 private:
  [[noreturn]] void wrong(const char* what) const;

  const nlohmann::json* value_;
  std::string pointer_;
};

}  // namespace archsim
