#include "core/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <sstream>

namespace archsim {

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

double tidy(double value) {
  if (value == 0.0 || !std::isfinite(value)) return std::isfinite(value) ? 0.0 : value;
  const double magnitude = std::floor(std::log10(std::fabs(value)));
  const double scale = std::pow(10.0, 5.0 - magnitude);
  return std::round(value * scale) / scale;
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

std::optional<double> decimal_number(const std::string& text) {
  const bool decimal = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
  });
  if (!decimal) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string printable(const std::string& text) {
  const auto control = [](unsigned char c) { return c < 0x20 || c == 0x7f; };
  if (std::none_of(text.begin(), text.end(), control)) return text;
  std::string out;
  for (const char c : text) {
    if (!control(static_cast<unsigned char>(c))) {
      out += c;
      continue;
    }
    const std::string escaped = nlohmann::json(std::string(1, c)).dump();  // "\n", "\u001b"
    out += c == 0x7f ? std::string("\\u007f") : escaped.substr(1, escaped.size() - 2);
  }
  return out;
}

std::string fixed_text(double value, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

std::string figure_text(const nlohmann::ordered_json& summary, const std::string& pointer, int digits, double scale) {
  const nlohmann::ordered_json::json_pointer at(pointer);
  if (!summary.contains(at) || !summary.at(at).is_number()) return "-";
  std::string text = fixed_text(summary.at(at).get<double>() * scale, digits);
  const auto intervals = summary.find("intervals");
  if (intervals != summary.end() && intervals->contains(pointer))
    text += " ± " + fixed_text((*intervals)[pointer]["half_width"].get<double>() * std::fabs(scale), digits);
  return text;
}

std::string json_error_text(const nlohmann::json::exception& error) {
  std::string what = error.what();
  const auto pos = what.find("] ");
  return pos == std::string::npos ? what : what.substr(pos + 2);
}

}  // namespace archsim
