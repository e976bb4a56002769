#include "scenario/node.hpp"

#include <stdexcept>

#include "scenario/diagnostics.hpp"
#include "scenario/schema_validator.hpp"

namespace archsim {

void Node::wrong(const char* what) const {
  throw SchemaGap("scenario " + pointer_ + ": expected " + what + " (the schema should have ensured it)");
}

Node Node::at(const std::string& key) const {
  if (!has(key))
    throw SchemaGap("scenario " + pointer_ + ": no key " + key + " (the schema should require it or give a default)");
  return Node((*value_)[key], pointer_ + pointer_token(key));
}

Node Node::at(std::size_t index) const {
  if (!value_->is_array() || index >= value_->size()) wrong("an array element");
  return Node((*value_)[index], pointer_ + "/" + std::to_string(index));
}

std::vector<std::pair<std::string, Node>> Node::members() const {
  std::vector<std::pair<std::string, Node>> out;
  if (!value_->is_object()) wrong("an object");
  for (auto it = value_->begin(); it != value_->end(); ++it)
    out.emplace_back(it.key(), Node(it.value(), pointer_ + pointer_token(it.key())));
  return out;
}

std::vector<Node> Node::elements() const {
  std::vector<Node> out;
  if (!value_->is_array()) wrong("an array");
  for (std::size_t i = 0; i < value_->size(); ++i) out.emplace_back((*value_)[i], pointer_ + "/" + std::to_string(i));
  return out;
}

double Node::number() const {
  if (!value_->is_number()) wrong("a number");
  return value_->get<double>();
}

int Node::integer() const {
  if (!value_->is_number()) wrong("an integer");
  return value_->get<int>();
}

std::uint64_t Node::unsigned_integer() const {
  if (!value_->is_number()) wrong("an integer");
  return value_->get<std::uint64_t>();
}

const std::string& Node::string() const {
  if (!value_->is_string()) wrong("a string");
  return value_->get_ref<const std::string&>();
}

bool Node::boolean() const {
  if (!value_->is_boolean()) wrong("a boolean");
  return value_->get<bool>();
}

std::vector<double> Node::numbers() const {
  std::vector<double> out;
  for (const Node& n : elements()) out.push_back(n.number());
  return out;
}

std::vector<std::string> Node::strings() const {
  std::vector<std::string> out;
  for (const Node& n : elements()) out.push_back(n.string());
  return out;
}

std::string Node::describe() const { return describe_value(*value_); }

}  // namespace archsim
