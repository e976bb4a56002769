#include "recording/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace archsim {

int Histogram::bucket_of(double value) {
  int exponent = 0;
  const double mantissa = std::frexp(value, &exponent);  // value = mantissa * 2^exponent, mantissa in [0.5, 1)
  if (exponent < kMinExponent) return 0;
  if (exponent > kMaxExponent) return kBuckets - 1;
  const int sub = static_cast<int>((mantissa * 2.0 - 1.0) * kSubBuckets);
  return (exponent - kMinExponent) * kSubBuckets + std::min(sub, kSubBuckets - 1);
}

double Histogram::lower_bound_of(int bucket) {
  const int exponent = bucket / kSubBuckets + kMinExponent;
  const int sub = bucket % kSubBuckets;
  return std::ldexp(1.0 + static_cast<double>(sub) / kSubBuckets, exponent - 1);
}

double Histogram::upper_bound_of(int bucket) {
  const int exponent = bucket / kSubBuckets + kMinExponent;
  const int sub = bucket % kSubBuckets;
  return std::ldexp(1.0 + static_cast<double>(sub + 1) / kSubBuckets, exponent - 1);
}

void Histogram::record(double value) {
  if (!(value >= 0.0)) value = 0.0;  // negative or NaN durations cannot happen; keep accounting sane
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  ++count_;
  sum_ += value;
  if (value == 0.0) {
    ++zeros_;
    return;
  }
  if (counts_.empty()) counts_.assign(kBuckets, 0);
  ++counts_[static_cast<std::size_t>(bucket_of(value))];
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  sum_ += other.sum_;
  zeros_ += other.zeros_;
  if (!other.counts_.empty()) {
    if (counts_.empty()) counts_.assign(kBuckets, 0);
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  }
}

void Histogram::reset() {
  if (!counts_.empty()) std::fill(counts_.begin(), counts_.end(), 0);
  zeros_ = count_ = 0;
  sum_ = min_ = max_ = 0.0;
}

double Histogram::percentile(double q) const {
  if (count_ == 0) return 0.0;
  if (q <= 0.0) return min_;
  if (q >= 1.0) return max_;
  const auto rank = static_cast<std::uint64_t>(std::max(1.0, std::ceil(q * static_cast<double>(count_))));
  if (rank <= zeros_) return 0.0;
  std::uint64_t seen = zeros_;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const int b = static_cast<int>(i);
      const double mid = (lower_bound_of(b) + upper_bound_of(b)) / 2.0;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

std::uint64_t Histogram::count_at_most(double value) const {
  if (count_ == 0 || value < 0.0) return 0;
  if (value >= max_) return count_;
  std::uint64_t n = zeros_;
  if (counts_.empty() || value == 0.0) return n;
  const int last = bucket_of(value);
  for (int i = 0; i <= last; ++i) n += counts_[static_cast<std::size_t>(i)];
  return n;
}

void Histogram::for_each_bucket(const std::function<void(double, double, std::uint64_t)>& visit) const {
  if (zeros_) visit(0.0, 0.0, zeros_);
  for (std::size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i]) visit(lower_bound_of(static_cast<int>(i)), upper_bound_of(static_cast<int>(i)), counts_[i]);
}

}  // namespace archsim
