#include "components/key_space.hpp"

#include <algorithm>
#include <cmath>

namespace archsim {

namespace {
// log(1 + x) / x and (exp(x) - 1) / x, accurate near 0.
double helper1(double x) { return std::fabs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x)); }
double helper2(double x) {
  return std::fabs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
}
}  // namespace

KeySpace::KeySpace(std::uint64_t count, double zipf_s) : count_(std::max<std::uint64_t>(1, count)), s_(zipf_s) {
  if (s_ > 0) {
    h_x1_ = h(1.5) - 1.0;
    h_n_ = h(static_cast<double>(count_) + 0.5);
    threshold_ = 2.0 - h_inverse(h(2.5) - std::exp(-s_ * std::log(2.0)));
  }
}

// H(x) = ((x)^(1-s) - 1) / (1 - s), continuous in s = 1 (log x).
double KeySpace::h(double x) const {
  const double log_x = std::log(x);
  return helper2((1.0 - s_) * log_x) * log_x;
}

double KeySpace::h_inverse(double x) const {
  double t = x * (1.0 - s_);
  if (t < -1.0) t = -1.0;  // numerical safety
  return std::exp(helper1(t) * x);
}

std::uint64_t KeySpace::sample(RandomStream& rng) const {
  if (s_ <= 0) return rng.below(count_);
  while (true) {
    const double u = h_n_ + rng.uniform01() * (h_x1_ - h_n_);
    const double x = h_inverse(u);
    double k = std::floor(x + 0.5);
    k = std::clamp(k, 1.0, static_cast<double>(count_));
    if (k - x <= threshold_ || u >= h(k + 0.5) - std::exp(-std::log(k) * s_))
      return static_cast<std::uint64_t>(k) - 1;
  }
}

}  // namespace archsim
