#pragma once
// Formatting shared by every writer of result files.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace archsim {

// Rounds to 6 significant digits, so result files stay readable.
double tidy(double value);

// A CSV field: quoted (with doubled quotes) when it holds a comma, a quote or a newline.
std::string csv_escape(const std::string& s);

// The fields of one CSV line (quoted fields as csv_escape writes them).
std::vector<std::string> split_csv_line(const std::string& line);

// What a JSON parse error says, without nlohmann's "[json.exception.parse_error.101] "
// prefix: "parse error at line 3, column 5: ...".
std::string json_error_text(const nlohmann::json::exception& error);

// `text` safe to print on a terminal: each control character (a newline, a tab, an
// escape that would recolour the screen) is written as its JSON escape (\n, \u001b).
std::string printable(const std::string& text);

// `text` read as a decimal number ("12", "-0.5", "2e-3"), or nothing: not empty, no spaces,
// no hexadecimal, finite (a value too small for a double reads as 0 or a subnormal).
std::optional<double> decimal_number(const std::string& text);

// A number with a fixed count of decimals.
std::string fixed_text(double value, int digits);

// The number at JSON pointer `pointer` of a summary, times `scale`, as "95.0 ± 2.1" when the
// summary holds an interval for it (a combination of replications) or "95.0"; "-" when it
// has no number there.
std::string figure_text(const nlohmann::ordered_json& summary, const std::string& pointer, int digits,
                        double scale = 1.0);

}  // namespace archsim
