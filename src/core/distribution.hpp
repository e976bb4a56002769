#pragma once
// A random quantity from a scenario (CPU demand, think time, ...): constant, exponential,
// lognormal given by its mean and 99th percentile, uniform, or an empirical list of
// measured values drawn with equal probability. Unit-free: the field name carries the unit.
#include <optional>
#include <string>
#include <vector>

#include "core/rng.hpp"

namespace archsim {

class Distribution {
 public:
  enum class Kind { Constant, Exponential, Lognormal, Uniform, Empirical };

  static Distribution constant(double value);
  static Distribution exponential(double mean);
  // The lognormal with this mean and 99th percentile. A lognormal's p99/mean ratio is at
  // most exp(z99^2 / 2) ~ 14.96; beyond that, or with p99 <= mean, there is none: nullopt.
  static std::optional<Distribution> lognormal(double mean, double p99);
  static Distribution uniform(double min, double max);
  static Distribution empirical(std::vector<double> values);

  Distribution() = default;
  double sample(RandomStream& rng) const;
  double mean() const;
  // Exact quantile (an empirical list's: the smallest value with at least q of the list at
  // or below it). O(1), so that a quantile may be taken per request.
  double quantile(double q) const;
  Kind kind() const { return kind_; }
  std::string describe() const;

  // The largest p99/mean ratio a lognormal can have.
  static double max_lognormal_p99_ratio();

 private:
  Kind kind_ = Kind::Constant;
  double a_ = 0.0;  // constant value, exponential mean, lognormal mu, uniform min
  double b_ = 0.0;  // lognormal sigma, uniform max
  double mean_ = 0.0;
  std::vector<double> values_;  // empirical, in the order given (what sample() draws from)
  std::vector<double> sorted_;  // the same, sorted (for quantiles)
};

// Inverse of the standard normal CDF (Acklam's rational approximation refined by one
// Halley step; absolute error below 1e-12 on (0,1)).
double standard_normal_quantile(double p);

}  // namespace archsim
