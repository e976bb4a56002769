#include "components/operation_mix.hpp"

#include <algorithm>
#include <stdexcept>

namespace archsim {

OperationMix::OperationMix(const std::vector<double>& weights) {
  double total = 0.0;
  for (double w : weights) {
    if (!(w > 0.0)) throw std::invalid_argument("operation weights must be positive");
    total += w;
  }
  if (weights.empty()) throw std::invalid_argument("an operation mix needs at least one operation");
  double running = 0.0;
  for (double w : weights) {
    running += w;
    cumulative_.push_back(running / total);
  }
  cumulative_.back() = 1.0;
}

std::size_t OperationMix::pick(RandomStream& rng) const {
  if (cumulative_.size() == 1) return 0;
  const double u = rng.uniform01();
  return static_cast<std::size_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin());
}

double OperationMix::probability(std::size_t i) const {
  return cumulative_[i] - (i == 0 ? 0.0 : cumulative_[i - 1]);
}

}  // namespace archsim
