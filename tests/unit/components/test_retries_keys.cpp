#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "components/key_space.hpp"
#include "components/retry_policy.hpp"

using namespace archsim;

TEST_CASE("retries: attempts, outcomes, backoff with jitter, budget") {
  RetrySpec spec;
  spec.max_attempts = 3;
  spec.backoff_s = 0.1;
  spec.multiplier = 2;
  spec.max_backoff_s = 0.3;
  spec.jitter = Jitter::None;
  spec.retry_on[static_cast<std::size_t>(Outcome::Timeout)] = true;
  RetryPolicy p(spec);
  RandomStream rng(8, "retry");
  CHECK(p.may_retry(1, Outcome::Timeout));
  CHECK(p.may_retry(2, Outcome::Timeout));
  CHECK_FALSE(p.may_retry(3, Outcome::Timeout));  // max attempts reached
  CHECK_FALSE(p.may_retry(1, Outcome::Rejected));  // not a retried outcome
  CHECK_FALSE(p.may_retry(1, Outcome::Ok));
  CHECK(p.backoff(1, rng) == Approx(0.1));
  CHECK(p.backoff(2, rng) == Approx(0.2));
  CHECK(p.backoff(3, rng) == Approx(0.3));  // capped
  spec.jitter = Jitter::Full;
  RetryPolicy full(spec);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double b = full.backoff(2, rng);
    REQUIRE(b >= 0.0);
    REQUIRE(b <= 0.2);
    sum += b;
  }
  CHECK(sum / 10000 == Approx(0.1).epsilon(0.03));
  spec.jitter = Jitter::Equal;
  CHECK(RetryPolicy(spec).backoff(2, rng) >= 0.1);

  spec.budget_ratio = 0.1;
  spec.budget_reserve = 10;
  RetryPolicy budget(spec);
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) {
    budget.on_first_attempt();
    allowed += budget.may_retry(1, Outcome::Timeout);  // every request fails
  }
  // The reserve (10) plus 10% of 1000 requests.
  CHECK(allowed == Approx(110).margin(2));
  CHECK(budget.denied_by_budget() == 1000 - budget.retries());
}

TEST_CASE("zipf keys follow their popularity law; uniform keys are uniform") {
  RandomStream rng(9, "keys");
  KeySpace zipf(1000, 1.0);
  std::vector<int> c(1000, 0);
  const int n = 500000;
  for (int i = 0; i < n; ++i) {
    const auto k = zipf.sample(rng);
    REQUIRE(k < 1000);
    c[k]++;
  }
  double harmonic = 0;
  for (int k = 1; k <= 1000; ++k) harmonic += 1.0 / k;
  for (int k : {0, 1, 9, 99}) CHECK(c[k] == Approx(n / ((k + 1) * harmonic)).epsilon(0.05));
  KeySpace skewed(1000000, 1.2);
  for (int i = 0; i < 1000; ++i) REQUIRE(skewed.sample(rng) < 1000000);
  KeySpace uniform(10, 0.0);
  std::vector<int> u(10, 0);
  for (int i = 0; i < 100000; ++i) u[uniform.sample(rng)]++;
  for (int x : u) CHECK(x == Approx(10000).epsilon(0.05));
}
