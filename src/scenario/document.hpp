#pragma once
// A scenario document as the user wrote it, after `extends` chains and `--set` overrides
// are applied, remembering which file (or override) set every value so that errors can
// name it.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/diagnostics.hpp"

namespace archsim {

class Document {
 public:
  // Reads `path`, following "extends" (relative to each file) with RFC 7386 merge patches.
  // Throws InputError for unreadable files, invalid JSON, bad or cyclic extends.
  static Document load(const std::string& path);
  // A document from text already in memory (tests, fuzzing); `extends` is not allowed.
  static Document from_text(const std::string& text, const std::string& label);

  // Sets one value: `path` is a JSON pointer ("/services/web/workers") or a dotted path
  // ("services.web.workers"); `value` is parsed as JSON and taken as a string otherwise;
  // null deletes the key, as in a merge patch. Errors about the value name `origin`
  // ("--set PATH" by default). Throws InputError when the path is malformed.
  void set(const std::string& path, const std::string& value, const std::string& origin = "");
  // The value at `path` (a JSON pointer or a dotted path, as for set), or nullptr when there
  // is none. Throws InputError, naming `origin`, when the path is malformed.
  const nlohmann::json* find(const std::string& path, const std::string& origin) const;
  // The keys along `path` (a JSON pointer or a dotted path). Throws InputError, naming
  // `origin`, when the path is malformed.
  static std::vector<std::string> tokens(const std::string& path, const std::string& origin);

  const nlohmann::json& json() const { return json_; }
  nlohmann::json& json() { return json_; }
  const std::string& path() const { return path_; }
  // The file (or "--set ...") that set the value at `pointer`, or of its closest ancestor.
  std::string origin(const std::string& pointer) const;
  // Of the files and options that set the value at `pointer` or anything inside it (or
  // removed something there), the one applied last.
  std::string changed_last(const std::string& pointer) const;
  // Whether the file or option `later` was applied after `earlier` (a file after the one it
  // extends, an option after the files): what the user changed last. False when either is
  // not one of the document's.
  bool applied_after(const std::string& later, const std::string& earlier) const;
  // The file (or "--set ...") that deleted the value at `pointer` with a null, when nothing
  // put it back; "" otherwise.
  std::string removed_by(const std::string& pointer) const;
  // Attaches origins to diagnostics that have no file yet: the file (or option) that set the
  // value at the pointer, or the one that set its cause later.
  std::vector<Diagnostic> attribute(std::vector<Diagnostic> diagnostics) const;

 private:
  void apply_patch(nlohmann::json& target, const nlohmann::json& patch, const std::string& pointer,
                   const std::string& file);
  void mark_all(const nlohmann::json& value, const std::string& pointer, const std::string& file);
  void forget_below(const std::string& pointer);
  static Document load_chain(const std::string& path, std::vector<std::string>& chain);

  nlohmann::json json_;
  std::string path_;
  std::map<std::string, std::string> origins_;
  std::vector<std::string> layers_;  // the files and options, in the order they were applied
  void add_layer(const std::string& label);
};

}  // namespace archsim
