#include "components/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace archsim {

RetryPolicy::RetryPolicy(const std::optional<RetrySpec>& spec)
    : spec_(spec), balance_(spec ? spec->budget_reserve : 0.0) {}

void RetryPolicy::on_first_attempt() {
  if (spec_ && spec_->budget_ratio) balance_ = std::min(spec_->budget_reserve, balance_ + *spec_->budget_ratio);
}

bool RetryPolicy::may_retry(int attempt, Outcome outcome) {
  if (!spec_ || outcome == Outcome::Ok || attempt >= spec_->max_attempts) return false;
  if (!spec_->retry_on[static_cast<std::size_t>(outcome)]) return false;
  if (spec_->budget_ratio) {
    if (balance_ < 1.0) {
      ++denied_;
      return false;
    }
    balance_ -= 1.0;
  }
  ++retries_;
  return true;
}

double RetryPolicy::backoff(int attempt, RandomStream& rng) const {
  if (!spec_) return 0.0;
  const double b = std::min(spec_->max_backoff_s, spec_->backoff_s * std::pow(spec_->multiplier, attempt - 1));
  switch (spec_->jitter) {
    case Jitter::None:
      return b;
    case Jitter::Full:
      return b * rng.uniform01();
    case Jitter::Equal:
      return b / 2.0 + b / 2.0 * rng.uniform01();
  }
  return b;
}

}  // namespace archsim
