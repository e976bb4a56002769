#include "scenario/schema_validator.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>
#include <set>
#include <stdexcept>

namespace archsim {

using nlohmann::json;

std::string pointer_token(const std::string& key) {
  std::string out;
  out.reserve(key.size() + 1);
  out += '/';
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

namespace {

bool is_integer(const json& v) {
  if (v.is_number_integer()) return true;
  if (!v.is_number_float()) return false;
  const double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

bool has_type(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer") return is_integer(v);
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return false;
}

std::string article(const std::string& type) {
  if (type == "integer" || type == "array" || type == "object") return "an " + type;
  if (type == "null") return "null";
  return "a " + type;
}

std::string join_or(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += (i + 1 == items.size()) ? " or " : ", ";
    out += items[i];
  }
  return out;
}

std::string join_comma(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += items[i];
  }
  return out;
}

std::size_t utf8_length(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string number_text(const json& v) { return v.dump(); }

}  // namespace

SchemaValidator::SchemaValidator(json schema) : root_(std::move(schema)) { check_keywords(root_, ""); }

void SchemaValidator::check_keywords(const json& schema, const std::string& pointer) {
  if (schema.is_boolean()) return;
  if (!schema.is_object()) throw std::invalid_argument("schema " + pointer + ": a schema must be an object or a boolean");
  // Keywords whose value is a schema, a list of schemas, or a map of schemas; assertions
  // checked here; annotations that change nothing.
  static const std::set<std::string> kSchema = {"additionalProperties", "items", "propertyNames"};
  static const std::set<std::string> kSchemaList = {"allOf", "anyOf", "oneOf"};
  static const std::set<std::string> kSchemaMap = {"properties", "$defs", "definitions"};
  static const std::set<std::string> kAssertions = {
      "$ref",      "type",          "const",     "enum",      "minimum",  "maximum",       "exclusiveMinimum",
      "exclusiveMaximum", "minLength", "maxLength", "pattern", "required", "minProperties", "maxProperties",
      "minItems",  "maxItems",      "uniqueItems"};
  static const std::set<std::string> kAnnotations = {"$schema", "$id",    "$comment", "title",    "description",
                                                     "default", "examples", "deprecated", "readOnly", "writeOnly"};
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    const std::string& key = it.key();
    const std::string at = pointer + pointer_token(key);
    if (kSchema.count(key)) {
      if (key == "items" && it.value().is_array())
        throw std::invalid_argument("schema " + at + ": an array of \"items\" (draft 7 tuples) is not supported");
      check_keywords(it.value(), at);
    } else if (kSchemaList.count(key)) {
      for (std::size_t i = 0; i < it.value().size(); ++i) check_keywords(it.value()[i], at + "/" + std::to_string(i));
    } else if (kSchemaMap.count(key)) {
      for (auto sub = it.value().begin(); sub != it.value().end(); ++sub)
        check_keywords(sub.value(), at + pointer_token(sub.key()));
    } else if (key == "$ref") {
      if (!it.value().is_string() || it.value().get<std::string>().rfind("#", 0) != 0)
        throw std::invalid_argument("schema " + at + ": only local references (#...) are supported");
    } else if (!kAssertions.count(key) && !kAnnotations.count(key)) {
      throw std::invalid_argument("schema " + at + ": keyword \"" + key + "\" is not supported by archsim's validator");
    }
  }
}

std::vector<Diagnostic> SchemaValidator::validate(const json& instance, const std::string& schema_pointer) const {
  std::vector<Diagnostic> out;
  const json& schema = schema_pointer.empty() ? root_ : root_.at(json::json_pointer(schema_pointer));
  check(schema, instance, "", out);
  return out;
}

const json& SchemaValidator::resolve(const json& schema) const {
  const json* current = &schema;
  for (int depth = 0; depth < 32 && current->is_object() && current->contains("$ref"); ++depth) {
    const std::string ref = (*current)["$ref"].get<std::string>();
    if (ref.rfind("#", 0) != 0) throw std::logic_error("schema: only local $ref is supported: " + ref);
    // A URI fragment: percent-encoded characters first (RFC 3986), then a JSON pointer.
    std::string fragment;
    for (std::size_t i = 1; i < ref.size(); ++i) {
      if (ref[i] == '%' && i + 2 < ref.size() && std::isxdigit(static_cast<unsigned char>(ref[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(ref[i + 2]))) {
        fragment += static_cast<char>(std::stoi(ref.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        fragment += ref[i];
      }
    }
    current = &root_.at(json::json_pointer(fragment));
  }
  return *current;
}

std::vector<std::string> SchemaValidator::allowed_types(const json& schema_in) const {
  const json& schema = resolve(schema_in);
  std::vector<std::string> types;
  if (!schema.is_object()) return types;
  if (schema.contains("type")) {
    if (schema["type"].is_string())
      types.push_back(schema["type"].get<std::string>());
    else
      for (const auto& t : schema["type"]) types.push_back(t.get<std::string>());
  } else if (schema.contains("const")) {
    types.push_back(schema["const"].is_string() ? "string" : schema["const"].type_name());
  } else if (schema.contains("enum")) {
    std::set<std::string> seen;
    for (const auto& v : schema["enum"]) seen.insert(v.is_string() ? "string" : v.type_name());
    types.assign(seen.begin(), seen.end());
  } else if (schema.contains("oneOf") || schema.contains("anyOf")) {
    const json& list = schema.contains("oneOf") ? schema["oneOf"] : schema["anyOf"];
    for (const auto& b : list)
      for (const auto& t : allowed_types(b))
        if (std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
  }
  return types;
}

bool SchemaValidator::admits_type(const json& schema, const json& instance) const {
  const std::vector<std::string> types = allowed_types(schema);
  if (types.empty()) return true;
  return std::any_of(types.begin(), types.end(), [&](const std::string& t) { return has_type(instance, t); });
}

void SchemaValidator::check(const json& schema, const json& instance, const std::string& pointer,
                            std::vector<Diagnostic>& out) const {
  if (schema.is_boolean()) {
    if (!schema.get<bool>()) out.push_back({"", pointer, "not allowed here", describe_value(instance)});
    return;
  }
  if (!schema.is_object()) return;

  if (schema.contains("$ref")) {
    const std::size_t before = out.size();
    check(resolve(schema), instance, pointer, out);
    if (out.size() != before) return;
  }

  if (schema.contains("type")) {
    const std::vector<std::string> types = allowed_types(schema);
    if (!std::any_of(types.begin(), types.end(), [&](const std::string& t) { return has_type(instance, t); })) {
      std::vector<std::string> words;
      for (const auto& t : types) words.push_back(article(t));
      out.push_back({"", pointer, "must be " + join_or(words), describe_value(instance)});
      return;
    }
  }

  if (schema.contains("allOf")) {
    for (const auto& sub : schema["allOf"]) check(sub, instance, pointer, out);
  }
  if (schema.contains("oneOf")) {
    check_one_of(schema["oneOf"], instance, pointer, out);
  }
  if (schema.contains("anyOf")) {
    bool any = false;
    for (const auto& sub : schema["anyOf"]) {
      std::vector<Diagnostic> scratch;
      check(sub, instance, pointer, scratch);
      if (scratch.empty()) {
        any = true;
        break;
      }
    }
    if (!any) out.push_back({"", pointer, "does not match any of the allowed forms", describe_value(instance)});
  }

  if (schema.contains("const") && instance != schema["const"]) {
    out.push_back({"", pointer, "must be " + schema["const"].dump(), describe_value(instance)});
  }
  if (schema.contains("enum")) {
    const json& options = schema["enum"];
    if (std::find(options.begin(), options.end(), instance) == options.end()) {
      std::vector<std::string> words;
      for (const auto& o : options) words.push_back(o.dump());
      out.push_back({"", pointer, "must be one of " + join_comma(words), describe_value(instance)});
    }
  }

  if (instance.is_number()) {
    const double v = instance.get<double>();
    if (schema.contains("minimum") && v < schema["minimum"].get<double>())
      out.push_back({"", pointer, "must be >= " + number_text(schema["minimum"]), describe_value(instance)});
    if (schema.contains("maximum") && v > schema["maximum"].get<double>())
      out.push_back({"", pointer, "must be <= " + number_text(schema["maximum"]), describe_value(instance)});
    if (schema.contains("exclusiveMinimum") && v <= schema["exclusiveMinimum"].get<double>())
      out.push_back({"", pointer, "must be > " + number_text(schema["exclusiveMinimum"]), describe_value(instance)});
    if (schema.contains("exclusiveMaximum") && v >= schema["exclusiveMaximum"].get<double>())
      out.push_back({"", pointer, "must be < " + number_text(schema["exclusiveMaximum"]), describe_value(instance)});
  }

  if (instance.is_string()) {
    const auto& s = instance.get_ref<const std::string&>();
    const std::size_t length = utf8_length(s);
    if (schema.contains("minLength") && length < schema["minLength"].get<std::size_t>())
      out.push_back({"", pointer,
                     schema["minLength"].get<std::size_t>() == 1
                         ? std::string("must not be empty")
                         : "must be at least " + number_text(schema["minLength"]) + " characters long",
                     describe_value(instance)});
    if (schema.contains("maxLength") && length > schema["maxLength"].get<std::size_t>())
      out.push_back({"", pointer, "must be at most " + number_text(schema["maxLength"]) + " characters long",
                     describe_value(instance)});
    if (schema.contains("pattern")) {
      const std::string pattern = schema["pattern"].get<std::string>();
      if (!std::regex_search(s, std::regex(pattern, std::regex::ECMAScript)))
        out.push_back({"", pointer, "must match the pattern " + pattern, describe_value(instance)});
    }
  }

  if (instance.is_array()) {
    if (schema.contains("minItems") && instance.size() < schema["minItems"].get<std::size_t>())
      out.push_back({"", pointer,
                     "must have at least " + number_text(schema["minItems"]) +
                         (schema["minItems"].get<std::size_t>() == 1 ? " item" : " items"),
                     describe_value(instance)});
    if (schema.contains("maxItems") && instance.size() > schema["maxItems"].get<std::size_t>())
      out.push_back({"", pointer, "must have at most " + number_text(schema["maxItems"]) + " items",
                     std::to_string(instance.size()) + " items"});
    if (schema.contains("uniqueItems") && schema["uniqueItems"].get<bool>()) {
      for (std::size_t i = 0; i < instance.size(); ++i)
        for (std::size_t k = i + 1; k < instance.size(); ++k)
          if (instance[i] == instance[k])
            out.push_back({"", pointer + "/" + std::to_string(k), "duplicates item " + std::to_string(i),
                           describe_value(instance[k])});
    }
    if (schema.contains("items")) {
      for (std::size_t i = 0; i < instance.size(); ++i)
        check(schema["items"], instance[i], pointer + "/" + std::to_string(i), out);
    }
  }

  if (instance.is_object()) check_object(schema, instance, pointer, out);
}

void SchemaValidator::check_object(const json& schema, const json& instance, const std::string& pointer,
                                   std::vector<Diagnostic>& out) const {
  if (schema.contains("required")) {
    for (const auto& key : schema["required"]) {
      const auto name = key.get<std::string>();
      if (!instance.contains(name)) out.push_back({"", pointer + pointer_token(name), "required key is missing", ""});
    }
  }
  if (schema.contains("minProperties") && instance.size() < schema["minProperties"].get<std::size_t>())
    out.push_back({"", pointer, "must have at least " + number_text(schema["minProperties"]) + " entr" +
                                    (schema["minProperties"].get<std::size_t>() == 1 ? "y" : "ies"),
                   describe_value(instance)});
  if (schema.contains("maxProperties") && instance.size() > schema["maxProperties"].get<std::size_t>())
    out.push_back({"", pointer, "must have at most " + number_text(schema["maxProperties"]) + " entries",
                   std::to_string(instance.size()) + " entries"});

  const json* properties = schema.contains("properties") ? &schema["properties"] : nullptr;
  std::vector<std::string> known;
  if (properties)
    for (auto it = properties->begin(); it != properties->end(); ++it)
      if (it.key() != "$schema") known.push_back(it.key());

  for (auto it = instance.begin(); it != instance.end(); ++it) {
    const std::string child = pointer + pointer_token(it.key());
    if (schema.contains("propertyNames")) {
      std::vector<Diagnostic> name_errors;
      check(schema["propertyNames"], json(it.key()), child, name_errors);
      for (auto& e : name_errors) {
        e.rule = "invalid name: " + e.rule;
        out.push_back(e);
      }
    }
    if (properties && properties->contains(it.key())) {
      check((*properties)[it.key()], it.value(), child, out);
      continue;
    }
    if (schema.contains("additionalProperties")) {
      const json& extra = schema["additionalProperties"];
      if (extra.is_boolean() && !extra.get<bool>()) {
        out.push_back({"", child, "unknown key" + did_you_mean(it.key(), known), ""});
      } else {
        check(extra, it.value(), child, out);
      }
    }
  }
}

const json* SchemaValidator::chosen_branch(const json& branches, const json& instance) const {
  std::vector<const json*> candidates;
  for (const auto& b : branches)
    if (admits_type(b, instance)) candidates.push_back(&b);
  if (candidates.empty()) return nullptr;
  if (candidates.size() == 1) return candidates.front();
  if (instance.is_object()) {
    std::string disc_key;
    if (discriminator(candidates, disc_key)) {
      if (!instance.contains(disc_key)) return nullptr;
      for (const json* c : candidates)
        if (resolve(*c)["properties"][disc_key]["const"] == instance[disc_key]) return c;
      return nullptr;
    }
    std::vector<std::string> signatures;
    if (signatures_of(candidates, signatures)) {
      const json* found = nullptr;
      for (std::size_t i = 0; i < signatures.size(); ++i)
        if (instance.contains(signatures[i])) {
          if (found) return nullptr;
          found = candidates[i];
        }
      return found;
    }
  }
  for (const json* c : candidates) {
    std::vector<Diagnostic> scratch;
    check(*c, instance, "", scratch);
    if (scratch.empty()) return c;
  }
  return nullptr;
}

bool SchemaValidator::discriminator(const std::vector<const json*>& candidates, std::string& key_out) const {
  // A key that every candidate constrains with "const".
  std::string disc_key;
  for (const json* c : candidates) {
    const json& r = resolve(*c);
    std::string key;
    if (r.contains("properties"))
      for (auto it = r["properties"].begin(); it != r["properties"].end(); ++it)
        if (it.value().is_object() && it.value().contains("const")) {
          key = it.key();
          break;
        }
    if (key.empty() || (!disc_key.empty() && key != disc_key)) return false;
    disc_key = key;
  }
  key_out = disc_key;
  return !disc_key.empty();
}

bool SchemaValidator::signatures_of(const std::vector<const json*>& candidates, std::vector<std::string>& out) const {
  // The key that only one candidate requires first ("cpu_ms", "call", ...).
  for (const json* c : candidates) {
    const json& r = resolve(*c);
    if (!r.contains("required") || r["required"].empty()) return false;
    out.push_back(r["required"][0].get<std::string>());
  }
  return std::set<std::string>(out.begin(), out.end()).size() == out.size();
}

void SchemaValidator::check_one_of(const json& branches, const json& instance, const std::string& pointer,
                                   std::vector<Diagnostic>& out) const {
  std::vector<const json*> candidates;
  for (const auto& b : branches)
    if (admits_type(b, instance)) candidates.push_back(&b);

  if (candidates.empty()) {
    std::vector<std::string> words;
    for (const auto& b : branches)
      for (const auto& t : allowed_types(b))
        if (std::find(words.begin(), words.end(), article(t)) == words.end()) words.push_back(article(t));
    out.push_back({"", pointer, "must be " + join_or(words), describe_value(instance)});
    return;
  }
  if (candidates.size() == 1) {
    check(*candidates.front(), instance, pointer, out);
    return;
  }

  if (instance.is_object()) {
    std::string disc_key;
    if (discriminator(candidates, disc_key)) {
      std::vector<std::string> values;
      for (const json* c : candidates) values.push_back(resolve(*c)["properties"][disc_key]["const"].dump());
      if (!instance.contains(disc_key)) {
        out.push_back({"", pointer + pointer_token(disc_key),
                       "required key is missing (one of " + join_comma(values) + ")", ""});
        return;
      }
      for (const json* c : candidates) {
        if (resolve(*c)["properties"][disc_key]["const"] == instance[disc_key]) {
          const std::size_t before = out.size();
          check(*c, instance, pointer, out);
          // Which keys the object takes is the discriminator's choice: a key that another
          // choice takes (or does without) says which choice this is, and a later change of
          // the choice takes the blame for it.
          for (std::size_t i = before; i < out.size(); ++i) {
            Diagnostic& d = out[i];
            const bool own_key = d.pointer.size() > pointer.size() && d.pointer.compare(0, pointer.size(), pointer) == 0 &&
                                 d.pointer.find('/', pointer.size() + 1) == std::string::npos;
            if (!own_key || !d.cause.empty()) continue;
            const std::string key = json::json_pointer(d.pointer).back();  // unescaped
            for (const std::string prefix : {"required key is missing", "unknown key"}) {
              if (d.rule.compare(0, prefix.size(), prefix) != 0) continue;
              const bool missing = prefix[0] == 'r';
              const bool elsewhere = std::any_of(candidates.begin(), candidates.end(), [&](const json* other) {
                const json& b = resolve(*other);
                const bool known = b.contains("properties") && b["properties"].contains(key);
                const bool required = b.contains("required") &&
                                      std::find(b["required"].begin(), b["required"].end(), key) != b["required"].end();
                return other != c && (missing ? !required : known);
              });
              if (!elsewhere) continue;  // wrong whatever the choice: not the choice's doing
              d.rule.insert(prefix.size(), " where " + disc_key + " is " + instance[disc_key].dump());
              d.cause = pointer + pointer_token(disc_key);
            }
          }
          return;
        }
      }
      out.push_back({"", pointer + pointer_token(disc_key), "must be one of " + join_comma(values),
                     describe_value(instance[disc_key])});
      return;
    }

    std::vector<std::string> signatures;
    if (signatures_of(candidates, signatures)) {
      std::vector<std::size_t> present;
      for (std::size_t i = 0; i < signatures.size(); ++i)
        if (instance.contains(signatures[i])) present.push_back(i);
      if (present.size() == 1) {
        check(*candidates[present.front()], instance, pointer, out);
        return;
      }
      if (present.empty()) {
        out.push_back({"", pointer, "must have exactly one of the keys " + join_comma(signatures),
                       describe_value(instance)});
        return;
      }
      std::vector<std::string> found;
      for (std::size_t i : present) found.push_back(signatures[i]);
      out.push_back({"", pointer, "has keys of more than one kind (" + join_comma(found) + "); use exactly one",
                     describe_value(instance)});
      return;
    }
  }

  std::size_t valid = 0;
  for (const json* c : candidates) {
    std::vector<Diagnostic> scratch;
    check(*c, instance, pointer, scratch);
    if (scratch.empty()) ++valid;
  }
  if (valid != 1)
    out.push_back({"", pointer, valid == 0 ? "does not match any of the allowed forms" : "is ambiguous",
                   describe_value(instance)});
}

void SchemaValidator::fill_defaults(json& instance, const std::string& schema_pointer) const {
  fill(schema_pointer.empty() ? root_ : root_.at(json::json_pointer(schema_pointer)), instance);
}

void SchemaValidator::fill(const json& schema, json& instance) const {
  if (!schema.is_object()) return;
  if (schema.contains("$ref")) fill(resolve(schema), instance);
  if (schema.contains("allOf"))
    for (const auto& sub : schema["allOf"]) fill(sub, instance);
  if (schema.contains("oneOf"))
    if (const json* branch = chosen_branch(schema["oneOf"], instance)) fill(*branch, instance);
  if (schema.contains("anyOf"))
    for (const auto& sub : schema["anyOf"]) {
      std::vector<Diagnostic> scratch;
      check(sub, instance, "", scratch);
      if (scratch.empty()) {
        fill(sub, instance);
        break;
      }
    }
  if (instance.is_object()) {
    const json* properties = schema.contains("properties") ? &schema["properties"] : nullptr;
    if (properties)
      for (auto it = properties->begin(); it != properties->end(); ++it) {
        if (!instance.contains(it.key())) {
          const json& sub = it.value();
          if (sub.is_object() && sub.contains("default"))
            instance[it.key()] = sub["default"];
          else if (sub.is_object() && sub.contains("$ref") && resolve(sub).is_object() && resolve(sub).contains("default"))
            instance[it.key()] = resolve(sub)["default"];
          else
            continue;
        }
        fill(it.value(), instance[it.key()]);
      }
    if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object())
      for (auto it = instance.begin(); it != instance.end(); ++it)
        if (!properties || !properties->contains(it.key())) fill(schema["additionalProperties"], it.value());
  }
  if (instance.is_array() && schema.contains("items"))
    for (auto& element : instance) fill(schema["items"], element);
}

void SchemaValidator::gather(const json& schema, const json* instance, ObjectView& view) const {
  if (!schema.is_object()) return;
  if (schema.contains("$ref")) gather(resolve(schema), instance, view);  // then its siblings
  if (schema.contains("allOf"))
    for (const auto& sub : schema["allOf"]) gather(sub, instance, view);
  if (schema.contains("oneOf")) {
    const json* branch = instance ? chosen_branch(schema["oneOf"], *instance) : nullptr;
    if (branch)
      gather(*branch, instance, view);
    else
      for (const auto& b : schema["oneOf"]) gather(b, instance, view);
  }
  if (schema.contains("properties"))
    for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
      auto found = std::find_if(view.properties.begin(), view.properties.end(),
                                [&](const auto& p) { return p.first == it.key(); });
      if (found == view.properties.end())
        view.properties.emplace_back(it.key(), &it.value());
      else if (found->second->is_boolean())
        found->second = &it.value();  // "name": true in a branch, defined in a common part
    }
  if (schema.contains("additionalProperties")) {
    const json& extra = schema["additionalProperties"];
    if (extra.is_object())
      view.additional = &extra;
    else if (extra.is_boolean() && !extra.get<bool>())
      view.closed = true;
  }
}

std::optional<std::pair<std::string, std::string>> SchemaValidator::check_path(
    const json& instance, const std::vector<std::string>& tokens) const {
  const json* schema = &root_;
  const json* value = &instance;
  std::string pointer;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    const bool last = i + 1 == tokens.size();
    if (value && !value->is_object() && !value->is_array())
      return std::make_pair(pointer, "holds " + describe_value(*value) + ", not an object: nothing can be set below it");
    const json& s = resolve(*schema);
    if ((value && value->is_array()) || (s.is_object() && s.contains("items"))) {
      char* end = nullptr;
      const unsigned long index = std::strtoul(token.c_str(), &end, 10);
      if (token.empty() || *end != '\0') return std::make_pair(pointer, "is a list: expected an index (got " + token + ")");
      schema = s.is_object() && s.contains("items") ? &s["items"] : nullptr;
      value = value && value->is_array() && index < value->size() ? &(*value)[index] : nullptr;
      pointer += "/" + token;
      if (!schema) return std::nullopt;
      continue;
    }
    ObjectView view;
    gather(*schema, value, view);
    const auto known = std::find_if(view.properties.begin(), view.properties.end(),
                                    [&](const auto& p) { return p.first == token; });
    const std::string child = pointer + pointer_token(token);
    if (known != view.properties.end()) {
      schema = known->second;
      value = value && value->contains(token) ? &(*value)[token] : nullptr;
    } else if (view.additional) {
      if (value && value->contains(token)) {
        schema = view.additional;
        value = &(*value)[token];
      } else if (last) {
        return std::nullopt;  // a new entry, set as a whole
      } else {
        std::vector<std::string> names;
        if (value)
          for (auto it = value->begin(); it != value->end(); ++it) names.push_back(it.key());
        std::string rule = "no such entry" + did_you_mean(token, names);
        rule += "; a new entry is set as a whole, e.g. " + (pointer.empty() ? std::string("/") : pointer) + "/" +
                token + "={...}";
        return std::make_pair(child, rule);
      }
    } else if (view.closed) {
      std::vector<std::string> names;
      for (const auto& p : view.properties)
        if (p.first != "$schema") names.push_back(p.first);
      return std::make_pair(child, "no such setting" + did_you_mean(token, names));
    } else {
      return std::nullopt;  // the schema says nothing of it
    }
    pointer = child;
    if (schema->is_boolean()) return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace archsim
