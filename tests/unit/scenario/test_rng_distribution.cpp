#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/distribution.hpp"
#include "core/rng.hpp"

using archsim::Distribution;
using archsim::RandomStream;

TEST_CASE("random streams are reproducible and independent by name") {
  RandomStream a(7, "web"), b(7, "web"), c(7, "db"), d(8, "web");
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    REQUIRE(x == b.next_u64());
    CHECK(x != c.next_u64());
    CHECK(x != d.next_u64());
  }
}

TEST_CASE("uniform01 stays inside the open interval and has the right mean") {
  RandomStream rng(1, "u");
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform01();
    REQUIRE(u > 0.0);
    REQUIRE(u < 1.0);
    sum += u;
  }
  // standard error of the mean: sqrt(1/12/n) ~ 0.00065
  CHECK(sum / n == Approx(0.5).margin(0.003));
}

TEST_CASE("below() is unbiased over a small range") {
  RandomStream rng(3, "below");
  std::vector<int> counts(6, 0);
  const int n = 60000;
  for (int i = 0; i < n; ++i) counts[rng.below(6)]++;
  for (int c : counts) CHECK(c == Approx(n / 6.0).epsilon(0.05));
}

TEST_CASE("exponential and normal variates have the right moments") {
  RandomStream rng(5, "moments");
  const int n = 400000;
  double s1 = 0, s2 = 0, z1 = 0, z2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.exponential(2.0);
    s1 += x;
    s2 += x * x;
    const double z = rng.standard_normal();
    z1 += z;
    z2 += z * z;
  }
  CHECK(s1 / n == Approx(2.0).epsilon(0.01));
  CHECK(s2 / n == Approx(8.0).epsilon(0.03));  // E[X^2] = 2 mean^2
  CHECK(z1 / n == Approx(0.0).margin(0.01));
  CHECK(z2 / n == Approx(1.0).epsilon(0.01));
}

TEST_CASE("lognormal from mean and p99 reproduces both") {
  auto d = Distribution::lognormal(4.0, 16.0);
  REQUIRE(d.has_value());
  CHECK(d->mean() == Approx(4.0));
  CHECK(d->quantile(0.99) == Approx(16.0).epsilon(1e-9));
  RandomStream rng(9, "lognormal");
  const int n = 400000;
  std::vector<double> xs(n);
  double sum = 0;
  for (auto& x : xs) {
    x = d->sample(rng);
    sum += x;
  }
  std::sort(xs.begin(), xs.end());
  CHECK(sum / n == Approx(4.0).epsilon(0.01));
  CHECK(xs[static_cast<std::size_t>(0.99 * n)] == Approx(16.0).epsilon(0.02));
}

TEST_CASE("lognormal rejects impossible mean/p99 pairs") {
  CHECK_FALSE(Distribution::lognormal(4.0, 4.0).has_value());
  CHECK_FALSE(Distribution::lognormal(4.0, 3.0).has_value());
  CHECK_FALSE(Distribution::lognormal(1.0, 15.5).has_value());  // ratio above exp(z^2/2) ~ 14.96
  CHECK(Distribution::lognormal(1.0, 14.9).has_value());
  CHECK(Distribution::max_lognormal_p99_ratio() == Approx(14.96).epsilon(0.001));
}

TEST_CASE("constant, uniform and empirical distributions") {
  RandomStream rng(11, "dists");
  CHECK(Distribution::constant(3.5).sample(rng) == 3.5);
  auto u = Distribution::uniform(2.0, 4.0);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    const double x = u.sample(rng);
    REQUIRE(x >= 2.0);
    REQUIRE(x <= 4.0);
    sum += x;
  }
  CHECK(sum / 100000 == Approx(3.0).epsilon(0.005));
  auto e = Distribution::empirical({1.0, 2.0, 9.0});
  CHECK(e.mean() == Approx(4.0));
  int nines = 0;
  for (int i = 0; i < 30000; ++i) nines += e.sample(rng) == 9.0;
  CHECK(nines == Approx(10000).epsilon(0.05));
  CHECK(e.quantile(0.5) == 2.0);
}

TEST_CASE("standard normal quantile matches known values") {
  CHECK(archsim::standard_normal_quantile(0.5) == Approx(0.0).margin(1e-12));
  CHECK(archsim::standard_normal_quantile(0.99) == Approx(2.3263478740408408).epsilon(1e-10));
  CHECK(archsim::standard_normal_quantile(0.001) == Approx(-3.090232306167813).epsilon(1e-10));
  CHECK(archsim::standard_normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-10));
}
