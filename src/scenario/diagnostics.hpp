#pragma once
// Problems found in user input. Every problem names the file that set the bad value, the
// JSON pointer of the value, the rule it breaks and, where there is one, the value itself:
//   FILE: /json/pointer: rule (got VALUE)
// Loading collects every problem before reporting, so one run shows them all.
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace archsim {

struct Diagnostic {
  std::string file;
  std::string pointer;  // RFC 6901; "" is the document root
  std::string rule;
  std::string got;      // compact JSON of the offending value, or "" when there is none
  // A value that chose the rule (the "dist" or "kind" that decides which keys an object
  // takes): when it was set after the value at `pointer`, it is what the file names.
  std::string cause = "";

  std::string format() const;
};

// A short, single-line rendering of a JSON value for messages (long values are cut).
std::string describe_value(const nlohmann::json& value);

// Thrown when input is invalid; carries every problem found. The CLI prints them and
// exits with status 2.
class InputError : public std::runtime_error {
 public:
  explicit InputError(std::vector<Diagnostic> diagnostics);
  InputError(const std::string& file, const std::string& pointer, const std::string& rule,
             const std::string& got = "");
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// The closest candidate to `word` by edit distance, or "" when none is close enough to
// be a plausible typo.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);
// " (did you mean \"x\"?)" with the closest candidate, or "" when none is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace archsim
