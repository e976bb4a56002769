#include "scenario/document.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "core/text.hpp"
#include "scenario/schema_validator.hpp"

namespace archsim {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr std::size_t kMaxExtendsDepth = 16;
constexpr std::uintmax_t kMaxFileBytes = 16u << 20;
constexpr int kMaxNesting = 64;

// Parses JSON text, refusing what nlohmann would accept silently or choke on: an object
// with the same key twice (the last would win) and nesting deeper than kMaxNesting (a
// document cannot need it; deeper ones cost memory quadratic in depth). Throws InputError
// for those (naming the JSON pointer), and Json::exception for invalid JSON.
// What the parser cannot say by itself: duplicate keys (with their JSON pointer) and nesting
// deeper than kMaxNesting (before it is built). A SAX pass of its own: nlohmann's parser
// with a callback scans an object's members each time one of its members that is an object
// ends, which made a file with 100,000 hosts take most of a minute.
class ParseChecks : public nlohmann::json_sax<Json> {
 public:
  ParseChecks(const std::string& text, const std::string& label) : text_(text), label_(label) {}
  std::vector<Diagnostic> problems;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override { return start(false); }
  bool start_array(std::size_t) override { return start(true); }
  bool key(string_t& key) override {
    stack_.back().key = key;
    if (!stack_.back().keys.insert(key).second)
      problems.push_back({label_, pointer(), "duplicate key (the object has it twice)", ""});
    return true;
  }
  bool end_object() override { return end(); }
  bool end_array() override { return end(); }
  // A syntax error: the parse that builds the document reports it. A number too large for
  // a double is said here, where its place is known (nlohmann's own message has none).
  bool parse_error(std::size_t position, const std::string& token, const nlohmann::detail::exception& e) override {
    if (e.id != 406) return false;
    // The position is just past the number: its place is where it starts.
    const std::size_t end = std::min(position, text_.size()) - std::min(position, token.size());
    const auto line = std::count(text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(end), '\n') + 1;
    const std::size_t line_start = text_.rfind('\n', end == 0 ? 0 : end - 1);
    const std::size_t column = line_start == std::string::npos || end == 0 ? end + 1 : end - line_start;
    throw InputError(label_, pointer(),
                     "number too large for a double (line " + std::to_string(line) + ", column " +
                         std::to_string(column) + ")",
                     token);
  }

 private:
  struct Frame {
    bool array = false;
    std::size_t index = 0;  // arrays: the element being read
    std::string key;        // objects: the member being read
    std::set<std::string> keys;
  };
  std::string pointer() const {
    std::string out;
    for (const Frame& f : stack_) out += f.array ? "/" + std::to_string(f.index) : pointer_token(f.key);
    return out;
  }
  bool value() {
    if (!stack_.empty() && stack_.back().array) ++stack_.back().index;
    return true;
  }
  bool start(bool array) {
    if (static_cast<int>(stack_.size()) > kMaxNesting)
      throw InputError(label_, pointer(), "nesting deeper than " + std::to_string(kMaxNesting) + " levels");
    stack_.push_back({array, 0, "", {}});
    return true;
  }
  bool end() {
    stack_.pop_back();
    return value();
  }

  const std::string& text_;
  const std::string& label_;
  std::vector<Frame> stack_;
};

Json parse_checked(const std::string& text, const std::string& label) {
  ParseChecks checks(text, label);
  Json::sax_parse(text, &checks, Json::input_format_t::json, true, /*ignore_comments=*/false);
  Json parsed = Json::parse(text, nullptr, true, /*ignore_comments=*/false);
  if (!checks.problems.empty()) throw InputError(checks.problems);
  return parsed;
}

Json parse_text(const std::string& text, const std::string& label) {
  try {
    return parse_checked(text, label);
  } catch (const Json::exception& e) {
    // A syntax error, or a number too large for a double.
    throw InputError(label, "", "invalid JSON: " + json_error_text(e));
  }
}

std::string read_file(const std::string& path, const std::string& referrer) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::is_regular_file(status)) {
    const char* why = fs::is_directory(status) ? "cannot read file: it is a folder"
                      : fs::exists(status)     ? "cannot read file: not a regular file"
                                               : "cannot read file: no such file";
    throw InputError(referrer.empty() ? path : referrer, referrer.empty() ? "" : "/extends", why,
                     Json(path).dump());
  }
  if (fs::file_size(path, ec) > kMaxFileBytes)
    throw InputError(path, "", "file is larger than 16 MB");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", std::string("cannot read file: ") + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

Document Document::load(const std::string& path) {
  std::vector<std::string> chain;
  return load_chain(path, chain);
}

