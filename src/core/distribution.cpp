#include "core/distribution.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace archsim {

namespace {
constexpr double kZ99 = 2.3263478740408408;  // standard normal 99th percentile
}

Distribution Distribution::constant(double value) {
  Distribution d;
  d.kind_ = Kind::Constant;
  d.a_ = value;
  d.mean_ = value;
  return d;
}

Distribution Distribution::exponential(double mean) {
  Distribution d;
  d.kind_ = Kind::Exponential;
  d.a_ = mean;
  d.mean_ = mean;
  return d;
}

double Distribution::max_lognormal_p99_ratio() { return std::exp(kZ99 * kZ99 / 2.0); }

std::optional<Distribution> Distribution::lognormal(double mean, double p99) {
  // mean = exp(mu + s^2/2), p99 = exp(mu + z s)  =>  s^2/2 - z s + ln(p99/mean) = 0.
  // The smaller root is the one whose median lies below the mean (right-skewed).
  if (!(mean > 0.0) || !(p99 > mean)) return std::nullopt;
  const double r = std::log(p99 / mean);
  const double disc = kZ99 * kZ99 - 2.0 * r;
  if (disc < 0.0) return std::nullopt;
  Distribution d;
  d.kind_ = Kind::Lognormal;
  d.b_ = kZ99 - std::sqrt(disc);
  d.a_ = std::log(mean) - d.b_ * d.b_ / 2.0;
  d.mean_ = mean;
  return d;
}

Distribution Distribution::uniform(double min, double max) {
  Distribution d;
  d.kind_ = Kind::Uniform;
  d.a_ = min;
  d.b_ = max;
  d.mean_ = (min + max) / 2.0;
  return d;
}

Distribution Distribution::empirical(std::vector<double> values) {
  if (values.empty()) throw std::invalid_argument("empirical distribution needs at least one value");
  Distribution d;
  d.kind_ = Kind::Empirical;
  d.mean_ = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  d.values_ = std::move(values);
  d.sorted_ = d.values_;
  std::sort(d.sorted_.begin(), d.sorted_.end());
  return d;
}

double Distribution::sample(RandomStream& rng) const {
  switch (kind_) {
    case Kind::Constant:
      return a_;
    case Kind::Exponential:
      return rng.exponential(a_);
    case Kind::Lognormal:
      return std::exp(a_ + b_ * rng.standard_normal());
    case Kind::Uniform:
      return a_ + (b_ - a_) * rng.uniform01();
    case Kind::Empirical:
      return values_[rng.below(values_.size())];
  }
  return a_;
}

double Distribution::mean() const { return mean_; }

double Distribution::quantile(double q) const {
  switch (kind_) {
    case Kind::Constant:
      return a_;
    case Kind::Exponential:
      return -a_ * std::log1p(-q);
    case Kind::Lognormal:
      return std::exp(a_ + b_ * standard_normal_quantile(q));
    case Kind::Uniform:
      return a_ + (b_ - a_) * q;
    case Kind::Empirical: {
      const auto n = static_cast<double>(sorted_.size());
      const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(q * n)));
      return sorted_[std::min(rank, sorted_.size()) - 1];
    }
  }
  return a_;
}

std::string Distribution::describe() const {
  std::ostringstream out;
  switch (kind_) {
    case Kind::Constant:
      out << "constant " << a_;
      break;
    case Kind::Exponential:
      out << "exponential mean " << a_;
      break;
    case Kind::Lognormal:
      out << "lognormal mean " << mean_ << " p99 " << quantile(0.99);
      break;
    case Kind::Uniform:
      out << "uniform [" << a_ << ", " << b_ << "]";
      break;
    case Kind::Empirical:
      out << "empirical (" << values_.size() << " values, mean " << mean_ << ")";
      break;
  }
  return out.str();
}

double standard_normal_quantile(double p) {
  if (p <= 0.0) return -INFINITY;
  if (p >= 1.0) return INFINITY;
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double plow = 0.02425;
  double x;
  if (p < plow) {
    const double q = std::sqrt(-2.0 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else if (p <= 1.0 - plow) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  } else {
    const double q = std::sqrt(-2.0 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  // One Halley refinement step against the exact CDF.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2.0 * M_PI) * std::exp(x * x / 2.0);
  return x - u / (1.0 + x * u / 2.0);
}

}  // namespace archsim
