#pragma once
// Formatting shared by every writer of result files.
#include <string>

namespace archsim {

// Rounds to 6 significant digits, so result files stay readable.
double tidy(double value);

// A CSV field: quoted (with doubled quotes) when it holds a comma, a quote or a newline.
std::string csv_escape(const std::string& s);

}  // namespace archsim
