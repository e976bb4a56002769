#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/distribution.hpp"
#include "core/rng.hpp"
#include "recording/histogram.hpp"

using archsim::Distribution;
using archsim::Histogram;
using archsim::RandomStream;

namespace {
double exact_quantile(std::vector<double> sorted, double q) {
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(q * n)));
  return sorted[rank - 1];
}

void check_against_samples(const Distribution& d, const char* name) {
  INFO(name);
  RandomStream rng(42, name);
  Histogram h;
  std::vector<double> xs;
  const int n = 300000;
  xs.reserve(n);
  for (int i = 0; i < n; ++i) {
    const double x = d.sample(rng);
    xs.push_back(x);
    h.record(x);
  }
  std::sort(xs.begin(), xs.end());
  for (double q : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999}) {
    INFO("q = " << q);
    const double exact = exact_quantile(xs, q);
    // The histogram's own error bound against the very same sample: <= 0.39%, within 1%.
    CHECK(std::fabs(h.percentile(q) - exact) <= Histogram::relative_error_bound() * exact + 1e-15);
    // Against the distribution's true quantile, add the sampling error (~3 standard errors).
    const double truth = d.quantile(q);
    CHECK(std::fabs(h.percentile(q) - truth) <= (0.01 + 6.0 / std::sqrt(n * (1 - q))) * truth);
  }
  CHECK(h.count() == static_cast<std::uint64_t>(n));
  CHECK(h.min() == xs.front());
  CHECK(h.max() == xs.back());
}
}  // namespace

TEST_CASE("histogram percentiles are within 1% of the exact quantiles") {
  check_against_samples(Distribution::exponential(0.005), "exponential 5 ms");
  check_against_samples(*Distribution::lognormal(0.02, 0.2), "lognormal 20 ms / p99 200 ms");
  check_against_samples(Distribution::uniform(0.001, 0.003), "uniform 1-3 ms");
}

TEST_CASE("histogram edge cases") {
  Histogram h;
  CHECK(h.percentile(0.5) == 0.0);
  CHECK(h.count() == 0);
  h.record(0.0);
  h.record(0.0);
  h.record(1.0);
  CHECK(h.percentile(0.5) == 0.0);
  CHECK(h.percentile(1.0) == 1.0);
  CHECK(h.count_at_most(0.5) == 2);
  h.record(-1.0);  // clamps to zero
  CHECK(h.min() == 0.0);
  h.record(1e9);  // beyond the top bucket: max stays exact
  CHECK(h.max() == 1e9);
  CHECK(h.percentile(1.0) == 1e9);
}

TEST_CASE("histogram merge equals recording everything in one") {
  RandomStream rng(1, "merge");
  Histogram a, b, all;
  for (int i = 0; i < 10000; ++i) {
    const double x = rng.exponential(0.01);
    (i % 2 ? a : b).record(x);
    all.record(x);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.sum() == Approx(all.sum()));
  for (double q : {0.5, 0.9, 0.99}) CHECK(a.percentile(q) == all.percentile(q));
}

TEST_CASE("histogram memory does not grow with the number of samples") {
  Histogram h;
  for (int i = 0; i < 1000; ++i) h.record(0.001 * (i + 1));
  const auto buckets_before = [&] {
    std::size_t n = 0;
    h.for_each_bucket([&](double, double, std::uint64_t) { ++n; });
    return n;
  }();
  for (int i = 0; i < 1000000; ++i) h.record(0.001 * (i % 1000 + 1));
  std::size_t after = 0;
  h.for_each_bucket([&](double, double, std::uint64_t) { ++after; });
  CHECK(after == buckets_before);
}
