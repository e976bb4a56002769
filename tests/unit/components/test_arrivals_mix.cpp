#include <catch2/catch.hpp>

#include <cmath>

#include "components/arrival_process.hpp"
#include "components/operation_mix.hpp"

using archsim::ArrivalProcess;
using archsim::OperationMix;
using archsim::RandomStream;
using archsim::RatePoint;

namespace {
// Counts arrivals in [from, to) over many independent replications.
double mean_count(const ArrivalProcess& p, double from, double to, int replications) {
  RandomStream rng(17, "arrivals");
  double total = 0;
  for (int r = 0; r < replications; ++r) {
    double t = p.next(from, rng);
    while (t < to) {
      total += 1;
      t = p.next(t, rng);
    }
  }
  return total / replications;
}
}  // namespace

TEST_CASE("a constant rate gives a Poisson process of that rate") {
  ArrivalProcess p(100.0, {}, false);
  RandomStream rng(2, "poisson");
  double t = 0, sum = 0, sum2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double next = p.next(t, rng);
    const double gap = next - t;
    sum += gap;
    sum2 += gap * gap;
    t = next;
  }
  const double mean = sum / n;
  CHECK(mean == Approx(0.01).epsilon(0.01));
  // exponential gaps: coefficient of variation 1
  CHECK(std::sqrt(sum2 / n - mean * mean) / mean == Approx(1.0).epsilon(0.02));
}

TEST_CASE("a step schedule changes the rate at each point") {
  ArrivalProcess p(10.0, {{5.0, 50.0}, {8.0, 0.0}, {9.0, 20.0}}, false);
  CHECK(p.rate_at(1.0) == 10.0);
  CHECK(p.rate_at(6.0) == 50.0);
  CHECK(p.rate_at(8.5) == 0.0);
  CHECK(p.expected_count(0, 10) == Approx(10 * 5 + 50 * 3 + 0 + 20 * 1));
  CHECK(mean_count(p, 0, 5, 4000) == Approx(50).epsilon(0.02));
  CHECK(mean_count(p, 5, 8, 4000) == Approx(150).epsilon(0.02));
  CHECK(mean_count(p, 8, 9, 4000) == 0.0);
  CHECK(mean_count(p, 9, 10, 4000) == Approx(20).epsilon(0.03));
}

TEST_CASE("a linear schedule ramps between points") {
  ArrivalProcess p(0.0, {{10.0, 100.0}}, true);
  CHECK(p.rate_at(5.0) == Approx(50.0));
  CHECK(p.rate_at(20.0) == 100.0);
  CHECK(p.expected_count(0, 10) == Approx(500.0));
  CHECK(mean_count(p, 0, 10, 2000) == Approx(500).epsilon(0.02));
  CHECK(mean_count(p, 0, 5, 2000) == Approx(125).epsilon(0.03));
}

TEST_CASE("a rate that stays zero never produces an arrival") {
  ArrivalProcess p(0.0, {}, false);
  RandomStream rng(1, "zero");
  CHECK(std::isinf(p.next(0.0, rng)));
}

TEST_CASE("the operation mix follows the weights") {
  OperationMix mix({80, 15, 5});
  CHECK(mix.probability(0) == Approx(0.80));
  CHECK(mix.probability(2) == Approx(0.05));
  RandomStream rng(4, "mix");
  int counts[3] = {0, 0, 0};
  const int n = 100000;
  for (int i = 0; i < n; ++i) counts[mix.pick(rng)]++;
  CHECK(counts[0] == Approx(80000).epsilon(0.01));
  CHECK(counts[1] == Approx(15000).epsilon(0.03));
  CHECK(counts[2] == Approx(5000).epsilon(0.06));
  CHECK_THROWS(OperationMix({}));
  CHECK_THROWS(OperationMix({1, 0}));
}
