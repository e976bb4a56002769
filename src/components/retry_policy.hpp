#pragma once
// Client retries: exponential backoff with jitter, a cap on attempts, the outcomes worth
// retrying, and an optional retry budget, so that a retry storm after a failure is both
// visible and controllable.
//
// Backoff before attempt k+1 (k >= 1 failed attempts): b = min(max_backoff, base * m^(k-1)),
// then "full" jitter draws uniformly in [0, b], "equal" in [b/2, b], "none" waits b.
// The budget is a token bucket in the style of Finagle's: every first attempt deposits
// `budget_ratio` tokens, a retry spends one, the balance starts at and never exceeds
// `budget_reserve`; with a budget, retries are at most about budget_ratio of the traffic.
#include <cstdint>
#include <optional>

#include "core/outcome.hpp"
#include "core/rng.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class RetryPolicy {
 public:
  // No spec: failed attempts are never retried.
  explicit RetryPolicy(const std::optional<RetrySpec>& spec);

  // A first attempt is being sent.
  void on_first_attempt();
  // Whether attempt `attempt` (1-based) that ended with `outcome` may be retried; spends
  // budget when it may.
  bool may_retry(int attempt, Outcome outcome);
  // The delay before the next attempt after `attempt` failed attempts.
  double backoff(int attempt, RandomStream& rng) const;

  std::uint64_t retries() const { return retries_; }
  std::uint64_t denied_by_budget() const { return denied_; }

 private:
  std::optional<RetrySpec> spec_;
  double balance_;
  std::uint64_t retries_ = 0;
  std::uint64_t denied_ = 0;
};

}  // namespace archsim
