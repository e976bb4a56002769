#pragma once
// A latency histogram with bounded memory: log-linear buckets (each power of two split
// into kSubBuckets equal slices), so any percentile is reported within 1/(2*kSubBuckets)
// = 0.39% relative error, whatever the number of samples. Values are non-negative
// (seconds, by convention). Count, sum, min and max are exact. Buckets are allocated on
// the first sample, so an unused histogram costs a few bytes.
#include <cstdint>
#include <functional>
#include <vector>

namespace archsim {

class Histogram {
 public:
  static constexpr int kSubBuckets = 128;
  static constexpr int kMinExponent = -30;  // 2^-31 s ~ 0.5 ns: smaller values share bucket 0
  static constexpr int kMaxExponent = 24;   // 2^24 s ~ 194 days: larger values share the top bucket

  void record(double value);
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  double min() const { return count_ ? min_ : 0.0; }
  double max() const { return count_ ? max_ : 0.0; }
  // Nearest-rank percentile, q in [0, 1]; 0 when empty. Exact at q = 0 and q = 1.
  double percentile(double q) const;
  // Number of samples <= value (to bucket resolution).
  std::uint64_t count_at_most(double value) const;
  // Visits the non-empty buckets in increasing order: (lower bound, upper bound, count).
  void for_each_bucket(const std::function<void(double, double, std::uint64_t)>& visit) const;

  static double relative_error_bound() { return 0.5 / kSubBuckets; }

 private:
  static constexpr int kBuckets = (kMaxExponent - kMinExponent + 1) * kSubBuckets;
  static int bucket_of(double value);
  static double lower_bound_of(int bucket);
  static double upper_bound_of(int bucket);

  std::vector<std::uint64_t> counts_;
  std::uint64_t zeros_ = 0;
  std::uint64_t count_ = 0;
  double sum_ = 0.0;
  double min_ = 0.0;
  double max_ = 0.0;
};

}  // namespace archsim