Document Document::load_chain(const std::string& path, std::vector<std::string>& chain) {
  const std::string referrer = chain.empty() ? "" : chain.back();
  const Json patch = parse_text(read_file(path, referrer), path);
  std::error_code ec;
  const std::string canonical = fs::weakly_canonical(path, ec).string();
  for (const auto& seen : chain) {
    if (fs::weakly_canonical(seen, ec).string() == canonical)
      throw InputError(chain.back(), "/extends", "extends chain loops back to " + path);
  }
  if (chain.size() >= kMaxExtendsDepth)
    throw InputError(path, "/extends", "extends chain is deeper than 16 files");

  Document doc;
  doc.path_ = path;
  if (patch.is_object() && patch.contains("extends")) {
    if (!patch["extends"].is_string() || patch["extends"].get<std::string>().empty())
      throw InputError(path, "/extends", "must be a non-empty string", describe_value(patch["extends"]));
    const fs::path base = fs::path(path).parent_path() / patch["extends"].get<std::string>();
    chain.push_back(path);
    Document parent = load_chain(base.lexically_normal().string(), chain);
    chain.pop_back();
    doc.json_ = std::move(parent.json_);
    doc.origins_ = std::move(parent.origins_);
    doc.layers_ = std::move(parent.layers_);
    doc.add_layer(path);
    Json own = patch;
    own.erase("extends");
    doc.apply_patch(doc.json_, own, "", path);
    doc.json_.erase("extends");
  } else {
    doc.json_ = patch;
    doc.add_layer(path);
    doc.mark_all(doc.json_, "", path);
  }
  return doc;
}

Document Document::from_text(const std::string& text, const std::string& label) {
  Document doc;
  doc.path_ = label;
  doc.json_ = parse_text(text, label);
  if (doc.json_.is_object() && doc.json_.contains("extends"))
    throw InputError(label, "/extends", "extends is only allowed in a scenario file");
  doc.add_layer(label);
  doc.mark_all(doc.json_, "", label);
  return doc;
}

void Document::mark_all(const Json& value, const std::string& pointer, const std::string& file) {
  origins_[pointer] = file;
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) mark_all(it.value(), pointer + pointer_token(it.key()), file);
  } else if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) mark_all(value[i], pointer + "/" + std::to_string(i), file);
  }
}

void Document::forget_below(const std::string& pointer) {
  auto it = origins_.lower_bound(pointer + "/");
  while (it != origins_.end() && it->first.compare(0, pointer.size() + 1, pointer + "/") == 0) it = origins_.erase(it);
}

void Document::apply_patch(Json& target, const Json& patch, const std::string& pointer, const std::string& file) {
  // RFC 7386: an object patches member by member (null deletes); anything else replaces.
  if (!patch.is_object()) {
    target = patch;
    forget_below(pointer);
    mark_all(target, pointer, file);
    return;
  }
  if (!target.is_object()) {
    target = Json::object();
    forget_below(pointer);
  }
  origins_[pointer] = file;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string child = pointer + pointer_token(it.key());
    if (it.value().is_null()) {
      // What is then missing there is this file's doing (see removed_by).
      forget_below(child);
      if (target.erase(it.key()) != 0)
        origins_[child] = file;
      else
        origins_.erase(child);
    } else {
      apply_patch(target[it.key()], it.value(), child, file);
    }
  }
}

