#pragma once
// Picks the operation of each request by weight (e.g. 90% reads, 10% writes).
#include <vector>

#include "core/rng.hpp"

namespace archsim {

class OperationMix {
 public:
  explicit OperationMix(const std::vector<double>& weights);
  std::size_t pick(RandomStream& rng) const;
  double probability(std::size_t i) const;

 private:
  std::vector<double> cumulative_;  // normalised, last = 1
};

}  // namespace archsim
