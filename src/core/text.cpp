#include "core/text.hpp"

#include <cmath>

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

}  // namespace archsim