namespace {
// The element `token` names in an array of `size`: digits without a leading zero (as JSON
// pointers write them: "01" is no index), below the size.
std::optional<std::size_t> array_index(const std::string& token, std::size_t size) {
  if (token.empty() || token.size() > 18 || (token.size() > 1 && token[0] == '0') ||
      token.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const std::size_t index = std::stoull(token);
  if (index >= size) return std::nullopt;
  return index;
}

// The keys along `path`, a JSON pointer or a dotted path.
std::vector<std::string> path_tokens(const std::string& path, const std::string& label) {
  if (path.empty()) throw InputError(label, "", "path is empty");
  std::vector<std::string> tokens;
  if (path[0] == '/') {
    try {
      const Json::json_pointer parsed(path);
      std::string rest = path;
      std::size_t start = 1;
      while (start <= rest.size()) {
        const std::size_t end = rest.find('/', start);
        std::string token = rest.substr(start, end == std::string::npos ? std::string::npos : end - start);
        std::string unescaped;
        for (std::size_t i = 0; i < token.size(); ++i) {
          if (token[i] == '~' && i + 1 < token.size()) {
            unescaped += token[i + 1] == '1' ? '/' : '~';
            ++i;
          } else {
            unescaped += token[i];
          }
        }
        tokens.push_back(unescaped);
        if (end == std::string::npos) break;
        start = end + 1;
      }
    } catch (const Json::exception&) {
      throw InputError(label, "", "malformed JSON pointer");
    }
  } else {
    std::size_t start = 0;
    while (true) {
      const std::size_t end = path.find('.', start);
      tokens.push_back(path.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  for (const auto& t : tokens)
    if (t.empty()) throw InputError(label, "", "path has an empty component");
  return tokens;
}
}  // namespace

std::vector<std::string> Document::tokens(const std::string& path, const std::string& origin) {
  return path_tokens(path, origin);
}

const nlohmann::json* Document::find(const std::string& path, const std::string& origin) const {
  const Json* node = &json_;
  for (const std::string& t : path_tokens(path, origin)) {
    if (node->is_array()) {
      char* end = nullptr;
      const unsigned long index = std::strtoul(t.c_str(), &end, 10);
      if (*end != '\0' || index >= node->size()) return nullptr;
      node = &(*node)[index];
    } else if (node->is_object() && node->contains(t)) {
      node = &(*node)[t];
    } else {
      return nullptr;
    }
  }
  return node;
}

void Document::set(const std::string& path, const std::string& value, const std::string& origin) {
  const std::string label = origin.empty() ? "--set " + path : origin;
  const std::vector<std::string> tokens = path_tokens(path, label);
  add_layer(label);

  Json parsed_value;
  try {
    parsed_value = parse_checked(value, label);
  } catch (const Json::exception&) {
    parsed_value = value;  // not JSON: the text itself
  } catch (const InputError& e) {
    // Problems inside the value: name them where they would land in the document.
    std::string target;
    for (const auto& t : tokens) target += pointer_token(t);
    std::vector<Diagnostic> problems = e.diagnostics();
    for (auto& d : problems) d.pointer = target + d.pointer;
    throw InputError(problems);
  }

  Json* node = &json_;
  std::string pointer;
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (node->is_array()) {
      const auto index = array_index(t, node->size());
      if (!index) throw InputError(label, pointer, "no array element " + t);
      node = &(*node)[*index];
      pointer += "/" + t;
      continue;
    }
    if (!node->is_object()) *node = Json::object();
    node = &(*node)[t];
    pointer += pointer_token(t);
  }
  const std::string& last = tokens.back();
  if (parsed_value.is_null() && node->is_object()) {
    // null deletes, as in a merge patch. What is then missing there is the option's doing
    // (when there was something to delete).
    const bool deleted = node->erase(last) != 0;
    pointer += pointer_token(last);
    forget_below(pointer);
    if (deleted)
      origins_[pointer] = label;
    else
      origins_.erase(pointer);
    return;
  }
  if (node->is_array()) {
    const auto index = array_index(last, node->size());
    if (!index) throw InputError(label, pointer, "no array element " + last);
    (*node)[*index] = parsed_value;
    pointer += "/" + last;
  } else {
    if (!node->is_object()) *node = Json::object();
    (*node)[last] = parsed_value;
    pointer += pointer_token(last);
  }
  forget_below(pointer);
  mark_all(parsed_value, pointer, label);
}

std::string Document::origin(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = origins_.find(p);
    if (it != origins_.end()) return it->second;
    if (p.empty()) return path_;
    p = p.substr(0, p.rfind('/'));
  }
}

std::string Document::changed_last(const std::string& pointer) const {
  std::string last = origin(pointer);
  const std::string below = pointer + "/";
  for (auto it = origins_.lower_bound(below); it != origins_.end() && it->first.compare(0, below.size(), below) == 0; ++it)
    if (applied_after(it->second, last)) last = it->second;
  return last;
}

void Document::add_layer(const std::string& label) {
  if (std::find(layers_.begin(), layers_.end(), label) == layers_.end()) layers_.push_back(label);
}

bool Document::applied_after(const std::string& later, const std::string& earlier) const {
  const auto a = std::find(layers_.begin(), layers_.end(), later);
  const auto b = std::find(layers_.begin(), layers_.end(), earlier);
  return a != layers_.end() && b != layers_.end() && a > b;
}

std::string Document::removed_by(const std::string& pointer) const {
  const auto it = origins_.find(pointer);
  if (it == origins_.end() || json_.contains(Json::json_pointer(pointer))) return "";
  return it->second;
}

std::vector<Diagnostic> Document::attribute(std::vector<Diagnostic> diagnostics) const {
  for (auto& d : diagnostics) {
    if (!d.file.empty()) continue;
    d.file = origin(d.pointer);
    if (!d.cause.empty() && applied_after(origin(d.cause), d.file)) d.file = origin(d.cause);
    // A rule on an object or array as a whole (its count of entries) is broken by whoever
    // added or removed an entry last.
    const Json::json_pointer at(d.pointer);
    if (!json_.contains(at) || !(json_[at].is_object() || json_[at].is_array())) continue;
    const std::string below = d.pointer + "/";
    for (auto it = origins_.lower_bound(below); it != origins_.end() && it->first.compare(0, below.size(), below) == 0;
         ++it)
      if (it->first.find('/', below.size()) == std::string::npos && applied_after(it->second, d.file))
        d.file = it->second;
  }
  return diagnostics;
}

}  // namespace archsim
