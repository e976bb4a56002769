#include "scenario/diagnostics.hpp"

#include <algorithm>

#include "core/text.hpp"

namespace archsim {

std::string Diagnostic::format() const {
  // A problem of a command-line option itself, or of an environment variable ($NAME), has
  // no place in a document.
  const bool option = pointer.empty() && (file.rfind("--", 0) == 0 || file.rfind('$', 0) == 0);
  std::string out = file + ": " + (option ? "" : (pointer.empty() ? "/" : pointer) + ": ") + rule;
  if (!got.empty()) out += " (got " + got + ")";
  // Names, keys and file names come from the user: none of them may write on the terminal.
  return printable(out);
}

std::string describe_value(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  constexpr std::size_t kMax = 60;
  if (text.size() > kMax) text = text.substr(0, kMax - 3) + "...";
  return text;
}

namespace {
std::string join_messages(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    if (!out.empty()) out += '\n';
    out += d.format();
  }
  return out;
}
}  // namespace

InputError::InputError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_messages(diagnostics)), diagnostics_(std::move(diagnostics)) {}

InputError::InputError(const std::string& file, const std::string& pointer, const std::string& rule,
                       const std::string& got)
    : InputError(std::vector<Diagnostic>{Diagnostic{file, pointer, rule, got}}) {}

namespace {
// Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions).
std::size_t edit_distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}
}  // namespace

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = SIZE_MAX;
  for (const auto& candidate : candidates) {
    const std::size_t dist = edit_distance(word, candidate);
    if (dist < best_distance) {
      best_distance = dist;
      best = candidate;
    }
  }
  // Accept up to a third of the word's length in edits (at least 1, at most 3); a key that
  // merely differs in a unit suffix ("rate" vs "rate_rps") is also a plausible slip.
  const std::size_t limit = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  if (!best.empty() && best_distance <= limit) return best;
  for (const auto& candidate : candidates)
    if (candidate.rfind(word + "_", 0) == 0) return candidate;
  return "";
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string close = closest_match(word, candidates);
  return close.empty() ? std::string() : " (did you mean \"" + close + "\"?)";
}

}  // namespace archsim
